"""Throttling: failed credential checks (login and the misc endpoints apis-ccc polls) and ESS API requests.

Events are counted per key (a user name, a client address, an ESS user) in ``ThrottleBucket`` rows with
atomic conditional updates, so every web worker and process sees the same counts.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Max, Q
from django.http import HttpRequest
from django.utils import timezone

from apis.core.models import ThrottleBucket

# A client address may fail this many times more often than one user name (shared NAT, several units).
ADDRESS_FACTOR = 5


def credential_keys(request: HttpRequest, username: str) -> dict[str, int]:
    """The throttle keys of a credential check and the failure limit of each."""
    limit = settings.LOGIN_FAILURE_LIMIT
    return {
        f"user:{username.strip().lower()}": limit,
        f"addr:{request.META.get('REMOTE_ADDR', '')}": limit * ADDRESS_FACTOR,
    }


def retry_after(keys: dict[str, int]) -> int | None:
    """Seconds until a blocked key opens again, or ``None`` when no key is over its limit."""
    now = timezone.now()
    over_limit = Q()
    for key, limit in keys.items():
        over_limit |= Q(key=key, hits__gte=limit)
    ends = ThrottleBucket.objects.filter(over_limit, window_ends__gt=now).aggregate(end=Max("window_ends"))
    if ends["end"] is None:
        return None
    return max(1, int((ends["end"] - now).total_seconds() + 0.999))


def count_event(key: str, window_seconds: float) -> tuple[int, datetime]:
    """Count one event against ``key``; returns the events counted in the key's current window and when
    that window ends. A window that has passed starts a new one of ``window_seconds``."""
    now = timezone.now()
    bucket = ThrottleBucket.objects.filter(key=key)
    if not bucket.filter(window_ends__gt=now).update(hits=F("hits") + 1):
        window_ends = now + timedelta(seconds=window_seconds)
        if not bucket.filter(window_ends__lte=now).update(hits=1, window_ends=window_ends):
            try:
                with transaction.atomic():
                    ThrottleBucket.objects.create(key=key, hits=1, window_ends=window_ends)
            except IntegrityError:  # created meanwhile by a concurrent event
                bucket.update(hits=F("hits") + 1)
    return bucket.values_list("hits", "window_ends").get()


def record_failure(keys: dict[str, int]) -> None:
    """Count one failure against every key."""
    for key in keys:
        count_event(key, settings.LOGIN_FAILURE_WINDOW_SEC)


def clear_user(username: str) -> None:
    """Forget the failures of a user name after a successful check."""
    ThrottleBucket.objects.filter(key=f"user:{username.strip().lower()}").delete()
