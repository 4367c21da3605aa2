"""Paged JSON of the ESS API on SQLite and PostgreSQL site databases with different column sets."""

from datetime import datetime, timedelta

from tests.helpers import SEOUL, START, append_rows

BASE = "/api/ess/operating-sites"


def _all(client, url: str) -> list[dict]:
    rows = []
    while url:
        page = client.get(url).json()
        rows += page["results"]
        url = page["next"]
    return rows


def test_rack_page_has_selected_fields_lower_case_with_site_offset(researcher, ess_sites):
    answer = researcher.get(
        f"{BASE}/1/banks/1/racks/2/?fields=timestamp,rack_soc&start-time=2022-09-01T10:00:00"
        "&end-time=2022-09-01T12:00:00&page=1"
    )
    assert answer.status_code == 200
    body = answer.json()
    assert body["count"] == 12 and body["next"] is None and body["previous"] is None
    assert body["results"][0]["timestamp"] == "2022-09-01T10:00:00+09:00"
    assert body["results"][-1]["timestamp"] == "2022-09-01T11:50:00+09:00"
    assert set(body["results"][0]) == {"timestamp", "rack_soc"}


def test_start_is_inclusive_end_exclusive_and_offsets_are_honoured(researcher, ess_sites):
    local = researcher.get(
        f"{BASE}/1/pcs/?start-time=2022-09-01T10:00:00&end-time=2022-09-01T10:30:00"
    ).json()
    utc = researcher.get(
        f"{BASE}/1/pcs/?start-time=2022-09-01T01:00:00Z&end-time=2022-09-01T01:30:00%2B00:00"
    ).json()
    assert [r["timestamp"] for r in local["results"]] == [
        "2022-09-01T10:00:00+09:00",
        "2022-09-01T10:10:00+09:00",
        "2022-09-01T10:20:00+09:00",
    ]
    assert utc == local


def test_date_selects_one_local_day_and_bank_rows_of_one_bank(researcher, ess_sites):
    body = researcher.get(f"{BASE}/1/banks/2/?date=2022-09-01&page_size=1000").json()
    assert body["count"] == 144
    assert {r["bank_id"] for r in body["results"]} == {2}
    assert researcher.get(f"{BASE}/1/banks/2/?date=2022-09-02").json()["count"] == 0


def test_site_2_has_extra_columns_with_json_values_that_site_1_lacks(researcher, ess_sites):
    site2 = researcher.get(f"{BASE}/2/banks/1/racks/?page_size=3").json()["results"]
    assert site2[0]["rack_module_fault"] == {"rack": 1, "code": 0}
    assert "rack_status_for_online" in site2[0]
    site1 = researcher.get(f"{BASE}/1/banks/1/racks/?fields=rack_module_fault")
    assert site1.status_code == 400 and site1.json()["exception type"] == "Key Error"


def test_page_numbers_and_cursors_give_every_row_once_in_time_order(researcher, ess_sites):
    by_number = _all(researcher, f"{BASE}/1/banks/1/racks/?page_size=50")
    by_cursor = _all(researcher, f"{BASE}/1/banks/1/racks/?page_size=50&cursor=")
    assert len(by_number) == 288 and by_cursor == by_number
    keys = [(r["timestamp"], r["rack_id"]) for r in by_number]
    assert keys == sorted(keys) and len(set(keys)) == 288


def test_cursor_pages_neither_lose_nor_repeat_rows_while_rows_arrive(researcher, ess_sites):
    url = f"{BASE}/2/pcs/?page_size=20&cursor="
    seen = []
    arrivals = [START + timedelta(days=1, minutes=10 * n) for n in range(30)]
    while url:
        page = researcher.get(url).json()
        seen += [r["timestamp"] for r in page["results"]]
        url = page["next"]
        if url and arrivals:  # a new row arrives between every two pages
            append_rows(ess_sites[2], "pcs", [{"TIMESTAMP": arrivals.pop(0), "AI_VDC": 1.0}])
    assert len(seen) == len(set(seen)) == 144 + 30 - len(arrivals) > 144 + 3
    assert seen == sorted(seen)


def test_previous_cursor_returns_the_page_before(researcher, ess_sites):
    first = researcher.get(f"{BASE}/1/etc/?page_size=10&cursor=").json()
    second = researcher.get(first["next"]).json()
    assert researcher.get(second["previous"]).json()["results"] == first["results"]


def test_page_size_is_capped(researcher, ess_sites, settings):
    settings.ESS_MAX_PAGE_SIZE = 7
    assert len(researcher.get(f"{BASE}/1/pcs/?page_size=1000").json()["results"]) == 7


def test_resampling_averages_each_hour_in_the_database(researcher, ess_sites):
    raw = researcher.get(f"{BASE}/1/banks/1/racks/1/?fields=timestamp,rack_soc&date=2022-09-01&page_size=200")
    hourly = researcher.get(
        f"{BASE}/1/banks/1/racks/1/?fields=timestamp,rack_soc&date=2022-09-01&interval=1h"
    )
    values = [r["rack_soc"] for r in raw.json()["results"]]
    body = hourly.json()
    assert body["count"] == 24
    assert body["results"][3]["timestamp"] == "2022-09-01T03:00:00+09:00"
    assert abs(body["results"][3]["rack_soc"] - sum(values[18:24]) / 6) < 1e-9
    last = researcher.get(
        f"{BASE}/1/banks/1/racks/1/?fields=rack_soc&date=2022-09-01&interval=15min&agg=last"
    )
    assert [r["rack_soc"] for r in last.json()["results"][:2]] == [values[1], values[2]]


def test_later_rows_of_another_zone_keep_the_site_offset(researcher, ess_sites):
    moment = datetime(2022, 9, 2, 5, 0, tzinfo=SEOUL)
    append_rows(ess_sites[1], "etc", [{"TIMESTAMP": moment, "SENSOR1_TEMPERATURE": 20.5}])
    body = researcher.get(f"{BASE}/1/etc/?start-time=2022-09-01T20:00:00Z").json()
    assert body["results"] == [
        {"timestamp": "2022-09-02T05:00:00+09:00", "sensor1_temperature": 20.5, "sensor1_humidity": None}
    ]
