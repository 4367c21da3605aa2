"""The SQL interface of the rollups (docs/sql-interface.md): every view has the documented columns, in order,
and holds the rows of its resolution as the models read them (averages as sum / count), on SQLite and on
PostgreSQL alike."""

import math
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.utils.dateparse import parse_datetime

from apis.ingest.parse import parse_unit_data
from apis.rollup.compute import rollup_pass
from apis.rollup.models import DealRollup, UnitRollup
from apis.unit_data.store import store_unit_data
from tests.deal_rollups import at, history
from tests.deal_rollups import roll_up as roll_up_deals
from tests.deal_rollups import store as store_deal_documents
from tests.payloads import CLUSTER, COMMUNITY, unit_doc

pytestmark = pytest.mark.django_db

METRICS = ("rsoc", "battery_w", "pv_w", "dc_grid_w", "dc_grid_v", "ac_in_w", "ac_out_w")
ENERGIES = (
    "pv_wh",
    "ac_in_wh",
    "ac_out_wh",
    "battery_charge_wh",
    "battery_discharge_wh",
    "dc_grid_in_wh",
    "dc_grid_out_wh",
)
UNIT_VIEW_COLUMNS = [
    "community_id",
    "cluster_id",
    "unit_id",
    "bucket_start",
    "records",
    *(f"{metric}_{stat}" for metric in METRICS for stat in ("count", "avg", "min", "max", "last")),
    *ENERGIES,
]
DEAL_VIEW_COLUMNS = [
    "community_id",
    "cluster_id",
    "unit_id",
    "counterparty_unit_id",
    "bucket_start",
    "deals",
    "discharge_deals",
    "charge_deals",
    "discharged_wh",
    "charged_wh",
]
UNIT_VIEWS = {"apis_unit_rollup_5min": 300, "apis_unit_rollup_1h": 3600, "apis_unit_rollup_1d": 86400}
DEAL_VIEWS = {"apis_deal_energy_1h": 3600, "apis_deal_energy_1d": 86400}


@pytest.fixture(autouse=True)
def rolled_up(settings) -> None:
    """Two units' records every 70 s (some without a number of a metric) and deals, over two local days of
    Asia/Kolkata, rolled up."""
    settings.APIS_TIME_ZONE = "Asia/Kolkata"
    settings.RETENTION_RAW_DAYS = 0
    documents = []
    for n in range(1200):
        for index, unit in enumerate(("E001", "E002")):
            moment = at(n * 70 + index * 13)
            document = unit_doc(unit, moment.strftime("%Y-%m-%dT%H:%M:%SZ"), int(moment.timestamp() * 1000))
            document["dcdc"]["meter"].update(wb=(n % 11 - 5) * 37.5, wg=(n % 7 - 3) * 21.0)
            if n % 9 == 4:
                document["emu"]["pvc_charge_power"] = "n/a"
            documents.append(document)
    store_unit_data(parse_unit_data(documents, COMMUNITY, CLUSTER))
    while rollup_pass():
        pass
    store_deal_documents(*history(300, hours=24))
    roll_up_deals()


def view(name: str) -> tuple[list[str], list[dict]]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {name}")
        columns = [column[0] for column in cursor.description]
        return columns, [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def instant(value: object) -> datetime:
    """A ``bucket_start`` as an aware UTC datetime (SQLite returns the stored text)."""
    if isinstance(value, str):
        value = parse_datetime(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def same(got: object, expected: object) -> bool:
    if got is None or expected is None:
        return got is expected
    return math.isclose(got, expected, rel_tol=1e-12, abs_tol=1e-12)


@pytest.mark.parametrize(("name", "resolution"), UNIT_VIEWS.items())
def test_each_unit_rollup_view_holds_the_rollups_of_its_resolution(name, resolution):
    columns, rows = view(name)
    assert columns == UNIT_VIEW_COLUMNS
    stored = {
        (row.unit_id, row.bucket): row
        for row in UnitRollup.objects.filter(
            resolution=resolution, community_id=COMMUNITY, cluster_id=CLUSTER
        )
    }
    found = {(row["unit_id"], instant(row["bucket_start"])): row for row in rows}
    assert sorted(found) == sorted(stored) and len(found) >= 2
    for key, row in found.items():
        model = stored[key]
        assert (row["community_id"], row["cluster_id"], row["records"]) == (COMMUNITY, CLUSTER, model.records)
        for metric in METRICS:
            count = getattr(model, f"{metric}_count")
            assert row[f"{metric}_count"] == count
            average = getattr(model, f"{metric}_sum") / count if count else None
            assert same(row[f"{metric}_avg"], average), (key, metric)
            for stat in ("min", "max", "last"):
                assert same(row[f"{metric}_{stat}"], getattr(model, f"{metric}_{stat}")), (key, metric, stat)
        for energy in ENERGIES:
            assert same(row[energy], getattr(model, energy)), (key, energy)


def test_an_average_is_null_where_a_bucket_holds_no_number_of_its_metric():
    emptied = {f"{metric}_{stat}": None for metric in METRICS for stat in ("sum", "min", "max", "last")}
    UnitRollup.objects.filter(resolution=300).update(
        **emptied, **{f"{metric}_count": 0 for metric in METRICS}
    )
    _, rows = view("apis_unit_rollup_5min")
    assert rows and all(row[f"{metric}_avg"] is None for row in rows for metric in METRICS)
    _, hours = view("apis_unit_rollup_1h")
    assert all(row["pv_w_avg"] is not None for row in hours)


@pytest.mark.parametrize(("name", "resolution"), DEAL_VIEWS.items())
def test_each_deal_energy_view_holds_the_deal_rollups_of_its_resolution(name, resolution):
    columns, rows = view(name)
    assert columns == DEAL_VIEW_COLUMNS
    values = DEAL_VIEW_COLUMNS[5:]
    stored = {
        (row["unit_id"], row["counterparty_unit_id"], row["bucket"]): row
        for row in DealRollup.objects.filter(resolution=resolution).values(
            "unit_id", "counterparty_unit_id", "bucket", *values
        )
    }
    found = {(row["unit_id"], row["counterparty_unit_id"], instant(row["bucket_start"])): row for row in rows}
    assert sorted(found) == sorted(stored) and len(found) >= 10
    for key, row in found.items():
        assert (row["community_id"], row["cluster_id"]) == (COMMUNITY, CLUSTER)
        assert all(same(row[name], stored[key][name]) for name in values), key


def test_a_day_view_starts_its_buckets_at_local_midnight():
    _, days = view("apis_deal_energy_1d")
    midnights = {instant(row["bucket_start"]) for row in days}
    assert midnights and all((moment + timedelta(hours=5, minutes=30)).hour == 0 for moment in midnights)
    assert all(moment.minute == 30 for moment in midnights)
