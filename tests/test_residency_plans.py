"""The residency filter keeps residents' queries index lookups: the exact statements the resident deal and
unit-data endpoints run, explained by the database itself (SQLite or PostgreSQL, after ``ANALYZE``) over a
cluster of 20 units with a long history, for a resident with one period and with several."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apis.deal.models import Deal
from apis.unit_data.models import UnitData
from apis.unit_data.store import UnitRecord, store_unit_data
from tests.payloads import CLUSTER, COMMUNITY
from tests.residency import UNIT, live_in

TABLES = (Deal._meta.db_table, UnitData._meta.db_table)
UNITS = [f"E{n:03d}" for n in range(1, 21)]
START = datetime(2020, 1, 1, tzinfo=UTC)
CYCLES = 1500  # per unit, 10 minutes apart
ENDPOINTS = [
    ("deal/list", {}),
    ("deal/list", {"datetimeFrom": "2020-01-03T00:00:00Z", "datetimeTo": "2020-01-09T00:00:00Z"}),
    ("deal/datetimeRange", {}),
    ("deal/sumOfCumulateAmountWhsByHour", {"timezone": "+09:00"}),
    ("unitData/latestSet", {}),
]
PERIODS = {
    "one period": [(START + timedelta(days=2), START + timedelta(days=6))],
    "several periods, living there": [
        (START + timedelta(days=1), START + timedelta(days=2)),
        (START + timedelta(days=4), START + timedelta(days=5)),
        (START + timedelta(days=8), None),
    ],
}


@pytest.fixture
def long_history(demo_registry) -> None:
    """20 units reporting every 10 minutes for ~10 days, and one deal between two of them per cycle."""
    moments = [START + timedelta(minutes=10 * n) for n in range(CYCLES)]
    store_unit_data(
        [
            UnitRecord(
                COMMUNITY, CLUSTER, unit, int(moment.timestamp() * 1000), moment, {"time": moment.isoformat()}
            )
            for moment in moments
            for unit in UNITS
        ]
    )
    Deal.objects.bulk_create(
        (
            Deal(
                community_id=COMMUNITY,
                cluster_id=CLUSTER,
                deal_id=f"d-{n}",
                create_datetime=moment,
                deactivate_datetime=moment + timedelta(minutes=5),
                report_time=int(moment.timestamp()),
                discharge_unit_id=UNITS[n % 20],
                charge_unit_id=UNITS[(n * 7 + 1) % 20],
                cumulate_amount_wh=10.0,
                data={"dealId": f"d-{n}"},
            )
            for n, moment in enumerate(moments * 4)
        ),
        batch_size=2000,
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


# A resident's read is a lookup when an index narrows it to the unit (or, for live deals, to the last
# minutes): a range of the cluster's creation-time index alone would walk every unit's deals.
NARROWING = ("unit_id", "report_time")


def explained(sql: str) -> list[str]:
    """The access path of every read of a telemetry table in ``sql``: ``index`` (an index lookup narrowed
    to the unit, see ``NARROWING``) or the database's own words for anything else."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + sql)
            details = [row[3] for row in cursor.fetchall()]
            return [
                "index" if detail.startswith("SEARCH") and _narrowed(detail.partition("(")[2]) else detail
                for detail in details
                if any(f" {table} " in f" {detail} " for table in TABLES)
            ]
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
        plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return list(_postgres_reads(plan[0]["Plan"]))


def _narrowed(condition: str) -> bool:
    return any(column in condition for column in NARROWING)


def _postgres_reads(node: dict):
    if node.get("Relation Name") in TABLES:
        kind = node["Node Type"]
        if kind == "Bitmap Heap Scan":
            indexed = all(_narrowed(child.get("Index Cond", "")) for child in _bitmap_leaves(node))
        else:
            indexed = kind in ("Index Scan", "Index Only Scan") and _narrowed(node.get("Index Cond", ""))
        yield "index" if indexed else f"{kind} on {node['Relation Name']}: {node.get('Index Name', '')}"
    for child in node.get("Plans", []):
        if node.get("Node Type") != "Bitmap Heap Scan":
            yield from _postgres_reads(child)


def _bitmap_leaves(node: dict):
    for child in node.get("Plans", []):
        if child["Node Type"] == "Bitmap Index Scan":
            yield child
        else:
            yield from _bitmap_leaves(child)


def telemetry_reads(client, path: str, params: dict) -> list[str]:
    """How the endpoint read the telemetry tables: one access path per read (see :func:`explained`)."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/resident/" + path, {**UNIT, **params})
        assert response.status_code == 200, response.content
        b"".join(response.streaming_content) if response.streaming else response.content
    reads = [
        query["sql"]
        for query in queries.captured_queries
        if any(table in query["sql"] for table in TABLES)
        # streamed answers read through a cursor (PostgreSQL: DECLARE … CURSOR FOR SELECT, planned as such)
        and query["sql"].lstrip().startswith(("SELECT", "(SELECT", "DECLARE"))
    ]
    return [access for sql in reads for access in explained(sql)]


@pytest.mark.parametrize("periods", list(PERIODS))
@pytest.mark.parametrize(("path", "params"), ENDPOINTS)
def test_resident_reads_are_index_lookups(long_history, client_as, periods, path, params):
    live_in("e001", *PERIODS[periods])
    reads = telemetry_reads(client_as("e001"), path, params)
    assert set(reads) == {"index"}, reads


def test_the_live_list_of_a_resident_living_there_is_index_lookups(long_history, client_as):
    live_in("e001", *PERIODS["several periods, living there"])
    reads = telemetry_reads(client_as("e001"), "deal/liveList", {})
    assert set(reads) == {"index"}, reads


def test_a_former_residents_live_list_reads_nothing(long_history, client_as):
    live_in("e001", *PERIODS["one period"])
    assert telemetry_reads(client_as("e001"), "deal/liveList", {}) == []
