"""Failure e-mails (reference §7.5) delivered from the notification outbox.

Each due outbox row is claimed with a conditional ``UPDATE`` (so two runners never send the same mail),
sent with Django's mail API and marked sent. A failed send records the error and is retried later with a
growing delay; it never raises out of the runner.
"""

import logging
from contextlib import suppress
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db.models import F, Q
from django.utils import timezone

from apis.monitoring.checks import local_time
from apis.monitoring.models import CLOSED, CommunitySetting, Failure, Notification, split_addresses

logger = logging.getLogger(__name__)

CLAIM_SECONDS = 120
FIRST_RETRY_SECONDS = 10
MAX_RETRY_SECONDS = 3600


def subject(failure: Failure, event: str) -> str:
    """``[<type>] failure <status> : <ident>``."""
    return f"[{failure.type}] failure {event} : {failure.ident}"


def body(failure: Failure, event: str) -> str:
    """The original's body lines, including its ``communityId : `` spelling; times in APIS_TIME_ZONE."""
    lines = [f"failure {event}", "", f"type: {failure.type}"]
    labels = (
        ("communityId : ", failure.community_id),
        ("clusterId: ", failure.cluster_id),
        ("programId: ", failure.program_id),
        ("unitId: ", failure.unit_id),
    )
    lines += [label + value for label, value in labels if value]
    lines.append(f"detected: {local_time(failure.detected)}")
    if event == CLOSED and failure.closed:
        lines.append(f"closed: {local_time(failure.closed)}")
    lines += ["", failure.description or ""]
    return "\n".join(lines)


def recipients(community_id: str | None) -> list[str]:
    """The community's ``notify_to`` addresses, else ``APIS_NOTIFY_TO``."""
    setting = CommunitySetting.objects.filter(community_id=community_id or "").first()
    return split_addresses(setting.notify_to) if setting else list(settings.NOTIFY_TO)


def retry_delay(attempts: int) -> timedelta:
    """10 s after the first failed attempt, doubling up to an hour."""
    return timedelta(seconds=min(FIRST_RETRY_SECONDS * 2 ** max(attempts - 1, 0), MAX_RETRY_SECONDS))


def _due(now: datetime) -> Q:
    return Q(sent__isnull=True, next_attempt__lte=now) & (
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    )


def deliver_due(now: datetime | None = None, limit: int = 100) -> str:
    """Send up to ``limit`` due notifications; a one-line summary for the runner's log."""
    now = now or timezone.now()
    candidates = list(
        Notification.objects.filter(_due(now)).order_by("pk").values_list("pk", flat=True)[:limit]
    )
    sent = failed = 0
    connection = get_connection(fail_silently=False)
    try:
        for pk in candidates:
            claimed = Notification.objects.filter(_due(now), pk=pk).update(
                claimed_until=now + timedelta(seconds=CLAIM_SECONDS)
            )
            if claimed:
                if _send(pk, connection, now):
                    sent += 1
                else:
                    failed += 1
    finally:
        connection.close()
    return f"{sent} mails sent, {failed} failed"


def _send(pk: int, connection, now: datetime) -> bool:
    notification = Notification.objects.select_related("failure").get(pk=pk)
    failure = notification.failure
    message = EmailMessage(
        subject(failure, notification.event),
        body(failure, notification.event),
        settings.NOTIFY_FROM,
        recipients(failure.community_id),
        connection=connection,
    )
    try:
        message.send()
    except Exception as error:  # SMTP down, refused recipient…: keep the row and retry later
        attempts = notification.attempts + 1
        Notification.objects.filter(pk=pk).update(
            attempts=F("attempts") + 1,
            last_error=f"{type(error).__name__}: {error}",
            next_attempt=now + retry_delay(attempts),
            claimed_until=None,
        )
        logger.warning("mail for failure %d (%s) not sent: %s", failure.pk, notification.event, error)
        with suppress(Exception):
            connection.close()  # start the next mail on a fresh session
        return False
    Notification.objects.filter(pk=pk).update(
        sent=timezone.now(), attempts=F("attempts") + 1, last_error=None, claimed_until=None
    )
    return True
