"""Hostile ESS requests: every path segment and parameter, at and beyond its bounds, is a 4xx in the
specification's shape ``{"code", "exception type", "message"}`` with a short message, never a 500."""

import base64
import json

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

BASE = "/api/ess/operating-sites"
DOWNLOAD = "/api/ess/download/operating-sites"
DAY = "date=2022-09-01"
RANGE = "start-time=2022-09-01T10:00:00&end-time=2022-09-01T11:00:00"
LONG = "9" * 10_000


def refused(answer, status: int = 400, kind: str | None = None) -> str:
    """Assert a refusal in the spec's shape with a message of reasonable length; returns the message."""
    assert answer.status_code == status, answer.content[:300]
    body = answer.json()
    assert set(body) == {"code", "exception type", "message"}
    assert body["code"] == str(status) and body["message"]
    assert len(body["message"]) < 1_000
    if kind is not None:
        assert body["exception type"] == kind
    return body["message"]


def cursor(payload: object | bytes, direction: str = "n") -> str:
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return f"{direction}." + base64.urlsafe_b64encode(raw).decode().rstrip("=")


NOT_ASCII_DIGITS = ["²", "١", "１", "߁", "𝟙"]  # each is str.isdigit() but no ASCII number


@pytest.mark.parametrize("digit", NOT_ASCII_DIGITS)
@pytest.mark.parametrize(
    "template",
    [
        BASE + "/{d}/pcs/",
        BASE + "/1/banks/{d}/",
        BASE + "/1/banks/1/racks/{d}/",
        DOWNLOAD + "/{d}/pcs/?" + RANGE,
        DOWNLOAD + "/1/rack/?" + RANGE + "&bank_id={d}",
        DOWNLOAD + "/1/rack/?" + RANGE + "&rack_id=1{d}",
    ],
)
def test_a_digit_that_is_not_ascii_is_a_400_in_every_id(researcher, read_only_sites, template, digit):
    assert "must be a number" in refused(researcher.get(template.format(d=digit)), kind="Value Error")


@pytest.mark.parametrize("raw", ["1" * 10, "0" * 10_000, "-1", "+1", "1.0", "1e3", " 1", "0x1"])
def test_an_id_that_is_not_a_short_number_is_a_400(researcher, read_only_sites, raw):
    refused(researcher.get(f"{BASE}/1/banks/{raw}/"), kind="Value Error")
    refused(researcher.get(f"{BASE}/{raw}/pcs/"), kind="Value Error")


@pytest.mark.parametrize(
    "payload",
    [
        b"[" * 100_000,
        b"[" * 380,
        b"[" * 190 + b"]" * 190,
        [["2022-09-01T10:00:00+09:00"], 1],
        ["2022-09-01T10:00:00+09:00", 10**30],
        ["2022-09-01T10:00:00+09:00", 2**63],
        ["2022-09-01T10:00:00+09:00", -(2**63) - 1],
        b'["2022-09-01T10:00:00+09:00", ' + b"9" * 5_000 + b"]",
        ["2022-09-01T10:00:00+09:00", 1.5],
        ["2022-09-01T10:00:00+09:00", True],
        ["2022-09-01T10:00:00+09:00", "1"],
        ["2022-09-01T10:00:00+09:00", None],
        [1662000000, 1],
        [None, 1],
        [{"time": "2022-09-01T10:00:00+09:00"}, 1],
        {"n": ["2022-09-01T10:00:00+09:00", 1]},
        ["2022-09-01T10:00:00+09:00"],
        ["2022-09-01T10:00:00+09:00", 1, 1],
        ["0001-01-01T00:00:00+14:00", 1],
        ["9999-12-31T23:00:00-05:00", 1],
        ["1899-12-31T23:59:59+00:00", 1],
        ["yesterday", 1],
        ["2022-09-01T10:00:00+09:00" + " " * 100, 1],
        b'["2022-09-01T10:00:00+09:00", NaN]',
        b'["2022-09-01T10:00:00+09:00", 1e999]',
        b"\xff\xfe\x00[",
        b"",
    ],
)
def test_a_forged_cursor_is_a_400(researcher, read_only_sites, payload):
    answer = researcher.get(f"{BASE}/1/banks/1/", {"cursor": cursor(payload)})
    message = refused(answer, kind="Value Error")
    assert message.startswith("cursor is not valid") or message == "cursor is longer than 4096 characters"


@pytest.mark.parametrize("raw", ["x.abc", "n." + "A" * 600, "n.²", "n.%%%", "p", "n"])
def test_a_cursor_that_is_not_base64_json_is_a_400(researcher, read_only_sites, raw):
    refused(researcher.get(f"{BASE}/1/pcs/", {"cursor": raw}), kind="Value Error")


def test_a_cursor_made_by_the_service_still_pages(researcher, read_only_sites):
    first = researcher.get(f"{BASE}/1/banks/1/?cursor=&page_size=5").json()
    second = researcher.get(first["next"]).json()
    assert (
        len(second["results"]) == 5 and second["results"][0]["timestamp"] > first["results"][-1]["timestamp"]
    )


@pytest.mark.parametrize(
    "query",
    [
        "date=9999-12-31",
        "date=9998-12-31",  # its end, 9999-01-01 local, is still in range: only the next day is not
        "date=0001-01-01",
        "date=1899-12-31",
        "date=0000-01-01",
        "start-time=0001-01-01T00:00:00%2B14:00",
        "start-time=0001-01-01T00:00:00",
        "start-time=9999-12-31T23:00:00-05:00",
        "end-time=9999-12-31T23:59:59.999999",
        "end-time=9999-01-01T00:00:00Z",
        "start-time=1899-12-31T23:59:59Z",
        "start-time=1900-01-01T00:00:00",  # 1899-12-31 in UTC: the site's zone is ahead of UTC
    ],
)
def test_a_time_outside_the_supported_range_is_a_400(researcher, read_only_sites, query):
    if query == "date=9998-12-31":
        assert researcher.get(f"{BASE}/1/pcs/?{query}").status_code == 200
        return
    message = refused(researcher.get(f"{BASE}/1/pcs/?{query}"), kind="Value Error")
    assert "outside the supported range" in message or "does not exist" in message
    end = "end-time=9999-01-01T00:00:00Z" if query.startswith("start") else "start-time=1900-01-02T00:00:00Z"
    download = query if query.startswith("date") else f"{query}&{end}"
    refused(researcher.get(f"{DOWNLOAD}/1/pcs/?{download}"), kind="Value Error")


def test_the_edges_of_the_supported_range_are_accepted(researcher, read_only_sites):
    answer = researcher.get(f"{BASE}/1/pcs/?start-time=1900-01-01T00:00:00Z&end-time=9998-12-31T23:59:59Z")
    assert answer.status_code == 200 and answer.json()["count"] == 144


def test_an_unencoded_plus_in_an_offset_gets_a_hint(researcher, read_only_sites):
    for raw in ("2022-09-01 10:00:00+09:00", "2022-09-01T10:00:00+0900"):
        assert "%2B" in refused(researcher.get(f"{BASE}/1/pcs/?start-time={raw}"))
    assert "%2B" not in refused(researcher.get(f"{BASE}/1/pcs/?start-time=2022-09-01T25:00:00"))


@pytest.mark.parametrize("name", ["page", "page_size"])
@pytest.mark.parametrize("raw", ["9" * 5_000, "9" * 10, "²", "-1", "0", "1e3", "1.5", " 1", "one"])
def test_a_page_number_or_size_that_is_not_a_small_positive_integer_is_a_400(
    researcher, read_only_sites, name, raw
):
    refused(researcher.get(f"{BASE}/1/pcs/", {name: raw}), kind="Value Error")


def test_the_largest_page_number_is_a_404_without_reading_rows(researcher, read_only_sites):
    refused(researcher.get(f"{BASE}/1/pcs/?page=999999999&page_size=10000"), 404, "Not Found")


def test_thousands_of_field_names_cost_nothing(researcher, read_only_sites):
    repeated = researcher.get(f"{BASE}/1/pcs/", {"fields": ",".join(["ai_vdc"] * 580), "page_size": 2})
    assert repeated.status_code == 200 and [set(r) for r in repeated.json()["results"]] == [{"ai_vdc"}] * 2
    unknown = researcher.get(f"{BASE}/1/pcs/", {"fields": ",".join(f"f{n}" for n in range(800))})
    assert "unknown field 'f0'" in refused(unknown, kind="Key Error")
    too_long = researcher.get(f"{BASE}/1/pcs/", {"fields": ",".join(["ai_vdc"] * 1_000)})
    assert "fields is longer than 4096 characters" in refused(too_long)


@pytest.mark.parametrize(
    "name", ["fields", "start-time", "end-time", "date", "page", "page_size", "cursor", "interval", "agg"]
)
def test_every_parameter_given_twice_or_too_long_is_a_400(researcher, read_only_sites, name):
    twice = researcher.get(f"{BASE}/1/pcs/?{name}=1&{name}=2")
    assert refused(twice, kind="Value Error") == f"{name} is given 2 times; give it once"
    too_long = researcher.get(f"{BASE}/1/pcs/", {name: LONG})
    assert refused(too_long, kind="Value Error") == f"{name} is longer than 4096 characters"


@pytest.mark.parametrize("name", ["format", "bank_id", "rack_id", "start-time", "fields"])
def test_every_download_parameter_given_twice_or_too_long_is_a_400(researcher, read_only_sites, name):
    base = (
        f"{DOWNLOAD}/1/rack/?{RANGE}" if name != "start-time" else f"{DOWNLOAD}/1/rack/?end-time=2022-09-02"
    )
    assert refused(researcher.get(f"{base}&{name}=1&{name}=1")) == f"{name} is given 2 times; give it once"
    assert refused(researcher.get(f"{base}&{name}={LONG}")) == f"{name} is longer than 4096 characters"


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        (f"{RANGE}&format=CSV", "format"),
        (f"{RANGE}&format=csv%09", "format"),
        (f"{RANGE}&format=" + "x" * 4_000, "format"),
        (f"{RANGE}&interval=1H", "interval"),
        (f"{RANGE}&interval=1min%E2%80%8B", "interval"),
        (f"{RANGE}&interval=1h&agg=sum", "agg"),
        (f"{RANGE}&interval=1h&agg=" + "ａｖｇ", "agg"),
    ],
)
def test_a_format_interval_or_agg_outside_its_choices_is_a_400_naming_it(
    researcher, read_only_sites, query, parameter
):
    message = refused(researcher.get(f"{DOWNLOAD}/1/pcs/?{query}"), kind="Value Error")
    assert message.startswith(f"{parameter} must be")


def test_a_long_path_segment_is_not_echoed_whole(researcher, read_only_sites):
    message = refused(researcher.get(f"{DOWNLOAD}/1/{'x' * 5_000}/?{RANGE}"), kind="Key Error")
    assert message.startswith("data_type must be one of") and len(message) < 200


def test_more_parameters_than_django_reads_is_a_400_in_the_spec_shape(researcher, read_only_sites):
    answer = researcher.get(f"{BASE}/1/pcs/?" + "&".join(f"p{n}=1" for n in range(1_200)))
    refused(answer, kind="Bad Request")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.dictionaries(
        st.sampled_from(
            ["fields", "start-time", "end-time", "date", "page", "page_size", "cursor", "interval", "agg"]
        ),
        # No NUL: the project's middleware refuses it for every URL before the API sees it. No lone
        # surrogates: they have no UTF-8 form, so no client can put them in a URL.
        st.text(st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=40)
        | st.sampled_from(["", "1", "2022-09-01", "1h", "avg", "n.WyJ4Il0", "9" * 30]),
        max_size=4,
    ),
    st.sampled_from(["pcs/", "banks/1/", "banks/1/racks/", "banks/1/racks/2/", "etc/"]),
)
def test_any_query_values_give_a_page_or_a_4xx_in_the_spec_shape(researcher, read_only_sites, query, path):
    answer = researcher.get(f"{BASE}/1/{path}", query)
    assert answer.status_code in (200, 400, 404)
    if answer.status_code != 200:
        refused(answer, answer.status_code)


# ---- the DRF views that read a body: /api/token/ and /api/token/refresh/ ----------------------------


@pytest.fixture
def api(django_user_model) -> Client:
    django_user_model.objects.create_user("scientist", password="long-secret-42")
    return Client()


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/api/token/", "/api/token/refresh/"])
@pytest.mark.parametrize(
    "body",
    [
        "[" * 100_000,
        '{"username": ' + "[" * 1_000 + "]" * 1_000 + "}",
        '{"username": "scientist", "password": 1e999}',
        '{"username": "scientist", "password": NaN}',
        '{"username": ' + "9" * 5_000 + "}",
        '{"username": "scientist"',
        "\xff",
        '{"username": "\\ud800", "password": "x"}',
        '{"username": "scientist", "password": "\\udfff"}',
        '{"username": "a\\u0000b", "password": "x"}',
        b'{"username": "\xed\xa0\x80", "password": "x"}',
    ],
)
def test_a_hostile_json_body_is_a_400_in_the_spec_shape(api, url, body):
    answer = api.post(url, body, content_type="application/json")
    assert refused(answer, kind="Parse Error").startswith("JSON parse error")


@pytest.mark.django_db
def test_a_body_larger_than_the_limit_is_a_413_or_400_in_the_spec_shape(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000
    answer = api.post("/api/token/", "[" + "1," * 1_000 + "1]", content_type="application/json")
    assert "larger than 1,000 bytes" in refused(answer, 413, "Request Too Large")
    # Forms are read by Django itself (middleware reads request.POST first), within the same limit.
    form = api.post("/api/token/", "x=" + "1" * 2_000, content_type="application/x-www-form-urlencoded")
    assert form.status_code in (400, 413)
    refused(form, form.status_code)
    upload = api.post("/api/token/", {"username": "scientist", "file": ("x" * 2_000).encode()})
    assert upload.status_code in (400, 413)
    refused(upload, upload.status_code)


@pytest.mark.django_db
def test_a_form_with_too_many_fields_is_a_400_in_the_spec_shape(api):
    body = "&".join(f"f{n}=1" for n in range(1_200))
    refused(api.post("/api/token/", body, content_type="application/x-www-form-urlencoded"), 400)


@pytest.mark.django_db
def test_a_json_login_still_gets_tokens(api):
    answer = api.post(
        "/api/token/",
        {"username": "scientist", "password": "long-secret-42"},
        content_type="application/json",
    )
    assert answer.status_code == 200 and set(answer.json()) == {"access", "refresh"}
