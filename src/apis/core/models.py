"""Users, the event counters behind throttling, and the ``community_id / cluster_id / unit_id`` ids that
say which cluster or unit a record comes from (:class:`ClusterRecord`, :class:`UnitRecord`)."""

from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """A Service Center account.

    Roles are derived, as in the original: staff is ``is_staff``; a resident is a user with a residency
    period that has started (``apis.community.residency.is_resident``). One user may be both.
    """


class ThrottleBucket(models.Model):
    """Events counted against one key within a time window: failed credential checks of a user name or a
    client address, requests of an ESS API user."""

    key = models.CharField(max_length=300, unique=True)
    hits = models.PositiveIntegerField(default=0)
    window_ends = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.key}: {self.hits}"


ID_MAX_LENGTH = 128


def identity_field(**options) -> models.CharField:
    """One id of the ``community_id / cluster_id / unit_id`` triple that says where a record comes from: an
    APIS code as the cluster reports it (not a key of the registry), at most ``ID_MAX_LENGTH`` characters."""
    return models.CharField(max_length=ID_MAX_LENGTH, **options)


class ClusterRecord(models.Model):
    """A record of one cluster, named by its ``community_id``/``cluster_id`` codes (both required)."""

    community_id = identity_field()
    cluster_id = identity_field()

    class Meta:
        abstract = True


UNIT_KEY = ("community_id", "cluster_id", "unit_id")


class UnitRecord(ClusterRecord):
    """A record of one unit, named by the whole triple (all three required; ``UNIT_KEY`` lists them)."""

    unit_id = identity_field()

    class Meta:
        abstract = True

    @property
    def unit_path(self) -> str:
        """``community/cluster/unit`` of the record."""
        return f"{self.community_id}/{self.cluster_id}/{self.unit_id}"
