"""Failed logins are counted per identity and per client address, each in its own time window: a guesser
who changes the user name every time is stopped by the address, and failures count only while their
window lasts."""

from datetime import timedelta

import pytest
from django.test import RequestFactory
from django.utils import timezone

from apis.core import throttle
from apis.core.models import ThrottleBucket

requests = RequestFactory()


def _from(address: str):
    return requests.post("/api/core/login", REMOTE_ADDR=address)


@pytest.fixture
def limit(settings) -> int:
    settings.LOGIN_FAILURE_LIMIT = 3
    settings.LOGIN_FAILURE_WINDOW_SEC = 600
    return 3


@pytest.mark.django_db
def test_a_new_user_name_for_every_guess_is_stopped_by_the_address_limit(limit):
    guesser = _from("198.51.100.7")
    for n in range(limit * throttle.ADDRESS_FACTOR):
        keys = throttle.credential_keys(guesser, f"guess{n}")
        assert throttle.retry_after(keys) is None, f"blocked after {n} failures"
        throttle.record_failure(keys)
    assert throttle.retry_after(throttle.credential_keys(guesser, "yet-another-name")) is not None
    # Another client trying one of those names is not blocked by the guesser's address.
    assert throttle.retry_after(throttle.credential_keys(_from("203.0.113.9"), "guess0")) is None


@pytest.mark.django_db
def test_one_name_is_blocked_after_its_limit_from_any_address(limit):
    for n in range(limit):
        throttle.record_failure(throttle.credential_keys(_from(f"192.0.2.{n + 1}"), "admin"))
    wait = throttle.retry_after(throttle.credential_keys(_from("192.0.2.200"), "admin"))
    assert wait is not None and 590 <= wait <= 600


@pytest.mark.django_db
def test_failures_count_only_while_their_window_lasts(limit):
    keys = throttle.credential_keys(_from("198.51.100.8"), "admin")
    for _ in range(limit):
        throttle.record_failure(keys)
    assert throttle.retry_after(keys) is not None
    # The window ends: the name and the address are open again, and counting starts anew.
    ThrottleBucket.objects.update(window_ends=timezone.now() - timedelta(seconds=1))
    assert throttle.retry_after(keys) is None
    hits, window_ends = throttle.count_event(next(iter(keys)), 600)
    assert hits == 1
    assert window_ends > timezone.now() + timedelta(seconds=590)
    # Inside a window every failure counts.
    assert throttle.count_event(next(iter(keys)), 600)[0] == 2
