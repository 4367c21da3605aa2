"""Users and the event counters behind throttling."""

from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """A Service Center account.

    Roles are derived, as in the original: staff is ``is_staff``; a resident is a user linked to at least
    one unit (``user.units``). One user may be both.
    """

    @property
    def is_resident(self) -> bool:
        return self.units.exists()


class ThrottleBucket(models.Model):
    """Events counted against one key within a time window: failed credential checks of a user name or a
    client address, requests of an ESS API user."""

    key = models.CharField(max_length=300, unique=True)
    hits = models.PositiveIntegerField(default=0)
    window_ends = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.key}: {self.hits}"
