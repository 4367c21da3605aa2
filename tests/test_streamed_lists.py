"""The long staff lists (downtimes, failures) stream their JSON array in batches of 500 rows: a list of any
length arrives as one valid JSON array with every row once, in order, and it arrives in several pieces
rather than being built in memory first."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from apis.downtime.models import Downtime
from apis.monitoring.models import Failure
from tests.payloads import CLUSTER, COMMUNITY

START = datetime(2024, 1, 1, tzinfo=UTC)
CLUSTER_PARAMS = {"communityId": COMMUNITY, "clusterId": CLUSTER}


def _read(response) -> tuple[list, int]:
    """The decoded array and the number of pieces it arrived in."""
    assert response.status_code == 200
    assert response.streaming
    pieces = [piece.decode() for piece in response.streaming_content]
    return json.loads("".join(pieces)), len(pieces)


@pytest.mark.parametrize("rows", [499, 500, 501, 1000, 1201])
def test_a_downtime_list_of_any_length_is_one_valid_array_in_order(staff, rows):
    Downtime.objects.bulk_create(
        Downtime(
            community_id=COMMUNITY,
            cluster_id=CLUSTER,
            unit_id="E001",
            down_datetime=START + timedelta(minutes=2 * n),
            recovery_datetime=START + timedelta(minutes=2 * n + 1),
        )
        for n in range(rows)
    )
    downtimes, pieces = _read(staff.get("/api/staff/downtime/list", CLUSTER_PARAMS))
    assert len(downtimes) == rows
    starts = [row["downDateTime"] for row in downtimes]
    assert starts == sorted(starts) and len(set(starts)) == rows
    assert pieces >= 2 + -(-rows // 500)  # "[", one piece per batch of 500, "]"


@pytest.mark.parametrize("rows", [500, 1201])
def test_a_failure_list_of_any_length_is_one_valid_array_in_order(staff, rows):
    Failure.objects.bulk_create(
        Failure(
            community_id=COMMUNITY,
            cluster_id=CLUSTER,
            unit_id=f"U{n:05d}",
            type="apis_main_alive",
            detected=START + timedelta(seconds=n),
            closed=START + timedelta(seconds=n, milliseconds=500),
        )
        for n in range(rows)
    )
    failures, pieces = _read(staff.get("/api/staff/monitoring/failure/list", CLUSTER_PARAMS))
    assert [row["unit_id"] for row in failures] == [f"U{n:05d}" for n in range(rows)]
    assert pieces >= 2 + -(-rows // 500)
