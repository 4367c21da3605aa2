"""Per-cluster tokens with which an apis-ccc authenticates its reports."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.db import connection, models
from django.utils import timezone

from apis.community.models import Cluster, Community
from apis.core.models import identity_field

TOKEN_PREFIX = "apis_"


def hash_token(token: str) -> str:
    """Tokens are random and long, so one SHA-256 is the right hash (no password stretching needed)."""
    return hashlib.sha256(token.encode()).hexdigest()


# ``last_used`` is refreshed at most this often, so that a busy reporter does not write it on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class TokenScope:
    """What an active token may write: the unit data and deals of one cluster."""

    community: str
    cluster: str


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

    @classmethod
    def authenticate(cls, token: str) -> TokenScope | None:
        """The scope of the active token ``token``, or ``None``.

        This runs on every report, so it is one hand-written SELECT (the ORM's query compilation cost more
        than the database work) plus, at most once a minute, a conditional UPDATE of ``last_used`` that
        concurrent requests of the same minute perform once.
        """
        now = timezone.now()
        stale = connection.ops.adapt_datetimefield_value(now - LAST_USED_RESOLUTION)
        quote = connection.ops.quote_name
        token_table, cluster_table = quote(cls._meta.db_table), quote(Cluster._meta.db_table)
        community_table = quote(Community._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT t.id, co.code, cl.code, (t.last_used IS NULL OR t.last_used < %s) "
                f"FROM {token_table} t JOIN {cluster_table} cl ON cl.id = t.cluster_id "
                f"JOIN {community_table} co ON co.id = cl.community_id "
                f"WHERE t.token_hash = %s AND t.revoked IS NULL",
                [stale, hash_token(token)],
            )
            row = cursor.fetchone()
        if row is None:
            return None
        pk, community, cluster, used_long_ago = row
        if used_long_ago:
            stale_rows = models.Q(last_used__isnull=True) | models.Q(last_used__lt=now - LAST_USED_RESOLUTION)
            cls.objects.filter(stale_rows, pk=pk).update(last_used=now)
        return TokenScope(community, cluster)


class RejectedItem(models.Model):
    """An item of an apis-ccc report that could not be stored (the report's valid items were), kept for staff.

    ``raw`` is the item as JSON text in ASCII (NUL and surrogates as ``\\u`` escapes, so that any database
    holds it), cut at ``RAW_MAX_LENGTH`` characters; ``digest`` identifies the whole item, so that a resent
    report quarantines each item once per cluster and kind.
    """

    RAW_MAX_LENGTH = 65_536

    class Kind(models.TextChoices):
        UNIT_DATA = "unitData", "unit data"
        DEAL = "deal", "deal"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    community_id = identity_field(help_text="the token's community")
    cluster_id = identity_field(help_text="the token's cluster")
    index = models.PositiveIntegerField(help_text="position of the item in its report")
    field = models.CharField(max_length=200, help_text="path of the invalid value in the item")
    reason = models.CharField(max_length=200)
    raw = models.TextField(help_text="the item as JSON text (ASCII), cut at 65,536 characters")
    raw_length = models.PositiveIntegerField(help_text="characters of the item's whole JSON text")
    digest = models.CharField(max_length=64, help_text="SHA-256 of the item's whole JSON text")
    received = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["community_id", "cluster_id", "kind", "digest"], name="rejecteditem_unique"
            )
        ]
        indexes = [
            models.Index(fields=["community_id", "cluster_id", "id"], name="rejecteditem_cluster"),
            models.Index(fields=["received"], name="rejecteditem_received"),
        ]

    def __str__(self) -> str:
        return f"{self.community_id}/{self.cluster_id} {self.kind} item {self.index}: {self.field}"
