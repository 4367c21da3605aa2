"""API keys that staff issue to researchers' scripts (``Authorization: Api-Key <key>``)."""

import hashlib
import secrets

from django.conf import settings
from django.db import models


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiKey(models.Model):
    """A key acting as its user; only the SHA-256 of the key is stored, the key is shown once when issued."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ess_api_keys")
    label = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=12, unique=True, editable=False)
    digest = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked = models.BooleanField(default=False)

    class Meta:
        verbose_name = "ESS API key"

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user}{', revoked' if self.revoked else ''})"

    def issue(self) -> str:
        """Give this (unsaved) key a new secret; returns the full key ``<prefix>.<secret>`` to show once."""
        self.prefix = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        self.digest = _digest(secret)
        return f"{self.prefix}.{secret}"

    @classmethod
    def find(cls, key: str) -> "ApiKey | None":
        """The live key matching ``key`` (constant-time comparison of the digests), else ``None``."""
        prefix, _, secret = key.partition(".")
        found = cls.objects.select_related("user").filter(prefix=prefix, revoked=False).first()
        if found is None or not secrets.compare_digest(found.digest, _digest(secret)):
            return None
        return found
