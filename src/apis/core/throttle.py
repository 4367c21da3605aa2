"""Throttling: failed credential checks (every login surface) and ESS API requests.

Events are counted per key in ``ThrottleBucket`` rows with atomic conditional updates, so every web worker
and process sees the same counts. A credential check is counted against two keys:

- its identity: ``user:<pk>`` when the name, normalised as Django normalises it (whitespace stripped,
  NFKC), finds a user the way ``ModelBackend`` finds one; otherwise ``name:<keyed hash>`` of the normalised,
  case-folded name. ``ａｄｍｉｎ``, `` admin`` and ``admin`` are one identity, whichever surface (API login,
  admin login, the misc credential endpoints, ``/api/token/``) they are tried at, and no key outgrows the
  column however long the name;
- its client address (:func:`apis.core.clientaddr.client_address`; IPv6 by /64, the block one client
  holds), with a limit ``ADDRESS_FACTOR`` times higher.
"""

import ipaddress
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import F, Max, Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import salted_hmac

from apis.core.clientaddr import client_address, parse_address
from apis.core.models import ThrottleBucket
from apis.core.retention import delete_in_batches

# A client address may fail this many times more often than one identity (shared NAT, several units).
ADDRESS_FACTOR = 5
IPV6_CLIENT_PREFIX = 64


def normalize_username(username: str) -> str:
    """The user name as every login surface looks it up: stripped like a form field, NFKC like Django."""
    return get_user_model().normalize_username(username.strip())


def _digest(text: str) -> str:
    """A fixed-length keyed hash: the names people type are kept out of the table (some are passwords)."""
    return salted_hmac("apis.core.throttle", text, algorithm="sha256").hexdigest()


def identity_key(username: str) -> str:
    """The throttle key of the identity a user name stands for (see the module docstring)."""
    name = normalize_username(username)
    model = get_user_model()
    max_length = model._meta.get_field(model.USERNAME_FIELD).max_length
    if name and "\x00" not in name and (max_length is None or len(name) <= max_length):
        try:
            return f"user:{model._default_manager.get_by_natural_key(name).pk}"
        except model.DoesNotExist:
            pass
    return f"name:{_digest(name.casefold())}"


def address_key(request: HttpRequest) -> str:
    """The throttle key of the request's client address."""
    address = parse_address(client_address(request))
    if address is None:
        return f"addr:{_digest(request.META.get('REMOTE_ADDR', ''))}"
    if address.version == 6:
        return f"addr:{ipaddress.ip_network((address, IPV6_CLIENT_PREFIX), strict=False)}"
    return f"addr:{address}"


def credential_keys(request: HttpRequest, username: str) -> dict[str, int]:
    """The throttle keys of a credential check and the failure limit of each."""
    limit = settings.LOGIN_FAILURE_LIMIT
    return {identity_key(username): limit, address_key(request): limit * ADDRESS_FACTOR}


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


def delete_ended_windows(now: datetime | None = None) -> int:
    """Delete the counters whose window has ended (run by ``apis jobs``): each name or address ever tried
    has one, and an ended window counts nothing, as :func:`count_event` starts a new one anyway; returns how
    many were deleted."""
    return delete_in_batches(ThrottleBucket.objects.filter(window_ends__lte=now or timezone.now()))


def clear_failures(user) -> None:
    """Forget the failures of ``user``'s identity after a successful check (the address keeps its own)."""
    ThrottleBucket.objects.filter(key=f"user:{user.pk}").delete()
