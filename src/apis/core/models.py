"""Users and the event counters behind throttling."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone


class User(AbstractUser):
    """A Service Center account.

    Roles are derived, as in the original: staff is ``is_staff``; a resident is a user with a residency
    period that has started (``user.residencies``, see ``apis.community.residency``). One user may be both.
    """

    @property
    def is_resident(self) -> bool:
        """The user lives or has lived in a unit: a residency period of theirs has started."""
        return self.residencies.filter(start__lte=timezone.now()).exists()


class ThrottleBucket(models.Model):
    """Events counted against one key within a time window: failed credential checks of a user name or a
    client address, requests of an ESS API user."""

    key = models.CharField(max_length=300, unique=True)
    hits = models.PositiveIntegerField(default=0)
    window_ends = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.key}: {self.hits}"
