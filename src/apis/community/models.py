"""The registry: communities, their clusters and the units (houses) of each cluster."""

import json

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q

from apis.core.timeparse import to_utc


class Community(models.Model):
    """An energy-sharing community; ``code`` is the APIS ``communityId``."""

    code = models.CharField(max_length=128, unique=True)
    name = models.CharField(max_length=128)

    class Meta:
        verbose_name_plural = "communities"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


def validate_json_object(value: str) -> None:
    """Accept an empty text or the text of a JSON object."""
    if not value.strip():
        return
    try:
        parsed = json.loads(value)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise ValidationError(f"not valid JSON: {exc}") from None
    if not isinstance(parsed, dict):
        raise ValidationError("must be a JSON object")


class Cluster(models.Model):
    """A DC-grid cluster of a community; ``code`` is the APIS ``clusterId``.

    ``policy`` holds the cluster's apis-main policy JSON, served verbatim to apis-ccc by
    ``/api/misc/policy/currentData`` (empty: no policy from the Service Center).
    """

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="clusters")
    code = models.CharField(max_length=128)
    name = models.CharField(max_length=128)
    policy = models.TextField(blank=True, default="", validators=[validate_json_object])

    class Meta:
        ordering = ["community__code", "code"]
        constraints = [models.UniqueConstraint(fields=["community", "code"], name="cluster_unique_code")]

    def __str__(self) -> str:
        return f"{self.community} > {self.name}"


class UnitQuerySet(models.QuerySet):
    def lock(self) -> None:
        """Take the row locks of these units until the transaction ends, in key order so that two lockers
        cannot deadlock: changes of one unit (its residency periods, its scenario choice) are then made one
        after the other (PostgreSQL; SQLite transactions are exclusive anyway)."""
        list(self.select_for_update().order_by("pk").values_list("pk", flat=True))


class Unit(models.Model):
    """A unit (house) of a cluster; ``code`` is the APIS ``unitId``.

    The unit is available at ``t`` when ``available_from <= t < available_to`` (either bound may be empty).
    Its residents and when they lived there are its ``residencies`` (:class:`Residency`).
    """

    cluster = models.ForeignKey(Cluster, on_delete=models.PROTECT, related_name="units")
    code = models.CharField(max_length=128)
    name = models.CharField(max_length=128)
    available_from = models.DateTimeField(null=True, blank=True)
    available_to = models.DateTimeField(null=True, blank=True)

    objects = UnitQuerySet.as_manager()

    class Meta:
        ordering = ["cluster__community__code", "cluster__code", "code"]
        constraints = [models.UniqueConstraint(fields=["cluster", "code"], name="unit_unique_code")]

    def __str__(self) -> str:
        return f"{self.cluster} > {self.name}"


class Residency(models.Model):
    """One period ``[start, end)`` during which ``user`` lives in ``unit`` (``end`` empty: still there).

    A user may have several periods in one unit; they never overlap (checked where periods are written). Being
    a resident is derived from these periods (``apis.community.residency``): a resident sees what the unit
    recorded within their own periods, nothing before a start nor after an end.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="residencies", db_index=False
    )
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="residencies")
    start = models.DateTimeField()
    end = models.DateTimeField(null=True, blank=True, help_text="empty while the user still lives there")

    class Meta:
        verbose_name_plural = "residencies"
        constraints = [
            # Also the index of every lookup by user (the foreign key has none of its own).
            models.UniqueConstraint(fields=["user", "unit", "start"], name="residency_unique_start"),
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gt=F("start")), name="residency_end_after_start"
            ),
        ]

    def __str__(self) -> str:
        end = f"{self.end:%Y-%m-%d %H:%M}" if self.end else "open"
        return f"{self.user} in {self.unit}: {self.start:%Y-%m-%d %H:%M} – {end}"

    def clean(self) -> None:
        """Both times in the supported range, the end after the start. (Overlaps with the user's other
        periods are checked where periods are written: the admin inlines and ``apis manage residency``.)"""
        errors = {}
        for name in ("start", "end"):
            value = getattr(self, name)
            if value is not None:
                try:
                    to_utc(value)
                except ValueError as exc:
                    errors[name] = str(exc)
        if not errors and self.start and self.end and self.end <= self.start:
            errors["end"] = "the end must be after the start"
        if errors:
            raise ValidationError(errors)
