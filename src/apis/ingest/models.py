"""Per-cluster tokens with which an apis-ccc authenticates its reports."""

import hashlib
import secrets

from django.db import models
from django.utils import timezone

from apis.community.models import Cluster

TOKEN_PREFIX = "apis_"


def hash_token(token: str) -> str:
    """Tokens are random and long, so one SHA-256 is the right hash (no password stretching needed)."""
    return hashlib.sha256(token.encode()).hexdigest()


class IngestTokenQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked__isnull=True)


class IngestToken(models.Model):
    """A token allowing one reporter to write unit data and deals of one cluster. Only its hash is kept."""

    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="ingest_tokens")
    label = models.CharField(max_length=128, blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    hint = models.CharField(max_length=16, help_text="the first characters, to tell tokens apart")
    created = models.DateTimeField(default=timezone.now)
    last_used = models.DateTimeField(null=True, blank=True)
    revoked = models.DateTimeField(null=True, blank=True)

    objects = IngestTokenQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.hint}… ({self.cluster})"

    @classmethod
    def issue(cls, cluster: Cluster, label: str = "") -> tuple["IngestToken", str]:
        """Create a token for ``cluster``; returns the row and the token text, which is shown only once."""
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        row = cls.objects.create(cluster=cluster, label=label, token_hash=hash_token(token), hint=token[:12])
        return row, token
