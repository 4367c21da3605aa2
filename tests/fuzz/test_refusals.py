"""Refusals the fuzzer found answered in HTML (Django's own pages), now answered like every other message of
the API and the pages: plain text, or the ESS error JSON under ``/api/ess/`` and ``/api/token/``."""

import json

import pytest

ESS_ERROR_KEYS = {"code", "exception type", "message"}


def plain_text(response) -> str:
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    return response.content.decode()


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("put", "/api/staff/deal/list", "GET"),
        ("get", "/api/core/login", "POST"),
        ("delete", "/api/resident/scenario/choose", "POST"),
        ("get", "/api/ccc/t/some-token/unitData", "POST"),
        ("patch", "/api/misc/scenario/currentData", "POST"),
        ("options", "/api/staff/client.js", "GET"),
        ("post", "/", "GET"),
        ("put", "/staff/visual", "GET"),
        ("delete", "/datasets", "GET"),
        ("get", "/staff/select", "POST"),
        ("post", "/static/ui_example/staff/visual.html", "GET, HEAD"),
    ],
)
def test_a_method_the_endpoint_does_not_take_is_refused_with_a_plain_text_message(
    client, method, path, allowed
):
    response = client.generic(method.upper(), path)
    assert response.status_code == 405
    assert response["Allow"] == allowed
    assert plain_text(response) == f"method not allowed (allowed: {allowed})"


def test_the_legacy_switch_allows_get_for_the_mutating_calls_in_the_405_message_too(client, settings):
    settings.LEGACY_COMPAT = True
    response = client.put("/api/core/logout")
    assert response["Allow"] == "POST, GET"
    assert plain_text(response) == "method not allowed (allowed: POST, GET)"


@pytest.mark.parametrize(
    "path",
    ["/api/misc/scenario/currentData", "/api/ccc/unitData", "/api/ccc/t/some-token/deal", "/api/core/login"],
)
@pytest.mark.parametrize(
    ("content_type", "message"),
    [
        ("multipart/form-data", "bad request : Invalid boundary in multipart: None"),
        ("multipart/form-data; boundary=", "bad request : Invalid boundary in multipart: "),
    ],
)
def test_a_multipart_body_django_cannot_parse_is_a_plain_text_400(client, path, content_type, message):
    response = client.post(path, data=b'[{"a": 1}]', content_type=content_type)
    assert response.status_code == 400
    assert plain_text(response) == message


def test_more_form_fields_than_django_reads_is_a_plain_text_400_naming_the_refusal(client, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    body = "&".join(f"f{i}=x" for i in range(10))
    response = client.post(
        "/api/misc/scenario/update", body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    assert plain_text(response) == "bad request : TooManyFieldsSent"


@pytest.mark.parametrize("path", ["/api/token/", "/api/token/refresh/"])
def test_an_unparsable_body_at_the_jwt_endpoints_is_an_ess_error(client, path):
    response = client.post(path, data=b"{}", content_type="multipart/form-data")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    body = json.loads(response.content)
    assert set(body) == ESS_ERROR_KEYS
    assert body["code"] == "400" and body["message"] == "bad request : Invalid boundary in multipart: None"


@pytest.mark.parametrize("path", ["/api/staff/no-such-call", "/api/staff/community/outline/", "/nowhere"])
def test_an_unknown_path_is_a_plain_text_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert plain_text(response) == "not found"


def test_an_unknown_ess_path_is_an_ess_error(client):
    response = client.get("/api/ess/nowhere/")
    assert response.status_code == 404
    assert json.loads(response.content) == {
        "code": "404",
        "exception type": "Not Found",
        "message": "not found",
    }


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "/staff/visual"), ("post", "/staff/select"), ("post", "/<img src=x onerror=alert(1)>/select")],
)
def test_a_page_of_a_role_the_user_lacks_is_refused_in_plain_text_not_in_html(client_as, method, path):
    """The refusal echoes the role of the path: as HTML, markup in it would be rendered."""
    response = getattr(client_as("e001"), method)(path)
    assert response.status_code == 403
    assert plain_text(response) == f"{path.split('/')[1]} required"


def test_a_selection_that_is_not_offered_is_refused_in_plain_text(client_as):
    response = client_as("e001").post("/resident/select", {"selection": "<i>elsewhere</i>"})
    assert response.status_code == 400
    assert plain_text(response) == "bad selection"


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/api/ess/operating-sites/1/pcs/", "start-time"),
        ("/api/ess/download/operating-sites/1/rack/", "fields"),
    ],
)
def test_a_nul_character_in_an_ess_parameter_is_an_ess_error(client, path, name):
    response = client.get(path, {name: "2022-09-01\x00"})
    assert response.status_code == 400
    assert json.loads(response.content) == {
        "code": "400",
        "exception type": "Value Error",
        "message": f"bad param values : {name}",
    }


def test_a_nul_character_elsewhere_is_still_a_plain_text_400(client):
    response = client.get("/api/staff/deal/list", {"communityId": "oss\x00"})
    assert response.status_code == 400
    assert plain_text(response) == "bad param values : communityId"
