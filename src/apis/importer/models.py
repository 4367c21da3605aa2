"""What the importer remembers between runs."""

from django.db import models


class ImportedLog(models.Model):
    """The MongoDB ``_id`` of an imported ``apisLog`` document.

    Log records have no natural key (the same line may legitimately occur twice), so a second import of the
    same dump recognises its records by their ``_id``.
    """

    source_id = models.CharField(max_length=64, unique=True)

    def __str__(self) -> str:
        return self.source_id
