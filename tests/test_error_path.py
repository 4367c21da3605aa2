"""One error path: request parsers raise ``InvalidRequest`` and the ``api`` decorator answers it with the
original's plain-text 400 (same body, content type and cache headers as every other answer)."""

import json

import pytest
from django.test import RequestFactory

from apis.core.decorators import api, int_param, query_period
from apis.core.errors import InvalidRequest
from apis.core.http import json_response

requests = RequestFactory()


@api("GET")
def period_and_points(request):
    start, end = query_period(request)
    points = int_param(request, "points", 10, 100)
    return json_response({"start": start, "end": end, "points": points})


@api("POST")
def refusing(request):
    raise InvalidRequest("<b>not a resident</b>")


def test_a_raised_invalid_request_is_answered_as_plain_text_400_uncached():
    response = refusing(requests.post("/"))
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode() == "<b>not a resident</b>"
    assert "no-store" in response["Cache-Control"]


def test_the_method_is_checked_before_the_view_can_refuse():
    response = refusing(requests.get("/"))
    assert response.status_code == 405
    assert response["Allow"] == "POST"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("datetimeFrom=soon", "invalid datetimeFrom : soon (expected ISO 8601, e.g. 2020-01-01T00:00:00Z)"),
        (
            "datetimeTo=2020-13-01",
            "invalid datetimeTo : 2020-13-01 (expected ISO 8601, e.g. 2020-01-01T00:00:00Z)",
        ),
        (
            "datetimeFrom=2020-01-02T00:00:00Z&datetimeTo=2020-01-01T00:00:00Z",
            "“datetimeTo” should be greater than “datetimeFrom”",
        ),
        ("points=0", "invalid points : 0 (expected an integer from 1 to 100)"),
        ("points=101", "invalid points : 101 (expected an integer from 1 to 100)"),
        ("points=" + "9" * 50, f"invalid points : {'9' * 40} (expected an integer from 1 to 100)"),
    ],
)
def test_parsers_refuse_bad_values_with_the_original_messages(query, message):
    response = period_and_points(requests.get(f"/?{query}"))
    assert (response.status_code, response.content.decode()) == (400, message)
    assert response["Content-Type"] == "text/plain; charset=utf-8"


def test_parsers_return_the_values_of_a_good_request():
    response = period_and_points(requests.get("/?datetimeFrom=2020-01-01T00:00:00Z&points=100"))
    assert response.status_code == 200
    assert json.loads(response.content) == {"start": "2020-01-01T00:00:00Z", "end": None, "points": 100}
    defaults = period_and_points(requests.get("/"))
    assert json.loads(defaults.content) == {"start": None, "end": None, "points": 10}
