"""Many communities on one server: what a cluster's staff and residents are answered does not change when
another community has a cluster of the same code, or the same community another cluster, with units of the
same codes, newer data, the same deal ids and downtimes of their own."""

import json
import time
from datetime import timedelta

import pytest

from apis.community.models import Cluster, Community, Unit
from apis.deal.store import store_deals
from apis.downtime.models import Downtime
from apis.ingest.parse import parse_deals, parse_unit_data
from apis.unit_data.store import store_unit_data
from tests.downtimes import T0, epoch_ms
from tests.payloads import CLUSTER, COMMUNITY, deal_doc, unit_doc

IDS = {"communityId": COMMUNITY, "clusterId": CLUSTER}
E001 = {**IDS, "unitId": "E001"}
PERIOD = {"datetimeFrom": "2026-01-01T00:00:00Z", "datetimeTo": "2026-01-02T00:00:00Z"}
# (role, path, parameters): every read of a cluster's data, for staff and for the resident of E001.
READS = [
    ("admin", "/api/staff/unitData/unitIdList", IDS),
    ("admin", "/api/staff/unitData/latestSet", IDS),
    ("e001", "/api/resident/unitData/latestSet", E001),
    ("admin", "/api/staff/deal/list", IDS),
    ("admin", "/api/staff/deal/liveList", IDS),
    ("admin", "/api/staff/deal/datetimeRange", IDS),
    ("admin", "/api/staff/deal/sumOfCumulateAmountWhsByHour", {**IDS, "timezone": "+09:00"}),
    ("e001", "/api/resident/deal/list", E001),
    ("e001", "/api/resident/deal/liveList", E001),
    ("e001", "/api/resident/deal/datetimeRange", E001),
    ("admin", "/api/staff/downtime/unitIdList", IDS),
    ("admin", "/api/staff/downtime/list", {**IDS, **PERIOD}),
    ("admin", "/api/staff/downtime/availability", {**IDS, **PERIOD}),
]
# Other clusters whose codes collide with the read one's: (community, cluster, seconds later, rsoc).
NEIGHBOURS = [("decoy_community", CLUSTER, 3600, 91.0), (COMMUNITY, "decoy_cluster", 7200, 92.0)]


def store_cluster(community: str, cluster: str, later: float, rsoc: float) -> None:
    """Unit data of E001–E003 in three cycles and of E004 only in the first two (a silent unit), stored
    newest cycle first; two deals (one live) and a downtime of E002; all ``later`` seconds after those of
    the read cluster."""
    docs = []
    for cycle in reversed(range(3)):
        moment = T0 + timedelta(seconds=later + 30 * cycle)
        for unit in ("E001", "E002", "E003", "E004")[: 3 if cycle == 2 else 4]:
            docs.append(
                unit_doc(
                    unit,
                    time=moment.isoformat(),
                    dataset_id=epoch_ms(moment),
                    rsoc=rsoc + cycle,
                    community=community,
                    cluster=cluster,
                )
            )
    store_unit_data(parse_unit_data(docs, community, cluster))
    created = T0 + timedelta(seconds=later + 600)
    deals = [
        deal_doc("d-1", create=created.isoformat(), deactivated=created.isoformat(), cumulate_wh=rsoc),
        deal_doc(
            "d-2", report_time=int(time.time()), create=created.isoformat(), charge="E001", discharge="E003"
        ),
    ]
    for deal in deals:
        deal.update(communityId=community, clusterId=cluster)
    store_deals(parse_deals(deals, community, cluster))
    Downtime.objects.create(
        community_id=community,
        cluster_id=cluster,
        unit_id="E002",
        down_datetime=T0 + timedelta(seconds=later + 1200),
        recovery_datetime=T0 + timedelta(seconds=later + 1500),
    )


def register(community_code: str, cluster_code: str) -> None:
    community, _ = Community.objects.get_or_create(code=community_code, defaults={"name": community_code})
    cluster = Cluster.objects.create(community=community, code=cluster_code, name=cluster_code)
    for code in ("E001", "E002", "E003", "E004", "E005"):
        Unit.objects.create(cluster=cluster, code=code, name=code)


def answers(client_as) -> list[tuple[int, object]]:
    clients = {role: client_as(role) for role in ("admin", "e001")}
    replies = []
    for role, path, params in READS:
        response = clients[role].get(path, params)
        content = b"".join(response.streaming_content) if response.streaming else response.content
        reply = json.loads(content)
        if isinstance(reply, dict):
            reply.pop("now", None)  # the availability's clock
        replies.append((response.status_code, reply))
    return replies


@pytest.mark.parametrize("neighbour", NEIGHBOURS, ids=["same-cluster-code", "same-community"])
def test_a_clusters_answers_ignore_every_other_cluster_of_colliding_codes(client_as, neighbour):
    store_cluster(COMMUNITY, CLUSTER, 0, 50.0)
    alone = answers(client_as)
    assert all(status == 200 for status, _ in alone)
    community, cluster, later, rsoc = neighbour
    register(community, cluster)
    store_cluster(community, cluster, later, rsoc)

    assert answers(client_as) == alone


def test_a_silent_unit_shows_its_own_newest_record_in_the_latest_set(client_as):
    store_cluster(COMMUNITY, CLUSTER, 0, 50.0)
    latest = client_as("admin").get("/api/staff/unitData/latestSet", IDS).json()
    assert {unit: data["emu"]["rsoc"] for unit, data in latest.items()} == {
        "E001": 52.0,
        "E002": 52.0,
        "E003": 52.0,
        "E004": 51.0,
    }


def test_a_unit_has_no_data_when_only_its_namesakes_in_other_clusters_reported(client_as):
    for community, cluster, later, rsoc in NEIGHBOURS:
        register(community, cluster)
        store_cluster(community, cluster, later, rsoc)
    availability = client_as("admin").get("/api/staff/downtime/availability", {**IDS, **PERIOD}).json()
    assert [unit["hasData"] for unit in availability["units"]] == [False] * 4
    assert availability["noDataUnitCount"] == 4
