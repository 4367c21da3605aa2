"""Monitoring state (reference §3.1, improved): failures, per-community recipients, per-cluster job
activation and the notification outbox."""

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models
from django.db.models.functions import Coalesce
from django.utils import timezone

from apis.core.models import ClusterRecord, identity_field

DETECTED, CLOSED = "detected", "closed"


class Failure(models.Model):
    """A problem found by a monitoring job; open while ``closed`` is null. At most one open failure per
    identity (type, community, cluster, program, unit), enforced by a partial unique index."""

    type = models.CharField(max_length=128)
    community_id = identity_field(null=True)
    cluster_id = identity_field(null=True)
    program_id = models.CharField(max_length=128, null=True)
    unit_id = identity_field(null=True)
    detected = models.DateTimeField(default=timezone.now)
    closed = models.DateTimeField(null=True, blank=True)
    description = models.TextField(null=True, blank=True)
    close_reason = models.TextField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["community_id", "cluster_id", "detected"], name="failure_cluster_detected"),
            models.Index(fields=["type", "closed"], name="failure_type_closed"),
        ]
        constraints = [
            models.UniqueConstraint(
                "type",
                Coalesce("community_id", models.Value("")),
                Coalesce("cluster_id", models.Value("")),
                Coalesce("program_id", models.Value("")),
                Coalesce("unit_id", models.Value("")),
                condition=models.Q(closed__isnull=True),
                name="failure_one_open_per_identity",
            )
        ]

    def __str__(self) -> str:
        return f"[{self.type}] {self.ident} ({'closed' if self.closed else 'open'})"

    @property
    def ident(self) -> str:
        """The non-empty parts of community, cluster, program and unit joined by `` > ``."""
        parts = (self.community_id, self.cluster_id, self.program_id, self.unit_id)
        return " > ".join(part for part in parts if part)


def validate_address_list(value: str) -> None:
    """One or more e-mail addresses separated by commas."""
    addresses = split_addresses(value)
    if not addresses:
        raise ValidationError("at least one e-mail address is required")
    for address in addresses:
        validate_email(address)


def split_addresses(value: str | None) -> list[str]:
    """The addresses of a comma-separated list, blanks removed."""
    return [part.strip() for part in (value or "").split(",") if part.strip()]


class CommunitySetting(models.Model):
    """Where the failure mails of a community go (one or more comma-separated addresses)."""

    community_id = identity_field(unique=True)
    notify_to = models.CharField(max_length=1000, validators=[validate_address_list])

    def __str__(self) -> str:
        return self.community_id


class JobSetting(ClusterRecord):
    """Activation of one monitoring job type for one cluster; no row means inactive."""

    type = models.CharField(max_length=128)
    is_active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["community_id", "cluster_id", "type"], name="jobsetting_unique")
        ]

    def __str__(self) -> str:
        return f"{self.community_id} > {self.cluster_id} : {self.type}"


class Notification(models.Model):
    """Outbox row: one mail per failure transition, delivered (and retried) by the job runner."""

    failure = models.ForeignKey(Failure, on_delete=models.CASCADE, related_name="notifications")
    event = models.CharField(max_length=16, choices=[(DETECTED, DETECTED), (CLOSED, CLOSED)])
    created = models.DateTimeField(default=timezone.now)
    sent = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt = models.DateTimeField(default=timezone.now)
    last_error = models.TextField(null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["failure", "event"], name="notification_once")]
        indexes = [models.Index(fields=["sent", "next_attempt"], name="notification_due")]

    def __str__(self) -> str:
        return f"{self.failure} {self.event}"
