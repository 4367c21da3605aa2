"""``/api/core/``: CSRF token, login, logout, session, and the throttling of failed credential checks."""

import re

import pytest
from django.test import Client

ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z$")
UNIT = {"communityId": "oss_community", "clusterId": "oss_cluster", "unitId": "E001"}


@pytest.fixture
def browser(demo_registry) -> Client:
    """A client that enforces CSRF like a browser session does."""
    return Client(enforce_csrf_checks=True)


def csrf_token(client: Client) -> str:
    return client.get("/api/core/csrftoken").json()["csrfmiddlewaretoken"]


def login(client: Client, username: str, password: str, **extra) -> object:
    data = {"username": username, "password": password, "csrfmiddlewaretoken": csrf_token(client), **extra}
    return client.post("/api/core/login", data)


def test_csrftoken_sets_the_cookie_and_returns_a_usable_token(browser):
    response = browser.get("/api/core/csrftoken")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.cookies["csrftoken"].value
    token = response.json()["csrfmiddlewaretoken"]
    answer = browser.post(
        "/api/core/login", {"username": "e001", "password": "e001", "csrfmiddlewaretoken": token}
    )
    assert answer.status_code == 200


def test_login_without_csrf_token_is_refused_in_plain_text(browser):
    response = browser.post("/api/core/login", {"username": "e001", "password": "e001"})
    assert response.status_code == 403
    assert response["Content-Type"].startswith("text/plain")
    assert response.content.decode().startswith("CSRF verification failed")
    assert browser.get("/api/core/session").status_code == 403


def test_login_with_wrong_password_fails(browser):
    response = login(browser, "e001", "wrong")
    assert (response.status_code, response.content) == (403, b"login failed")
    assert browser.get("/api/core/session").content == b"login required"


def test_login_of_unknown_or_inactive_user_fails(browser, django_user_model):
    django_user_model.objects.filter(username="e002").update(is_active=False)
    assert login(browser, "nobody", "nobody").content == b"login failed"
    assert login(browser, "e002", "e002").content == b"login failed"


def test_login_by_get_is_not_allowed(browser):
    response = browser.get("/api/core/login", {"username": "e001", "password": "e001"})
    assert response.status_code == 405
    assert response["Allow"] == "POST"


def test_login_answers_session_info_without_the_session_id(browser):
    response = login(browser, "admin", "admin")
    assert response.status_code == 200
    info = response.json()
    assert list(info) == ["expiry_age", "expiry_date", "user"]
    assert info["user"] == {
        "username": "admin",
        "last_name": "",
        "first_name": "",
        "email": "admin@example.com",
    }
    assert info["expiry_age"] > 0
    assert ISO_Z.match(info["expiry_date"])
    assert browser.cookies["sessionid"].value not in response.content.decode()


def test_legacy_compat_adds_the_session_id_to_the_session_info(browser, settings):
    settings.LEGACY_COMPAT = True
    info = login(browser, "e001", "e001").json()
    assert info["sessionid"] == browser.cookies["sessionid"].value
    assert browser.get("/api/core/session").json()["sessionid"] == info["sessionid"]


def test_a_next_parameter_does_not_turn_a_successful_login_into_a_failure(browser):
    response = login(browser, "e001", "e001", next="/admin/")
    assert response.status_code == 200
    assert response.json()["user"]["username"] == "e001"


def test_session_requires_login_and_then_describes_it(browser):
    anonymous = browser.get("/api/core/session")
    assert (anonymous.status_code, anonymous.content) == (403, b"login required")
    login(browser, "e001", "e001")
    info = browser.get("/api/core/session").json()
    assert info["user"]["username"] == "e001"
    assert "sessionid" not in info


def test_any_user_may_log_in_even_without_a_role(browser):
    assert login(browser, "nonresident", "nonresident").status_code == 200


def test_logout_is_a_csrf_protected_post(browser):
    login(browser, "e001", "e001")
    refused = browser.post("/api/core/logout")
    assert refused.status_code == 403
    assert browser.get("/api/core/session").status_code == 200
    response = browser.post("/api/core/logout", {"csrfmiddlewaretoken": csrf_token(browser)})
    assert (response.status_code, response.content) == (200, b"")
    assert browser.get("/api/core/session").status_code == 403


def test_a_csrf_token_in_the_query_string_is_refused_unless_legacy_compat(browser, settings):
    login(browser, "e001", "e001")
    refused = browser.post(f"/api/core/logout?csrfmiddlewaretoken={csrf_token(browser)}")
    assert refused.status_code == 403
    assert browser.get("/api/core/session").status_code == 200
    settings.LEGACY_COMPAT = True
    response = browser.post(f"/api/core/logout?csrfmiddlewaretoken={csrf_token(browser)}")
    assert response.status_code == 200
    assert browser.get("/api/core/session").status_code == 403


def test_logout_accepts_the_csrf_token_in_the_x_csrftoken_header(browser):
    login(browser, "e001", "e001")
    response = browser.post("/api/core/logout", HTTP_X_CSRFTOKEN=csrf_token(browser))
    assert response.status_code == 200
    assert browser.get("/api/core/session").status_code == 403


def test_logout_without_a_session_still_answers_ok(browser):
    response = browser.post("/api/core/logout", {"csrfmiddlewaretoken": csrf_token(browser)})
    assert (response.status_code, response.content) == (200, b"")


def test_logout_by_get_is_refused_unless_legacy_compat(browser, settings):
    login(browser, "e001", "e001")
    refused = browser.get("/api/core/logout")
    assert (refused.status_code, refused["Allow"]) == (405, "POST")
    assert browser.get("/api/core/session").status_code == 200
    settings.LEGACY_COMPAT = True
    assert browser.get("/api/core/logout").status_code == 200
    assert browser.get("/api/core/session").status_code == 403


@pytest.fixture
def low_limit(settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    return 3


def test_repeated_login_failures_block_even_the_right_password(browser, low_limit):
    for _ in range(low_limit):
        assert login(browser, "e001", "wrong").status_code == 403
    blocked = login(browser, "e001", "e001")
    assert blocked.status_code == 429
    assert int(blocked["Retry-After"]) > 0
    assert browser.get("/api/core/session").status_code == 403


def test_login_throttle_is_per_user(browser, low_limit):
    for _ in range(low_limit):
        login(browser, "e001", "wrong")
    assert login(browser, "e002", "e002").status_code == 200


def test_a_successful_login_forgets_earlier_failures(browser, low_limit):
    for _ in range(low_limit - 1):
        login(browser, "e001", "wrong")
    assert login(browser, "e001", "e001").status_code == 200
    for _ in range(low_limit - 1):
        login(browser, "e001", "wrong")
    assert login(browser, "e001", "e001").status_code == 200


def test_misc_credential_failures_count_towards_the_login_throttle(browser, low_limit):
    for _ in range(low_limit):
        response = browser.post(
            "/api/misc/scenario/currentData", {**UNIT, "account": "e001", "password": "x"}
        )
        assert response.status_code == 403
    assert login(browser, "e001", "e001").status_code == 429
    misc = browser.post("/api/misc/scenario/currentData", {**UNIT, "username": "e001", "password": "e001"})
    assert misc.status_code == 429
    assert int(misc["Retry-After"]) > 0


@pytest.mark.parametrize(
    ("path", "form"),
    [
        ("/api/core/login", {"username": "e\x00", "password": "x"}),
        ("/api/misc/scenario/currentData", {**UNIT, "account": "e\x00", "password": "x"}),
        (
            "/api/misc/scenario/currentData",
            {**UNIT, "unitId": "E\x00", "account": "e001", "password": "e001"},
        ),
        (
            "/api/misc/scenario/update",
            {**UNIT, "account": "e001", "password": "e001", "name": "A\x00", "data": "{}"},
        ),
    ],
)
def test_nul_characters_in_credentials_or_ids_are_refused_without_error(client_as, path, form):
    response = client_as(None).post(path, form)
    assert 400 <= response.status_code < 500


def test_nul_characters_in_query_ids_are_refused_without_error(client_as):
    response = client_as("e001").get("/api/resident/scenario/availableList", {**UNIT, "unitId": "E\x00"})
    assert response.status_code == 400
