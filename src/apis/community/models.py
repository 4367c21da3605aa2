"""The registry: communities, their clusters and the units (houses) of each cluster."""

import json

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models


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


class Unit(models.Model):
    """A unit (house) of a cluster; ``code`` is the APIS ``unitId``.

    The unit is available at ``t`` when ``available_from <= t < available_to`` (either bound may be empty).
    ``users`` are its residents.
    """

    cluster = models.ForeignKey(Cluster, on_delete=models.PROTECT, related_name="units")
    code = models.CharField(max_length=128)
    name = models.CharField(max_length=128)
    available_from = models.DateTimeField(null=True, blank=True)
    available_to = models.DateTimeField(null=True, blank=True)
    users = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="units")

    class Meta:
        ordering = ["cluster__community__code", "cluster__code", "code"]
        constraints = [models.UniqueConstraint(fields=["cluster", "code"], name="unit_unique_code")]

    def __str__(self) -> str:
        return f"{self.cluster} > {self.name}"
