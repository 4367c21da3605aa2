"""Throttling of failed credential checks (login and the misc endpoints apis-ccc polls).

Failures are counted per user name and per client address in ``ThrottleBucket`` rows with atomic
conditional updates, so every web worker and process sees the same counts.
"""

from datetime import timedelta

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
        over_limit |= Q(key=key, failures__gte=limit)
    ends = ThrottleBucket.objects.filter(over_limit, window_ends__gt=now).aggregate(end=Max("window_ends"))
    if ends["end"] is None:
        return None
    return max(1, int((ends["end"] - now).total_seconds() + 0.999))


def record_failure(keys: dict[str, int]) -> None:
    """Count one failure against every key; a key whose window has passed starts a new window."""
    now = timezone.now()
    window_ends = now + timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_SEC)
    for key in keys:
        if ThrottleBucket.objects.filter(key=key, window_ends__gt=now).update(failures=F("failures") + 1):
            continue
        if ThrottleBucket.objects.filter(key=key, window_ends__lte=now).update(
            failures=1, window_ends=window_ends
        ):
            continue
        try:
            with transaction.atomic():
                ThrottleBucket.objects.create(key=key, failures=1, window_ends=window_ends)
        except IntegrityError:  # created meanwhile by a concurrent failure
            ThrottleBucket.objects.filter(key=key).update(failures=F("failures") + 1)


def clear_user(username: str) -> None:
    """Forget the failures of a user name after a successful check."""
    ThrottleBucket.objects.filter(key=f"user:{username.strip().lower()}").delete()
