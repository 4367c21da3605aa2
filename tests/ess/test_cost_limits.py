"""The cost of an ESS request is bounded: resampled JSON needs a time range of at most
``APIS_ESS_MAX_BUCKETS`` buckets, every page and count statement stops after
``APIS_ESS_STATEMENT_TIMEOUT_SEC`` (PostgreSQL ``statement_timeout``, SQLite progress handler), and the pages
of one selection reuse its count. Each limit answers a 400 that names it and says how to narrow."""

import csv
import io
import time
from datetime import timedelta

import pytest

from tests.helpers import BIG_ROWS, START, append_rows

BASE = "/api/ess/operating-sites"
DOWNLOAD = "/api/ess/download/operating-sites"
BIG_RANGE = "start-time=2022-09-01T00:00:00&end-time=2022-09-05T00:00:00"


def refusal(answer, status: int = 400) -> dict:
    assert answer.status_code == status, answer.content[:300]
    body = answer.json()
    assert body["code"] == str(status)
    return body


def test_resampling_without_a_time_range_is_a_400_asking_for_one(researcher, ess_sites):
    for query in ("interval=1h", "interval=1h&start-time=2022-09-01T00:00:00", "interval=1min&agg=max"):
        body = refusal(researcher.get(f"{BASE}/1/pcs/?{query}"))
        assert body["exception type"] == "Type Error"
        assert "needs a time range: give start-time and end-time, or date" in body["message"]


def test_resampling_beyond_the_bucket_limit_is_a_400_naming_the_limit(researcher, ess_sites, settings):
    settings.ESS_MAX_BUCKETS = 96
    assert researcher.get(f"{BASE}/1/pcs/?date=2022-09-01&interval=15min").json()["count"] == 96
    over = "start-time=2022-09-01T00:00:00&end-time=2022-09-02T00:00:01&interval=15min"
    body = refusal(researcher.get(f"{BASE}/1/pcs/?{over}"))
    assert body["exception type"] == "Value Error"
    assert body["message"] == (
        "interval=15min allows at most 96 buckets (a range of 1 day, 0:00:00) per request; start-time to "
        "end-time spans 97: narrow the range or choose a longer interval (1min, 15min, 1h)"
    )
    longer = "start-time=2022-09-01T00:00:00&end-time=2022-09-02T00:00:01&interval=1h"
    assert researcher.get(f"{BASE}/1/pcs/?{longer}").json()["count"] == 24


def test_the_default_bucket_limit_allows_about_a_week_of_minutes(researcher, ess_sites):
    six_days = researcher.get(f"{BASE}/1/pcs/?start-time=2022-09-01&end-time=2022-09-07&interval=1min")
    assert six_days.status_code == 200
    seven_days = researcher.get(f"{BASE}/1/pcs/?start-time=2022-09-01&end-time=2022-09-08&interval=1min")
    assert "at most 10,000 buckets" in refusal(seven_days)["message"]


def test_a_resampled_download_is_not_held_to_the_bucket_limit(researcher, ess_sites, settings):
    settings.ESS_MAX_BUCKETS = 2
    answer = researcher.get(f"{DOWNLOAD}/1/pcs/?date=2022-09-01&interval=1h&fields=timestamp,ai_vdc")
    assert answer.status_code == 200
    assert len(list(csv.DictReader(io.StringIO(b"".join(answer.streaming_content).decode())))) == 24


@pytest.mark.parametrize("agg", ["avg", "last"])
def test_the_statement_timeout_stops_a_slow_page_with_a_400(researcher, big_site, settings, agg):
    url = f"{BASE}/3/etc/?{BIG_RANGE}&interval=1min&agg={agg}"
    settings.ESS_STATEMENT_TIMEOUT_SEC = 0.01
    body = refusal(researcher.get(url))
    assert body["exception type"] == "Timeout Error"
    assert body["message"].startswith(
        "the query ran longer than the limit of 0.01 s and was stopped: narrow "
    )
    assert "start-time/end-time" in body["message"] and "cursor" in body["message"]
    settings.ESS_STATEMENT_TIMEOUT_SEC = 60  # the same request, given time: the limit was the only reason
    answer = researcher.get(url)
    assert answer.status_code == 200 and answer.json()["count"] == BIG_ROWS // 60


def test_a_resampled_download_that_cannot_start_in_time_is_a_400_before_any_byte(
    researcher, big_site, settings
):
    settings.ESS_STATEMENT_TIMEOUT_SEC = 0.01
    answer = researcher.get(f"{DOWNLOAD}/3/etc/?{BIG_RANGE}&interval=1min")
    assert refusal(answer)["exception type"] == "Timeout Error"  # a JSON error, not a broken stream


def test_a_long_raw_download_streams_past_the_statement_timeout(researcher, big_site, settings):
    settings.ESS_STATEMENT_TIMEOUT_SEC = 0.1
    answer = researcher.get(f"{DOWNLOAD}/3/etc/?start-time=2022-09-01T00:00:00&end-time=2022-09-10T00:00:00")
    assert answer.status_code == 200
    chunks = iter(answer.streaming_content)
    first = next(chunks)
    time.sleep(0.5)  # the client stops reading for longer than the limit, in the middle of the stream
    assert (first + b"".join(chunks)).count(b"\n") == BIG_ROWS + 1


def test_numbered_pages_reuse_the_first_count_and_still_give_every_row(researcher, ess_sites):
    url = f"{BASE}/1/pcs/?page_size=50&fields=timestamp"
    first = researcher.get(url).json()
    assert first["count"] == 144
    later = [START + timedelta(days=1, minutes=10 * n) for n in range(10)]
    append_rows(ess_sites[1], "pcs", [{"TIMESTAMP": moment, "AI_VDC": 1.0} for moment in later])
    second = researcher.get(first["next"]).json()
    assert second["count"] == 144  # counted once for the selection, not again on every page
    third = researcher.get(second["next"]).json()
    assert third["count"] == 151  # at least the rows this page proves (100 before, 50 on it, one after)
    fourth = researcher.get(third["next"]).json()  # beyond the kept count: counted afresh
    assert fourth["count"] == 154 and fourth["next"] is None and len(fourth["results"]) == 4
    seen = [r["timestamp"] for page in (first, second, third, fourth) for r in page["results"]]
    assert len(seen) == len(set(seen)) == 154


def test_without_a_count_ttl_every_page_counts_afresh(researcher, ess_sites, settings):
    settings.ESS_COUNT_TTL_SEC = 0
    first = researcher.get(f"{BASE}/1/pcs/?page_size=50").json()
    append_rows(ess_sites[1], "pcs", [{"TIMESTAMP": START + timedelta(days=1), "AI_VDC": 1.0}])
    assert (first["count"], researcher.get(first["next"]).json()["count"]) == (144, 145)
