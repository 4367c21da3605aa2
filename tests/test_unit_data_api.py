"""Unit-data read API (reference §5.3): the reported units and the newest records, for staff and residents,
with records stored the way the ingest API stores them; and the read-only unit-data admin list."""

import pytest

from apis.ingest.parse import parse_unit_data
from apis.unit_data.store import store_unit_data
from tests.payloads import CLUSTER, COMMUNITY, unit_doc

STAFF, RESIDENT = "/api/staff/unitData/", "/api/resident/unitData/"
IDS = {"communityId": COMMUNITY, "clusterId": CLUSTER}
E001 = {**IDS, "unitId": "E001"}
CYCLE_1, CYCLE_2 = 1_577_847_600_000, 1_577_847_630_000


def store(*docs: dict, cluster: str = CLUSTER) -> None:
    """Store unit data exactly as ``POST /api/ccc/unitData`` would."""
    store_unit_data(parse_unit_data(list(docs), COMMUNITY, cluster))


def second(dataset_id: int) -> int:
    """The second after 12:00 Tokyo (03:00Z) at which the test cycle ``dataset_id`` was reported."""
    return max(dataset_id - CYCLE_1, 0) // 1000


def doc(unit_id: str, dataset_id: int, rsoc: float = 50.0, cluster: str = CLUSTER) -> dict:
    """A unit report of the cycle ``dataset_id``, its time in APIS local time."""
    time = f"2020/01/01-12:00:{second(dataset_id):02d}"
    return unit_doc(unit_id, time, dataset_id, rsoc, cluster=cluster)


def as_stored(document: dict) -> dict:
    """What the API returns for a posted document: the same, with its time in ISO 8601 UTC."""
    return {**document, "time": f"2020-01-01T03:00:{second(document['datasetId']):02d}Z"}


# ---- unitIdList ---------------------------------------------------------------------------------------


def test_unit_id_list_names_every_unit_that_reported_in_the_cluster_sorted(staff, demo_registry):
    assert staff.get(STAFF + "unitIdList", IDS).json() == []
    store(doc("E003", CYCLE_1), doc("E001", CYCLE_1))
    store(doc("E002", CYCLE_2), doc("E001", CYCLE_2))
    store(doc("X009", CYCLE_2, cluster="other_cluster"), cluster="other_cluster")
    assert staff.get(STAFF + "unitIdList", IDS).json() == ["E001", "E002", "E003"]


# ---- latestSet ----------------------------------------------------------------------------------------


def test_staff_latest_set_returns_the_newest_cycle_of_every_unit(staff, demo_registry):
    old = [doc(unit, CYCLE_1, rsoc=40.0) for unit in ("E001", "E002")]
    new = [doc(unit, CYCLE_2, rsoc=60.0) for unit in ("E002", "E001")]
    store(*old)
    store(*new)
    response = staff.get(STAFF + "latestSet", IDS)
    assert response.status_code == 200
    assert response.json() == {"E001": as_stored(new[1]), "E002": as_stored(new[0])}


def test_staff_latest_set_keeps_a_unit_missing_from_the_newest_cycle_with_its_own_newest_record(
    staff, demo_registry
):
    store(*(doc(unit, CYCLE_1) for unit in ("E001", "E002", "E003")))
    store(doc("E001", CYCLE_2), doc("E002", CYCLE_2))
    latest = staff.get(STAFF + "latestSet", IDS).json()
    assert {unit: record["datasetId"] for unit, record in latest.items()} == {
        "E001": CYCLE_2,
        "E002": CYCLE_2,
        "E003": CYCLE_1,
    }
    assert latest["E003"] == as_stored(doc("E003", CYCLE_1))


def test_dataset_zero_is_data_not_absence(client_as, demo_registry):
    store(doc("E001", 0))
    assert client_as("admin").get(STAFF + "latestSet", IDS).json()["E001"]["datasetId"] == 0
    assert client_as("e001").get(RESIDENT + "latestSet", E001).json()["E001"]["datasetId"] == 0


def test_latest_set_is_empty_without_data(client_as, demo_registry):
    assert client_as("admin").get(STAFF + "latestSet", IDS).json() == {}
    store(doc("E002", CYCLE_1))
    assert client_as("e001").get(RESIDENT + "latestSet", E001).json() == {}


def test_resident_latest_set_is_the_units_own_newest_full_record(resident, demo_registry):
    store(doc("E001", CYCLE_1, rsoc=40.0), doc("E002", CYCLE_1))
    store(doc("E002", CYCLE_2))
    latest = resident.get(RESIDENT + "latestSet", E001).json()
    assert latest == {"E001": as_stored(doc("E001", CYCLE_1, rsoc=40.0))}
    assert latest["E001"]["oesunit"]["ip"] == "localhost:4390/E001"


# ---- roles and parameters -----------------------------------------------------------------------------

ROLE_ANSWERS = [
    ("unitIdList", STAFF, None, 403, "login required"),
    ("unitIdList", STAFF, "e001", 403, "staff required"),
    ("unitIdList", STAFF, "nonresident", 403, "staff required"),
    ("unitIdList", STAFF, "admin", 200, '["E001"]'),
    ("latestSet", STAFF, None, 403, "login required"),
    ("latestSet", STAFF, "e001", 403, "staff required"),
    ("latestSet", STAFF, "nonresident", 403, "staff required"),
    ("latestSet", STAFF, "admin", 200, "E001"),
    ("latestSet", RESIDENT, None, 403, "login required"),
    ("latestSet", RESIDENT, "e001", 200, "E001"),
    ("latestSet", RESIDENT, "e002", 400, "not a resident"),
    ("latestSet", RESIDENT, "nonresident", 403, "resident required"),
    ("latestSet", RESIDENT, "admin", 200, "E001"),
]


@pytest.mark.parametrize(("endpoint", "base", "role", "status", "text"), ROLE_ANSWERS)
def test_each_role_gets_the_unit_data_endpoints_it_may_use(
    client_as, demo_registry, endpoint, base, role, status, text
):
    store(doc("E001", CYCLE_1))
    response = client_as(role).get(base + endpoint, E001)
    assert response.status_code == status
    content = response.content.decode()
    assert content == text if status != 200 else text in content


@pytest.mark.parametrize(
    ("base", "params", "message"),
    [
        (STAFF, {"clusterId": CLUSTER}, "no param : communityId, clusterId"),
        (STAFF, {**IDS, "communityId": "nowhere"}, "bad param values : communityId, clusterId"),
        (RESIDENT, IDS, "no param : communityId, clusterId, unitId"),
        (RESIDENT, {**IDS, "unitId": "E999"}, "bad param values : communityId, clusterId, unitId"),
    ],
)
def test_missing_or_unknown_ids_are_refused(staff, base, params, message):
    response = staff.get(base + "latestSet", params)
    assert (response.status_code, response.content.decode()) == (400, message)


# ---- admin --------------------------------------------------------------------------------------------


def test_admin_lists_unit_data_filtered_by_unit_and_offers_no_changes(staff, demo_registry):
    store(doc("E001", CYCLE_1), doc("E002", CYCLE_1))
    listing = staff.get("/admin/unit_data/unitdata/", {"unit": "E002"})
    assert listing.status_code == 200
    rows = [row.reported_unit.unit_id for row in listing.context["cl"].result_list]
    assert rows == ["E002"]
    assert staff.get("/admin/unit_data/unitdata/add/").status_code == 403
