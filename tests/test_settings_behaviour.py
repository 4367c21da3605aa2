"""What the web-security and timing variables do, each given two values whose settings, as ``apis.settings``
derives them, are applied to a request, a monitoring check or a downtime pass; and the pages' strict CSP."""

import os
import runpy
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.utils import timezone

import apis.settings
from apis.downtime.extract import extract_pass
from apis.jobs.runner import ensure_schedule, run_due
from apis.monitoring.jobs import monitoring_jobs
from apis.monitoring.lifecycle import run_check
from apis.monitoring.models import Failure
from tests.downtimes import at, downtimes, report
from tests.helpers import NOW, UNITS, activate, log

FAST_HASHER = "django.contrib.auth.hashers.MD5PasswordHasher"
LOGIN = "/admin/login/"


@pytest.fixture
def from_env(monkeypatch, settings, tmp_path):
    """``from_env("NAME", ..., APIS_X="1")``: the settings ``NAME``… as ``apis.settings`` derives them from an
    environment holding only ``APIS_X`` (and a secret key), applied for the test."""

    def apply(*names: str, **variables: str) -> None:
        for name in [name for name in os.environ if name.startswith("APIS_")]:
            monkeypatch.delenv(name)
        environment = {"APIS_SECRET_KEY": "behaviour-test-key-" + "b" * 40, "APIS_VAR_DIR": str(tmp_path)}
        for name, value in (environment | variables).items():
            monkeypatch.setenv(name, value)
        derived = runpy.run_path(apis.settings.__file__)
        for name in names:
            setattr(settings, name, derived[name])

    return apply


@pytest.fixture
def operator(db, settings, django_user_model):
    """A staff user (``operator`` / ``operator-pass-1``), hashed fast; returns the login form."""
    settings.PASSWORD_HASHERS = [FAST_HASHER]
    django_user_model.objects.create_user("operator", password="operator-pass-1", is_staff=True)
    return {"username": "operator", "password": "operator-pass-1", "next": "/admin/"}


# ---- APIS_ALLOWED_HOSTS, APIS_CSRF_TRUSTED_ORIGINS, APIS_SECURE_COOKIES ---------------------------------


@pytest.mark.parametrize(
    ("allowed", "served", "refused"),
    [
        ("sc.example.org", "sc.example.org", "other.example.org"),
        ("other.example.org", "other.example.org", "sc.example.org"),
    ],
)
def test_a_host_outside_allowed_hosts_gets_400_and_one_inside_gets_through(
    from_env, allowed, served, refused
):
    from_env("ALLOWED_HOSTS", APIS_ALLOWED_HOSTS=allowed)
    assert Client(HTTP_HOST=served).get("/api/core/csrftoken").status_code == 200
    answer = Client(HTTP_HOST=refused).get("/api/core/csrftoken")
    assert (answer.status_code, answer.content) == (400, b"bad request : DisallowedHost")


@pytest.mark.parametrize(
    ("trusted", "status"), [("https://sc.example.org", 302), ("https://other.example.org", 403)]
)
def test_a_login_posted_over_https_from_another_origin_is_refused_unless_that_origin_is_trusted(
    from_env, operator, trusted, status
):
    # Behind a TLS proxy the server is reached as apis.internal while the browser is at https://sc.example.org.
    from_env(
        "ALLOWED_HOSTS",
        "CSRF_TRUSTED_ORIGINS",
        APIS_ALLOWED_HOSTS="apis.internal",
        APIS_CSRF_TRUSTED_ORIGINS=trusted,
    )
    browser = Client(enforce_csrf_checks=True, HTTP_HOST="apis.internal")
    assert browser.get(LOGIN, secure=True).status_code == 200
    form = operator | {"csrfmiddlewaretoken": browser.cookies["csrftoken"].value}
    answer = browser.post(LOGIN, form, secure=True, HTTP_ORIGIN="https://sc.example.org")
    assert answer.status_code == status
    if status == 403:
        assert (
            b"Origin checking failed - https://sc.example.org does not match any trusted origins"
            in answer.content
        )
    else:
        assert answer["Location"] == "/admin/"


@pytest.mark.parametrize(("value", "secure"), [("1", True), ("0", False)])
def test_the_session_and_csrf_cookies_of_a_login_are_secure_only_with_secure_cookies(
    from_env, operator, value, secure
):
    from_env("SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", APIS_SECURE_COOKIES=value)
    answer = Client().post(LOGIN, operator)
    assert answer.status_code == 302
    assert {name: bool(answer.cookies[name]["secure"]) for name in ("sessionid", "csrftoken")} == {
        "sessionid": secure,
        "csrftoken": secure,
    }


# ---- Content-Security-Policy of the pages -----------------------------------------------------------------

CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
PAGES = [
    (None, "/"),
    *(("admin", f"/staff/{name}") for name in ("visual", "availability", "deal", "monitoring", "history")),
    ("admin", "/datasets"),
    *(("e001", f"/resident/{name}") for name in ("visual", "deal", "scenario")),
]


class Resources(HTMLParser):
    """The scripts (src or ``None`` for an inline one, and type) and stylesheets of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[tuple[str | None, str | None]] = []
        self.styles: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        attributes = dict(attrs)
        if tag == "script":
            self.scripts.append((attributes.get("src"), attributes.get("type")))
        elif tag == "link" and attributes.get("rel") == "stylesheet":
            self.styles.append(attributes["href"])


def policy(header: str) -> dict[str, list[str]]:
    directives = (directive.split() for directive in header.split(";") if directive.strip())
    return {name: sources for name, *sources in directives}


@pytest.mark.parametrize(("user", "path"), PAGES, ids=[path for _, path in PAGES])
def test_a_page_has_the_strict_policy_and_loads_only_scripts_and_styles_of_this_server(client_as, user, path):
    browser = client_as(user)
    answer = browser.get(path)
    assert answer.status_code == 200
    assert policy(answer.get("Content-Security-Policy", "")) == CSP
    page = Resources()
    page.feed(answer.content.decode())
    executed = [src for src, kind in page.scripts if kind != "application/json"]
    assert executed and None not in executed  # no inline script: script-src has no 'unsafe-inline'
    for url in [*executed, *page.styles]:
        parts = urlsplit(url)
        assert (parts.scheme, parts.netloc) == ("", ""), url
        assert browser.get(url).status_code == 200, url


# ---- APIS_MONITORING_INTERVAL_SEC and its per-type override -----------------------------------------------


def open_failures(job_type: str) -> list[tuple[str | None, str | None]]:
    rows = Failure.objects.filter(type=job_type, closed__isnull=True).order_by("unit_id")
    return [(failure.program_id, failure.unit_id) for failure in rows]


@pytest.mark.parametrize(
    ("own", "failing"), [("300", []), ("100", list(UNITS))], ids=["own_300_s", "own_100_s"]
)
def test_a_job_type_with_its_own_interval_looks_back_that_far_while_another_keeps_the_default(
    demo_registry, from_env, settings, own, failing
):
    from_env(
        "MONITORING_INTERVALS",
        APIS_MONITORING_INTERVAL_SEC="60",
        APIS_MONITORING_INTERVAL_SEC_APIS_MAIN_ALIVE=own,
    )
    settings.LOG_CLOCK_SKEW_SEC = 120
    activate("apis_main_alive", "apis_ccc_alive")
    for unit in UNITS:
        log("apis-main", unit, f"uri : /get/unit/{unit}", ago=200)
    log("apis-ccc", None, "reporting unit data ...", ago=90)  # beyond the default 60 s
    run_check("apis_main_alive", NOW)
    run_check("apis_ccc_alive", NOW)
    assert open_failures("apis_main_alive") == [("apis-main", unit) for unit in failing]
    assert open_failures("apis_ccc_alive") == [("apis-ccc", None)]


@pytest.mark.parametrize(
    ("own", "due_after_70_s"),
    [("300", ["apis_ccc_alive"]), ("65", ["apis_main_alive", "apis_ccc_alive"])],
    ids=["own_300_s", "own_65_s"],
)
def test_the_runner_runs_a_job_type_with_its_own_interval_at_that_interval(db, from_env, own, due_after_70_s):
    from_env(
        "MONITORING_INTERVALS",
        APIS_MONITORING_INTERVAL_SEC="60",
        APIS_MONITORING_INTERVAL_SEC_APIS_MAIN_ALIVE=own,
    )
    jobs = [job for job in monitoring_jobs() if job.name in ("apis_main_alive", "apis_ccc_alive")]
    start = timezone.now()
    ensure_schedule(jobs, start)
    assert run_due(jobs, start) == ["apis_main_alive", "apis_ccc_alive"]
    assert run_due(jobs, start + timedelta(seconds=70)) == due_after_70_s


# ---- APIS_DATA_LOSS_TOLERANCE_SEC -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tolerance", "expected"), [("120", [(0, 200)]), ("300", [])], ids=["120_s", "300_s"]
)
def test_a_200_s_gap_between_records_is_a_downtime_with_a_120_s_tolerance_and_not_with_300_s(
    db, from_env, tolerance, expected
):
    from_env("DATA_LOSS_TOLERANCE_SEC", APIS_DATA_LOSS_TOLERANCE_SEC=tolerance)
    report("E001", 0, 200)
    extract_pass(now=at(200))
    assert downtimes() == expected
