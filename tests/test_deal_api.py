"""Deal read API for staff and residents (reference §5.4): lists, live deals, ranges, hour sums, resident
masking and the BUDO shape, with deals stored the way the ingest API stores them."""

import json
import time

import pytest

from apis.deal.models import Deal
from apis.deal.store import store_deals
from apis.ingest.parse import parse_deals
from tests.payloads import CLUSTER, COMMUNITY, deal_doc

STAFF, RESIDENT = "/api/staff/deal/", "/api/resident/deal/"
IDS = {"communityId": COMMUNITY, "clusterId": CLUSTER}
E001 = {**IDS, "unitId": "E001"}
ENDPOINTS = ("liveList", "list", "datetimeRange", "sumOfCumulateAmountWhsByHour")


def store(*docs: dict) -> None:
    """Store deals exactly as ``POST /api/ccc/deal`` would."""
    store_deals(parse_deals(list(docs), COMMUNITY, CLUSTER))


def body(response) -> object:
    """The JSON of a plain or a streamed answer."""
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return json.loads(content)


def get(client, path: str, **params):
    base = STAFF if path.startswith("staff:") else RESIDENT
    return client.get(base + path.split(":", 1)[1], params)


@pytest.fixture
def three_deals(demo_registry) -> None:
    """E001→E002 at 04:00Z, E003→E001 at 03:00Z, E003→E004 at 05:00Z (stored out of order)."""
    store(
        deal_doc("d-2", create="2020-01-01T04:00:00Z"),
        deal_doc("d-1", create="2020-01-01T03:00:00Z", discharge="E003", charge="E001"),
        deal_doc("d-3", create="2020-01-01T05:00:00Z", discharge="E003", charge="E004"),
    )


def deal_ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [deal["dealId"] for deal in body(response)]


# ---- list ---------------------------------------------------------------------------------------------


def test_staff_list_returns_every_deal_as_stored_oldest_first(staff, demo_registry):
    store(deal_doc("d-late", create="2020/01/01-13:00:00"), deal_doc("d-early", create="2020/01/01-12:00:00"))
    response = get(staff, "staff:list", **IDS)
    assert response["Content-Type"] == "application/json"
    deals = body(response)
    assert [deal["dealId"] for deal in deals] == ["d-early", "d-late"]
    expected = deal_doc("d-early")
    for key, value in expected.items():
        if key.endswith("DateTime"):
            expected[key] = None if value == "--" else "2020-01-01T03:00:00Z"
    expected["reset"] = [{"dateTime": "2020-01-01T03:00:00Z", "reason": "grid voltage drop"}]
    assert deals[0] == expected


@pytest.mark.parametrize(
    ("bounds", "expected"),
    [
        ({}, ["d-1", "d-2", "d-3"]),
        ({"datetimeFrom": "2020-01-01T04:00:00Z"}, ["d-2", "d-3"]),
        ({"datetimeTo": "2020-01-01T04:00:00Z"}, ["d-1"]),
        ({"datetimeFrom": "2020-01-01T04:00:00Z", "datetimeTo": "2020-01-01T05:00:00Z"}, ["d-2"]),
        (
            {"datetimeFrom": "2020-01-01T13:00:00+09:00", "datetimeTo": "2020-01-01T05:00:00.001Z"},
            ["d-2", "d-3"],
        ),
        ({"datetimeFrom": "2020-01-01T12:00:01"}, ["d-2", "d-3"]),
    ],
)
def test_list_keeps_deals_created_from_inclusive_to_exclusive(staff, three_deals, bounds, expected):
    assert deal_ids(get(staff, "staff:list", **IDS, **bounds)) == expected


@pytest.mark.parametrize(
    ("bounds", "message"),
    [
        (
            {"datetimeFrom": "yesterday"},
            "invalid datetimeFrom : yesterday (expected ISO 8601, e.g. 2020-01-01T00:00:00Z)",
        ),
        (
            {"datetimeTo": "2020-13-01"},
            "invalid datetimeTo : 2020-13-01 (expected ISO 8601, e.g. 2020-01-01T00:00:00Z)",
        ),
        (
            {"datetimeFrom": "2020-01-02T00:00:00Z", "datetimeTo": "2020-01-02T00:00:00Z"},
            "“datetimeTo” should be greater than “datetimeFrom”",
        ),
    ],
)
@pytest.mark.parametrize("path", ["staff:list", "resident:list"])
def test_list_rejects_a_bad_period_with_a_clear_message(client_as, three_deals, path, bounds, message):
    response = get(client_as("admin"), path, **E001, **bounds)
    assert (response.status_code, response.content.decode()) == (400, message)


# ---- resident view ------------------------------------------------------------------------------------


def test_resident_sees_only_deals_of_the_unit_masked_in_whitelist_order(resident, demo_registry):
    store(
        deal_doc("d-own", create="2020-01-01T03:00:00Z"),
        {
            **deal_doc("d-in", create="2020-01-01T04:00:00Z", discharge="E003", charge="E001", cumulate_wh=0),
            "isMaster": False,
        },
        deal_doc("d-other", create="2020-01-01T05:00:00Z", discharge="E003", charge="E004"),
    )
    deals = body(get(resident, "resident:list", **E001))
    assert deals == [
        {
            "createDateTime": "2020-01-01T03:00:00Z",
            "dealId": "d-own",
            "dischargeUnitId": "E001",
            "chargeUnitId": "******",
            "type": "charge",
            "requestUnitId": "******",
            "requestAmountWh": 100,
            "acceptUnitId": "E001",
            "dealAmountWh": 50,
            "isMaster": True,
            "startDateTime": "2020-01-01T03:00:00Z",
            "cumulateAmountWh": 25.5,
        },
        {
            "createDateTime": "2020-01-01T04:00:00Z",
            "dealId": "d-in",
            "dischargeUnitId": "******",
            "chargeUnitId": "E001",
            "type": "charge",
            "requestUnitId": "E001",
            "requestAmountWh": 100,
            "acceptUnitId": "******",
            "dealAmountWh": 50,
            "isMaster": False,
            "startDateTime": "2020-01-01T04:00:00Z",
            "cumulateAmountWh": 0,
        },
    ]
    assert list(deals[0]) == list(deals[1])


def test_a_resident_sees_every_ending_time_of_a_finished_deal_and_nothing_beyond_the_whitelist(
    resident, demo_registry
):
    ended = {
        "stopDateTime": "2020-01-01T03:20:00Z",
        "abortDateTime": "2020-01-01T03:21:00Z",
        "scramDateTime": "2020-01-01T03:22:00Z",
    }
    store({**deal_doc("d-ended", create="2020-01-01T03:00:00Z", deactivated="2020-01-01T03:30:00Z"), **ended})
    (deal,) = body(get(resident, "resident:list", **E001))
    assert list(deal)[-4:] == ["stopDateTime", "abortDateTime", "scramDateTime", "deactivateDateTime"]
    assert {key: deal[key] for key in (*ended, "deactivateDateTime")} == {
        **ended,
        "deactivateDateTime": "2020-01-01T03:30:00Z",
    }
    hidden = {"negotiationId", "activateDateTime", "rampUpDateTime", "warmUpDateTime", "cumulateDateTime"}
    assert not hidden & set(deal), "fields beyond the resident whitelist are shown"


def test_staff_deals_are_not_masked(staff, three_deals):
    deal = body(get(staff, "staff:list", **IDS))[0]
    assert (deal["chargeUnitId"], deal["dischargeUnitId"], deal["reportTime"]) == (
        "E001",
        "E003",
        1_577_847_600,
    )


@pytest.mark.parametrize("format_type", ["budo", "BUDO", "Budo"])
def test_budo_format_gives_the_legacy_shape(staff, three_deals, format_type):
    deals = body(get(staff, "staff:list", **IDS, formatType=format_type))
    assert deals[0] == {
        "id": "d-1",
        "dischargingUnit": "E003",
        "chargingUnit": "E001",
        "isMasterDeal": True,
        "request": "charge",
        "requester": "E001",
        "responder": "E003",
        "startTime": "2020-01-01T03:00:00Z",
    }


def test_resident_budo_deals_are_masked_first(resident, three_deals):
    deals = body(get(resident, "resident:list", **E001, formatType="budo"))
    assert [(d["id"], d["dischargingUnit"], d["chargingUnit"], d["responder"]) for d in deals] == [
        ("d-1", "******", "E001", "******"),
        ("d-2", "E001", "******", "E001"),
    ]


def test_a_field_missing_from_a_deal_does_not_hide_the_fields_after_it(resident, demo_registry):
    doc = deal_doc("d-gaps", create="2020-01-01T03:00:00Z")
    del doc["type"], doc["requestAmountWh"], doc["isMaster"]
    store(doc)
    (deal,) = body(get(resident, "resident:list", **E001))
    assert "type" not in deal and "requestAmountWh" not in deal
    assert (deal["dealAmountWh"], deal["cumulateAmountWh"]) == (50, 25.5)
    (budo,) = body(get(resident, "resident:list", **E001, formatType="budo"))
    assert (budo["isMasterDeal"], budo["request"]) == (False, None)


def test_deals_without_a_creation_time_are_listed_last(staff, demo_registry):
    undated = deal_doc("d-undated", create="--")
    store(
        deal_doc("d-late", create="2020-01-01T05:00:00Z"),
        undated,
        deal_doc("d-early", create="2020-01-01T04:00:00Z"),
    )
    assert [deal["dealId"] for deal in body(get(staff, "staff:list", **IDS))] == [
        "d-early",
        "d-late",
        "d-undated",
    ]


def test_unknown_format_type_returns_deals_as_stored(staff, three_deals):
    assert body(get(staff, "staff:list", **IDS, formatType="raw")) == body(get(staff, "staff:list", **IDS))


# ---- live ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("age", "deactivated", "is_live"),
    [(299, False, True), (300, False, False), (301, False, False), (0, True, False)],
)
def test_live_means_not_deactivated_and_reported_within_300_seconds(demo_registry, age, deactivated, is_live):
    now = 1_700_000_000
    store(deal_doc("d-1", report_time=now - age, deactivated="2020-01-01T05:00:00Z" if deactivated else None))
    assert Deal.objects.live(now).exists() is is_live


def test_live_list_shows_deals_reported_recently_and_not_deactivated(client_as, demo_registry):
    now = int(time.time())
    store(
        deal_doc("d-live", report_time=now - 10),
        deal_doc("d-old", report_time=now - 3600),
        deal_doc("d-ended", report_time=now - 10, deactivated="2020-01-01T05:00:00Z"),
        deal_doc("d-theirs", report_time=now - 10, discharge="E003", charge="E004"),
    )
    assert deal_ids(get(client_as("admin"), "staff:liveList", **IDS)) == ["d-live", "d-theirs"]
    masked = body(get(client_as("e001"), "resident:liveList", **E001))
    assert [(d["dealId"], d["chargeUnitId"]) for d in masked] == [("d-live", "******")]
    budo = body(get(client_as("e001"), "resident:liveList", **E001, formatType="budo"))
    assert [(d["id"], d["dischargingUnit"]) for d in budo] == [("d-live", "E001")]


# ---- datetimeRange ------------------------------------------------------------------------------------


def test_datetime_range_spans_the_creation_times_visible_to_the_caller(client_as, three_deals):
    admin, e001 = client_as("admin"), client_as("e001")
    assert body(get(admin, "staff:datetimeRange", **IDS)) == {
        "min": "2020-01-01T03:00:00Z",
        "max": "2020-01-01T05:00:00Z",
    }
    assert body(get(e001, "resident:datetimeRange", **E001)) == {
        "min": "2020-01-01T03:00:00Z",
        "max": "2020-01-01T04:00:00Z",
    }


def test_a_newer_report_of_a_deal_moves_it_to_its_new_creation_time(client_as, demo_registry):
    store(deal_doc("d-1", report_time=100, create="2020-01-01T03:00:00Z"))
    store(deal_doc("d-1", report_time=200, create="2020-01-01T05:00:00Z"))
    admin = client_as("admin")
    assert body(get(admin, "staff:datetimeRange", **IDS)) == {
        "min": "2020-01-01T05:00:00Z",
        "max": "2020-01-01T05:00:00Z",
    }
    assert deal_ids(get(admin, "staff:list", **IDS, datetimeFrom="2020-01-01T04:00:00Z")) == ["d-1"]


def test_datetime_range_is_empty_without_deals_visible_to_the_caller(client_as, demo_registry):
    assert body(get(client_as("admin"), "staff:datetimeRange", **IDS)) == {}
    store(deal_doc("d-theirs", discharge="E003", charge="E004"))
    assert body(get(client_as("e001"), "resident:datetimeRange", **E001)) == {}


# ---- sumOfCumulateAmountWhsByHour ---------------------------------------------------------------------


@pytest.fixture
def hour_deals(demo_registry) -> None:
    """Four deals around midnight UTC; d-c created at a fraction of a second; d-d without numeric amount."""
    store(
        deal_doc("d-a", create="2020-01-01T23:40:00Z", cumulate_wh=10),
        deal_doc("d-b", create="2020-01-02T00:10:00Z", cumulate_wh=20, discharge="E003", charge="E004"),
        deal_doc("d-c", create="2020-01-02T03:20:00.750Z", cumulate_wh=5.5),
        deal_doc("d-d", create="2020-01-02T03:50:00Z", cumulate_wh=None),
    )


@pytest.mark.parametrize(
    ("zone", "staff_sums", "resident_sums"),
    [
        ("Z", {"0": 20.0, "3": 5.5, "23": 10.0}, {"3": 5.5, "23": 10.0}),
        ("+09:00", {"8": 10.0, "9": 20.0, "12": 5.5}, {"8": 10.0, "12": 5.5}),
        ("-03:30", {"0": 0.0, "20": 30.0, "23": 5.5}, {"0": 0.0, "20": 10.0, "23": 5.5}),
    ],
)
def test_hour_sums_group_creation_hours_in_the_requested_offset(
    client_as, hour_deals, zone, staff_sums, resident_sums
):
    assert (
        body(get(client_as("admin"), "staff:sumOfCumulateAmountWhsByHour", **IDS, timezone=zone))
        == staff_sums
    )
    assert body(get(client_as("e001"), "resident:sumOfCumulateAmountWhsByHour", **E001, timezone=zone)) == (
        resident_sums
    )


def test_hour_sums_are_empty_without_deals(staff, demo_registry):
    assert body(get(staff, "staff:sumOfCumulateAmountWhsByHour", **IDS, timezone="Z")) == {}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({}, "no param : timezone"),
        ({"timezone": ""}, "no param : timezone"),
        ({"timezone": "Tokyo"}, "invalid timezone : Tokyo (expected Z or ±HH:MM)"),
        ({"timezone": "+25:00"}, "invalid timezone : +25:00 (expected Z or ±HH:MM)"),
    ],
)
@pytest.mark.parametrize(
    "path", ["staff:sumOfCumulateAmountWhsByHour", "resident:sumOfCumulateAmountWhsByHour"]
)
def test_hour_sums_need_a_valid_timezone(client_as, hour_deals, path, params, message):
    response = get(client_as("admin"), path, **E001, **params)
    assert (response.status_code, response.content.decode()) == (400, message)


# ---- roles and parameters -----------------------------------------------------------------------------

REFUSALS = {
    "staff": {
        None: (403, "login required"),
        "e001": (403, "staff required"),
        "nonresident": (403, "staff required"),
        "admin": (200, None),
    },
    "resident": {
        None: (403, "login required"),
        "e001": (200, None),
        "e002": (400, "not a resident"),
        "nonresident": (403, "resident required"),
        "admin": (200, None),
    },
}


@pytest.mark.parametrize(
    ("kind", "role"), [(kind, role) for kind, roles in REFUSALS.items() for role in roles]
)
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_each_role_gets_the_deal_endpoints_it_may_use(client_as, three_deals, kind, role, endpoint):
    response = get(client_as(role), f"{kind}:{endpoint}", **E001, timezone="Z")
    status, message = REFUSALS[kind][role]
    assert response.status_code == status
    if message:
        assert response.content.decode() == message
    else:
        assert body(response) is not None


@pytest.mark.parametrize(
    ("path", "params", "message"),
    [
        ("staff:list", {"communityId": COMMUNITY}, "no param : communityId, clusterId"),
        ("staff:list", {**IDS, "clusterId": "nowhere"}, "bad param values : communityId, clusterId"),
        ("resident:list", IDS, "no param : communityId, clusterId, unitId"),
        ("resident:list", {**IDS, "unitId": "E999"}, "bad param values : communityId, clusterId, unitId"),
    ],
)
def test_missing_or_unknown_ids_are_refused(staff, path, params, message):
    response = get(staff, path, **params)
    assert (response.status_code, response.content.decode()) == (400, message)


def test_deal_endpoints_answer_only_get(staff, demo_registry):
    assert staff.post(STAFF + "list", IDS).status_code == 405


def test_admin_lists_deals_a_unit_takes_part_in(staff, demo_registry):
    store(deal_doc("d-1"), deal_doc("d-2", discharge="E003", charge="E004"), deal_doc("d-3", charge="E003"))
    listing = staff.get("/admin/deal/deal/", {"unit": "E003", "community": COMMUNITY})
    assert listing.status_code == 200
    assert sorted(row.deal_id for row in listing.context["cl"].result_list) == ["d-2", "d-3"]
    assert staff.get("/admin/deal/deal/add/").status_code == 403
