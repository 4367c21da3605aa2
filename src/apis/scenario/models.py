"""Scenarios (apis-main's JSON, opaque text here) and the append-only history of each unit's choice."""

from django.db import models
from django.db.models import Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from apis.core.models import UnitRecord, identity_field


class Scenario(models.Model):
    """A scenario, global or scoped to a community, a cluster or a unit (ids are APIS codes).

    Visible to a unit when all three ids are empty, or the community matches with no cluster, or the
    community and cluster match with no unit, or all three match.
    """

    community_id = identity_field(null=True, blank=True)
    cluster_id = identity_field(null=True, blank=True)
    unit_id = identity_field(null=True, blank=True)
    created = models.DateTimeField(default=timezone.now)
    name = models.CharField(max_length=128)
    description = models.TextField(null=True, blank=True)
    data = models.TextField(null=True, blank=True, help_text="the scenario JSON, served verbatim")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                Coalesce("community_id", Value("")),
                Coalesce("cluster_id", Value("")),
                Coalesce("unit_id", Value("")),
                "name",
                name="scenario_unique_name_in_scope",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Choice(UnitRecord):
    """One choice of a unit; the newest row is the unit's current scenario (``scenario`` null: none)."""

    created = models.DateTimeField(default=timezone.now)
    scenario = models.ForeignKey(Scenario, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        indexes = [
            models.Index(
                fields=["community_id", "cluster_id", "unit_id", "created"], name="choice_unit_created"
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit_path}: {self.scenario or '-'}"
