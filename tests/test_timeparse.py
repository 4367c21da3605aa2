"""``apis.core.timeparse``: every time form APIS programs and API clients send."""

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.core.serializers.json import DjangoJSONEncoder

from apis.core.timeparse import iso_z, parse_apis_time, parse_query_datetime, parse_utc_offset


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2020/01/01-12:00:00", utc(2020, 1, 1, 3)),
        ("2020/01/01-12:00:00.999", utc(2020, 1, 1, 3)),
        (" 2020/01/01-12:00:00 ", utc(2020, 1, 1, 3)),
        ("2020-01-01T12:00:00+09:00", utc(2020, 1, 1, 3)),
        ("2020-01-01T03:00:00Z", utc(2020, 1, 1, 3)),
        ("2020-01-01T12:00:00-03:30", utc(2020, 1, 1, 15, 30)),
        ("2020-01-01T12:00:00.250+00:00", utc(2020, 1, 1, 12, 0, 0, 250_000)),
        ("2020-01-01T12:00:00", utc(2020, 1, 1, 3)),
        ("20200101T120000+0900", utc(2020, 1, 1, 3)),
    ],
)
def test_apis_time_forms_are_parsed_to_utc(text, expected):
    assert parse_apis_time(text) == expected


@pytest.mark.parametrize("value", ["--", "", "  ", None])
def test_placeholders_mean_no_time(value):
    assert parse_apis_time(value) is None


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        ("UTC", utc(2020, 7, 1, 12)),
        ("America/Sao_Paulo", utc(2020, 7, 1, 15)),
        ("Asia/Tokyo", utc(2020, 7, 1, 3)),
    ],
)
def test_apis_local_time_is_read_in_the_configured_zone(settings, zone, expected):
    settings.APIS_TIME_ZONE = zone

    assert parse_apis_time("2020/07/01-12:00:00") == expected


@pytest.mark.parametrize(
    "value", ["abc", "2020/13/01-12:00:00", "2020/01/01 12:00:00", "12:00", 1577847600, 1.5]
)
def test_values_that_are_not_times_are_rejected(value):
    with pytest.raises(ValueError):
        parse_apis_time(value)


def test_rejection_names_the_value():
    with pytest.raises(ValueError, match="'yesterday'"):
        parse_apis_time("yesterday")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2020-01-01T00:00:00", utc(2019, 12, 31, 15)),
        ("2020-01-01", utc(2019, 12, 31, 15)),
        ("2020-01-01T00:00:00Z", utc(2020, 1, 1)),
        ("2020-01-01T00:00:00+01:00", utc(2019, 12, 31, 23)),
    ],
)
def test_query_datetimes_without_offset_are_apis_local(text, expected):
    assert parse_query_datetime(text) == expected


def test_query_datetime_rejects_apis_local_form_and_garbage():
    for text in ("2020/01/01-00:00:00", "abc"):
        with pytest.raises(ValueError):
            parse_query_datetime(text)


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("Z", 0),
        ("UTC", 0),
        ("z", 0),
        ("+09:00", 540),
        ("+0900", 540),
        ("+09", 540),
        (" 09:00", 540),
        ("-03:30", -210),
        ("+00:00", 0),
        ("+23:59", 23 * 60 + 59),
    ],
)
def test_utc_offsets_are_parsed(text, minutes):
    assert parse_utc_offset(text) == timezone(timedelta(minutes=minutes))


@pytest.mark.parametrize(
    "text", ["+24:00", "-24:00", "+25:00", "+09:60", "abc", "09:00", "", "+9:00", " 9:00", "Asia/Tokyo"]
)
def test_invalid_utc_offsets_are_rejected(text):
    with pytest.raises(ValueError, match="not a UTC offset"):
        parse_utc_offset(text)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (utc(2020, 1, 1, 3), "2020-01-01T03:00:00Z"),
        (utc(2020, 1, 1, 3, 0, 0, 250_000), "2020-01-01T03:00:00.250Z"),
        (utc(2020, 1, 1, 3, 0, 0, 999), "2020-01-01T03:00:00.000Z"),
        (datetime(2020, 1, 1, 12, tzinfo=timezone(timedelta(hours=9))), "2020-01-01T03:00:00Z"),
        (None, None),
    ],
)
def test_iso_z_is_utc_with_milliseconds_only_when_there_is_a_fraction(value, text):
    assert iso_z(value) == text
    if value is not None:
        assert json.dumps(value.astimezone(UTC), cls=DjangoJSONEncoder) == f'"{text}"'


@pytest.mark.parametrize(
    "text",
    [
        "0001-01-01T00:00:00+14:00",
        "0001/01/01-00:00:00",
        "9999-12-31T23:59:59-05:00",
        "9999-06-01T00:00:00Z",
        "1899-12-31T23:59:59Z",
        "0999-01-01T00:00:00Z",
    ],
)
def test_times_outside_the_supported_range_are_value_errors(text):
    with pytest.raises(ValueError, match="outside the supported range"):
        parse_apis_time(text)
    with pytest.raises(ValueError, match="outside the supported range"):
        parse_query_datetime(text.replace("/", "-").replace("-00:00:00", "T00:00:00"))


@pytest.mark.parametrize("text", ["1900-01-01T00:00:00Z", "9998-12-31T23:59:59+09:00"])
def test_the_ends_of_the_supported_range_are_accepted(text):
    assert parse_apis_time(text) == datetime.fromisoformat(text)
