"""Throttling of failed credential checks: one counter per identity shared by the four login surfaces (API
login, admin login, the misc credential endpoints, ``/api/token/``), whatever spelling of the name is tried,
and one per client address, resolved through trusted reverse proxies only."""

from collections.abc import Callable
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client
from django.utils import timezone

from apis.core import throttle
from apis.core.clientaddr import forwarded_client, parse_networks
from apis.core.models import ThrottleBucket

UNIT = {"communityId": "oss_community", "clusterId": "oss_cluster", "unitId": "E001"}

Surface = Callable[..., int]


def api_login(username: str, password: str, **meta: str) -> int:
    return Client().post("/api/core/login", {"username": username, "password": password}, **meta).status_code


def admin_login(username: str, password: str, **meta: str) -> int:
    form = {"username": username, "password": password, "next": "/admin/"}
    return Client().post("/admin/login/", form, **meta).status_code


def misc(username: str, password: str, **meta: str) -> int:
    form = {**UNIT, "account": username, "password": password}
    return Client().post("/api/misc/scenario/currentData", form, **meta).status_code


def jwt(username: str, password: str, **meta: str) -> int:
    body = {"username": username, "password": password}
    return Client().post("/api/token/", body, content_type="application/json", **meta).status_code


SURFACES: dict[str, Surface] = {"api": api_login, "admin": admin_login, "misc": misc, "jwt": jwt}
SUCCESS = {"api": 200, "admin": 302, "misc": 200, "jwt": 200}
FAILURE = {"api": 403, "admin": 200, "misc": 403, "jwt": 401}  # the admin shows its form again
# Spellings that Django's normalisation (strip, NFKC) turns into "admin": fullwidth, circled, padded.
SPELLINGS = ["admin", "ａｄｍｉｎ", "ⓐⓓⓜⓘⓝ", " ａdmin "]

pytestmark = pytest.mark.usefixtures("demo_registry")


@pytest.fixture
def limit(settings) -> int:
    settings.LOGIN_FAILURE_LIMIT = 2
    return 2


@pytest.mark.parametrize("surface", SURFACES)
def test_every_spelling_of_a_name_is_one_identity_at_every_surface(limit, surface):
    assert SURFACES[surface]("ａｄｍｉｎ", "admin") == SUCCESS[surface]
    for _ in range(limit):
        assert SURFACES[surface]("ⓐⓓⓜⓘⓝ", "wrong") == FAILURE[surface]
    for other in SURFACES:
        for spelling in SPELLINGS:
            assert SURFACES[other](spelling, "admin") == 429, (other, spelling)
    assert api_login("e001", "e001") == 200  # another identity is not affected


@pytest.mark.parametrize("surface", SURFACES)
def test_a_thousand_character_name_is_refused_and_throttled_never_an_error(settings, surface):
    settings.LOGIN_FAILURE_LIMIT = 1
    for name in ("a" * 1000, "😀" * 1000, "ａ" * 999 + "\u0301"):
        assert [SURFACES[surface](name, "guess") for _ in range(2)] == [FAILURE[surface], 429], name[:3]
    assert max(len(key) for key in ThrottleBucket.objects.values_list("key", flat=True)) < 100


def test_a_nul_character_in_a_json_user_name_is_a_400(limit):
    response = Client().post(
        "/api/token/", {"username": "admin\x00", "password": "x"}, content_type="application/json"
    )
    assert response.status_code == 400


@pytest.mark.parametrize("surface", ["api", "admin", "jwt"])
def test_a_successful_login_clears_only_its_own_identity(limit, surface):
    for _ in range(limit - 1):
        assert api_login("admin", "wrong") == 403
        assert api_login("e001", "wrong") == 403
    assert SURFACES[surface]("admin", "admin") == SUCCESS[surface]
    assert api_login("admin", "wrong") == 403  # admin starts over
    assert api_login("e001", "wrong") == 403  # e001 reaches its limit
    assert api_login("e001", "e001") == 429


def test_polling_successes_do_not_reset_a_guessers_allowance(limit):
    assert misc("admin", "wrong") == 403
    assert misc("admin", "admin") == 200
    assert misc("admin", "wrong") == 403
    assert misc("admin", "admin") == 429


def test_the_throttled_admin_login_shows_its_page_with_the_reason(limit):
    for _ in range(limit):
        admin_login("admin", "wrong")
    client = Client()
    response = client.post(
        "/admin/login/", {"username": "ａｄｍｉｎ", "password": "admin", "next": "/admin/"}
    )
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "Too many failed login attempts. Try again in" in response.content.decode()
    assert client.get("/admin/").status_code == 302  # still not logged in


def test_a_right_password_of_a_non_staff_user_at_the_admin_is_not_a_failure(limit):
    for _ in range(limit + 1):
        assert admin_login("e001", "e001") == 200
    assert api_login("e001", "e001") == 200


PROXY, OTHER_PROXY = "10.0.0.5", "2001:db8:ffff::5"


@pytest.fixture
def behind_proxy(settings, limit) -> int:
    """Trusted proxies configured; returns the per-address limit."""
    settings.TRUSTED_PROXIES = parse_networks([PROXY, "2001:db8:ffff::/48"])
    return limit * 5


def fail_from(address_limit: int, **meta: str) -> None:
    """As many failed logins as one address may make, each for another (unknown) name."""
    for number in range(address_limit):
        assert api_login(f"guess{number}", "wrong", **meta) == 403


def test_behind_a_trusted_proxy_one_client_does_not_lock_out_another(behind_proxy):
    fail_from(behind_proxy, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert api_login("e001", "e001", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.1") == 429
    assert api_login("e001", "e001", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.2") == 200
    # apis-ccc behind the same proxy keeps polling
    assert misc("e001", "e001", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.7, 198.51.100.3") == 200


def test_a_chain_of_trusted_proxies_is_walked_to_the_client(behind_proxy):
    chain = f"198.51.100.1, {PROXY}"
    fail_from(behind_proxy, REMOTE_ADDR=OTHER_PROXY, HTTP_X_FORWARDED_FOR=chain)
    assert api_login("e001", "e001", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.1") == 429
    assert api_login("e001", "e001", REMOTE_ADDR=OTHER_PROXY, HTTP_X_FORWARDED_FOR=PROXY) == 200


def test_a_forged_forwarded_for_from_an_untrusted_peer_changes_nothing(behind_proxy):
    attacker = "203.0.113.9"
    for number in range(behind_proxy):
        forged = f"198.51.100.{number + 1}"
        assert api_login(f"guess{number}", "wrong", REMOTE_ADDR=attacker, HTTP_X_FORWARDED_FOR=forged) == 403
    assert api_login("e001", "e001", REMOTE_ADDR=attacker, HTTP_X_FORWARDED_FOR="198.51.100.200") == 429
    # the forged addresses were not charged: their real owners behind the proxy log in
    assert api_login("e001", "e001", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.1") == 200


def test_without_trusted_proxies_the_forwarded_header_is_ignored(limit):
    fail_from(limit * 5, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert api_login("e001", "e001", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.2") == 429


def test_an_ipv6_client_is_counted_by_its_64_block(limit):
    fail_from(limit * 5, REMOTE_ADDR="2001:db8:1:2::a")
    assert api_login("e001", "e001", REMOTE_ADDR="2001:db8:1:2:ffff::b") == 429
    assert api_login("e001", "e001", REMOTE_ADDR="2001:db8:1:3::a") == 200


TRUSTED = parse_networks(["10.0.0.0/8", "fd00::/8", "192.0.2.1"])


@pytest.mark.parametrize(
    ("remote", "forwarded", "client"),
    [
        ("198.51.100.1", "", "198.51.100.1"),
        ("198.51.100.1", "10.1.1.1", "198.51.100.1"),  # an untrusted peer is the client
        ("10.0.0.1", "", "10.0.0.1"),  # a trusted peer without the header
        ("10.0.0.1", "198.51.100.7", "198.51.100.7"),
        ("10.0.0.1", "1.1.1.1, 198.51.100.7", "198.51.100.7"),  # the client's own entries are not read
        ("10.0.0.1", "198.51.100.7, 192.0.2.1,10.2.2.2", "198.51.100.7"),  # trusted hops are skipped
        ("10.0.0.1", "192.0.2.1, 10.2.2.2", "192.0.2.1"),  # only proxies: the farthest one
        ("10.0.0.1", "2001:DB8::7", "2001:db8::7"),
        ("fd00::1", "[2001:db8::7]:4711", "2001:db8::7"),
        ("10.0.0.1", "198.51.100.7:4711", "198.51.100.7"),
        ("::ffff:10.0.0.1", "::ffff:198.51.100.7", "198.51.100.7"),  # IPv4-mapped peers and clients
        ("10.0.0.1", "not-an-address", "10.0.0.1"),  # unreadable entry: the last trusted hop
        ("10.0.0.1", "198.51.100.7, unknown", "10.0.0.1"),
        ("10.0.0.1", "198.51.100.7, , 10.2.2.2", "10.2.2.2"),
        ("10.0.0.1", "[2001:db8::7", "10.0.0.1"),
        ("10.0.0.1", "1.2.3.4.5, 999.1.1.1", "10.0.0.1"),
        ("10.0.0.1", "x" * 10_000, "10.0.0.1"),
        ("", "198.51.100.7", ""),  # no peer address (unix socket): as given, never trusted
    ],
)
def test_the_client_address_is_the_rightmost_untrusted_forwarded_entry(remote, forwarded, client):
    assert forwarded_client(remote, forwarded, TRUSTED) == client


def test_without_trusted_proxies_the_peer_is_always_the_client():
    assert forwarded_client("10.0.0.1", "198.51.100.7", ()) == "10.0.0.1"


@pytest.mark.parametrize("item", ["10.0.0.300", "example.org", "10.0.0.0/33", "fd00::/129", ""])
def test_an_invalid_trusted_proxy_is_a_configuration_error_naming_it(item):
    with pytest.raises(ValueError, match="not an IP address or CIDR range"):
        parse_networks(["10.0.0.1", item])


def test_the_retention_job_deletes_ended_throttle_windows_and_keeps_running_ones(limit):
    """Every new name or address tried adds a counter: once its window has ended it is deleted by
    ``apis jobs``, so guessing many names cannot grow the table for ever; a running window stays."""
    from apis.jobs.registry import registered_jobs as jobs
    from apis.jobs.runner import run_job

    for number in range(5):
        api_login(f"nobody-{number}", "wrong")
    running = set(ThrottleBucket.objects.values_list("key", flat=True))
    ThrottleBucket.objects.create(key="name:ended", hits=3, window_ends=timezone.now() - timedelta(seconds=1))
    (retention,) = [job for job in jobs() if job.name == "log_retention"]
    assert run_job(retention)
    assert set(ThrottleBucket.objects.values_list("key", flat=True)) == running
    assert len(running) == 6  # five names and the one address
    assert api_login("nobody-0", "wrong") == 403  # its window still counts the earlier failure
    assert ThrottleBucket.objects.get(key__in=running, hits=2)


def test_the_retention_job_judges_ended_windows_at_the_moment_it_is_run_for(limit):
    from apis.jobs.registry import registered_jobs as jobs
    from apis.jobs.runner import run_job

    api_login("nobody", "wrong")
    (retention,) = [job for job in jobs() if job.name == "log_retention"]
    assert run_job(retention, timezone.now())
    assert ThrottleBucket.objects.count() == 2  # the name's and the address's windows still run
    assert run_job(retention, timezone.now() + timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_SEC + 1))
    assert ThrottleBucket.objects.count() == 0


@pytest.mark.parametrize("surface", ["api", "admin", "jwt"])
def test_a_successful_login_clears_the_failures_of_its_identity(limit, surface):
    login = SURFACES[surface]
    for _ in range(limit - 1):
        assert login("admin", "wrong") == FAILURE[surface]
    assert login("admin", "admin") == SUCCESS[surface]
    assert login("admin", "wrong") == FAILURE[surface]  # counted from zero again: under the limit
    assert login("admin", "admin") == SUCCESS[surface]


def test_an_event_racing_the_creation_of_its_key_is_counted_on_the_row_the_other_created(monkeypatch):
    real_atomic = transaction.atomic

    @contextmanager
    def raced(*args, **kwargs):
        # The other event creates the key's row between this one's look-ups and its INSERT.
        ThrottleBucket.objects.create(
            key="name:raced", hits=1, window_ends=timezone.now() + timedelta(minutes=5)
        )
        with real_atomic(*args, **kwargs):
            yield

    monkeypatch.setattr(throttle.transaction, "atomic", raced)
    hits, _ = throttle.count_event("name:raced", 300)
    assert hits == 2
    assert ThrottleBucket.objects.get(key="name:raced").hits == 2
