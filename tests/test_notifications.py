"""Failure e-mails (reference §7.5) received by a real SMTP server on 127.0.0.1, and their retry."""

from datetime import UTC, datetime, timedelta

import pytest

from apis.monitoring.lifecycle import close_failure, open_failure
from apis.monitoring.models import CommunitySetting, Failure, Notification
from apis.monitoring.notify import deliver_due
from tests.helpers import MailServer, free_port

NOW = datetime(2026, 3, 1, 3, 0, 5, 250000, tzinfo=UTC)
KEY = ("oss_community", "oss_cluster", "apis-main", "E001")

pytestmark = pytest.mark.django_db


@pytest.fixture
def mail_port(settings) -> int:
    port = free_port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"  # pytest-django swaps in locmem
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_TIMEOUT = 5
    settings.NOTIFY_FROM = "apis@example.org"
    settings.NOTIFY_TO = ["ops@example.org"]
    settings.APIS_TIME_ZONE = "Asia/Tokyo"
    return port


@pytest.fixture
def mail_server(mail_port):
    server = MailServer(mail_port).start()
    yield server
    server.stop()


def test_detected_and_closed_mails_have_the_original_subject_and_body(mail_server):
    CommunitySetting.objects.create(community_id="oss_community", notify_to="a@example.org, b@example.org")
    open_failure("apis_main_alive", KEY, "The program may not be running.", NOW)
    failure = Failure.objects.get()
    close_failure(failure.pk, NOW + timedelta(minutes=2))
    assert deliver_due(NOW + timedelta(minutes=2)) == "2 mails sent, 0 failed"
    (sender, to, detected), (_, _, closed) = mail_server.received
    assert (sender, to) == ("apis@example.org", ["a@example.org", "b@example.org"])
    assert (
        detected["Subject"]
        == "[apis_main_alive] failure detected : oss_community > oss_cluster > apis-main > E001"
    )
    assert detected.get_content().replace("\r\n", "\n") == (
        "failure detected\n"
        "\n"
        "type: apis_main_alive\n"
        "communityId : oss_community\n"
        "clusterId: oss_cluster\n"
        "programId: apis-main\n"
        "unitId: E001\n"
        "detected: 2026-03-01 12:00:05.250000+09:00\n"
        "\n"
        "The program may not be running.\n"
    )
    assert (
        closed["Subject"]
        == "[apis_main_alive] failure closed : oss_community > oss_cluster > apis-main > E001"
    )
    assert "detected: 2026-03-01 12:00:05.250000+09:00\nclosed: 2026-03-01 12:02:05.250000+09:00\n" in (
        closed.get_content().replace("\r\n", "\n")
    )


def test_a_cluster_failure_without_program_and_a_community_without_setting_use_the_default(mail_server):
    open_failure("grid_master_alive", ("oss_community", "oss_cluster", None, None), "gone", NOW)
    deliver_due(NOW)
    ((_, to, message),) = mail_server.received
    assert to == ["ops@example.org"]
    assert message["Subject"] == "[grid_master_alive] failure detected : oss_community > oss_cluster"
    assert "programId" not in message.get_content()
    assert "unitId" not in message.get_content()


def test_a_mail_is_sent_once(mail_server):
    open_failure("apis_main_alive", KEY, "x", NOW)
    deliver_due(NOW)
    assert deliver_due(NOW + timedelta(hours=1)) == "0 mails sent, 0 failed"
    assert len(mail_server.received) == 1


def test_a_mail_not_sent_while_smtp_is_down_is_retried_later(mail_port):
    open_failure("apis_main_alive", KEY, "x", NOW)
    assert deliver_due(NOW) == "0 mails sent, 1 failed"
    notification = Notification.objects.get()
    assert notification.sent is None
    assert notification.attempts == 1
    assert "Connection" in notification.last_error
    assert deliver_due(NOW + timedelta(seconds=5)) == "0 mails sent, 0 failed"
    server = MailServer(mail_port).start()
    try:
        assert deliver_due(NOW + timedelta(seconds=11)) == "1 mails sent, 0 failed"
    finally:
        server.stop()
    assert server.subjects() == [
        "[apis_main_alive] failure detected : oss_community > oss_cluster > apis-main > E001"
    ]
    notification.refresh_from_db()
    assert (notification.sent is not None, notification.attempts, notification.last_error) == (True, 2, None)


def test_retries_back_off_up_to_an_hour(mail_port):
    open_failure("apis_main_alive", KEY, "x", NOW)
    moment = NOW
    delays = []
    for _ in range(11):
        deliver_due(moment)
        next_attempt = Notification.objects.get().next_attempt
        delays.append((next_attempt - moment).total_seconds())
        moment = next_attempt
    assert delays[:4] == [10, 20, 40, 80]
    assert delays[-1] == 3600


def test_community_recipients_must_be_valid_addresses():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        CommunitySetting(community_id="c", notify_to="ops@example.org, not-an-address").full_clean()
    CommunitySetting(community_id="c", notify_to="ops@example.org,dev@example.org").full_clean()
