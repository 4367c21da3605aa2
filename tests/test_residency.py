"""The residency rule through every resident endpoint and page and the misc calls apis-ccc makes (issue 12).

A resident sees the unit's deals created and unit data recorded within their own periods ``[start, end)``:
before their first start they are no resident of the unit; after an end the unit shows the past they lived
there and nothing newer; with two periods and a gap, nothing of the gap. What acts on the unit now
(``scenario/choose``, the misc calls) needs a period that is still running.
"""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from apis.scenario.models import Choice, Scenario
from tests.residency import UNIT, deal_id, hour, live_in, store_day, store_live_deal

RESIDENT = "/api/resident/"

# name → (periods, hours of the timeline the resident sees, still living there)
CASES = {
    "inside an open period": ([(hour(2), None)], [2, 3, 4, 5, 7, 8, 9], True),
    "after the end": ([(hour(2), hour(4))], [2, 3], False),
    "two periods and a gap, living there": ([(hour(2), hour(4)), (hour(6), None)], [2, 3, 7, 8, 9], True),
    "two periods and a gap, moved out": ([(hour(2), hour(4)), (hour(6), hour(8))], [2, 3, 7], False),
}


def body(response) -> object:
    assert response.status_code == 200, response.content
    return json.loads(b"".join(response.streaming_content) if response.streaming else response.content)


def deals(client: Client, endpoint: str = "list", **params) -> list[str]:
    return [deal["dealId"] for deal in body(client.get(RESIDENT + "deal/" + endpoint, {**UNIT, **params}))]


@pytest.fixture
def day(demo_registry) -> None:
    store_day()


@pytest.fixture(params=list(CASES))
def case(request, day, client_as):
    """e001 with the periods of one case, its client, the hours it sees and whether it lives there now."""
    periods, hours, current = CASES[request.param]
    live_in("e001", *periods)
    return client_as("e001"), hours, current


# ---- deals ------------------------------------------------------------------------------------------------


def test_deal_list_holds_the_deals_created_within_the_periods_only(case):
    client, hours, _ = case
    assert deals(client) == [deal_id(h) for h in hours]


def test_deal_list_of_a_period_of_time_is_cut_to_the_residents_periods(case):
    client, hours, _ = case
    asked = deals(client, datetimeFrom="2020-01-01T03:00:00Z", datetimeTo="2020-01-01T08:30:00Z")
    assert asked == [deal_id(h) for h in hours if 3 <= h <= 8]


def test_datetime_range_spans_the_visible_deals_only(case):
    client, hours, _ = case
    answer = body(client.get(RESIDENT + "deal/datetimeRange", UNIT))
    assert answer == {
        "min": f"2020-01-01T{min(hours):02d}:00:00Z",
        "max": f"2020-01-01T{max(hours):02d}:00:00Z",
    }


def test_hour_sums_add_up_the_visible_deals_only(case):
    client, hours, _ = case
    answer = body(client.get(RESIDENT + "deal/sumOfCumulateAmountWhsByHour", {**UNIT, "timezone": "+09:00"}))
    assert answer == {str((h + 9) % 24): 10.0 * h for h in hours}


def test_live_list_shows_a_deal_going_on_now_only_to_a_resident_living_there(case):
    client, _, current = case
    store_live_deal(timezone.now() - timedelta(minutes=1))
    assert deals(client, "liveList") == (["d-live"] if current else [])


def test_a_former_resident_sees_no_live_deal_even_one_created_before_moving_out(day, client_as):
    moved_out = timezone.now() - timedelta(seconds=30)
    live_in("e001", (hour(2), moved_out))
    store_live_deal(moved_out - timedelta(minutes=2))
    client = client_as("e001")
    assert deals(client, "liveList") == []
    assert "d-live" in deals(client)


def test_a_deal_created_after_moving_out_is_never_shown(day, client_as):
    moved_out = timezone.now() - timedelta(minutes=3)
    live_in("e001", (hour(2), moved_out))
    store_live_deal(moved_out + timedelta(minutes=1))
    client = client_as("e001")
    assert "d-live" not in deals(client)
    assert body(client.get(RESIDENT + "deal/datetimeRange", UNIT))["max"] == "2020-01-01T09:00:00Z"


def test_masking_and_the_budo_shape_still_apply(case):
    client, hours, _ = case
    budo = body(client.get(RESIDENT + "deal/list", {**UNIT, "formatType": "budo"}))
    assert [deal["id"] for deal in budo] == [deal_id(h) for h in hours]
    assert {deal["dischargingUnit"] for deal in budo} | {deal["chargingUnit"] for deal in budo} <= {
        "E001",
        "******",
    }


# ---- unit data --------------------------------------------------------------------------------------------


def test_latest_set_is_the_newest_record_within_the_periods(case):
    client, hours, _ = case
    latest = body(client.get(RESIDENT + "unitData/latestSet", UNIT))
    assert latest["E001"]["battery"]["rsoc"] == max(hours)
    assert latest["E001"]["time"] == f"2020-01-01T{max(hours):02d}:00:00Z"


def test_latest_set_falls_back_to_an_earlier_period_when_the_last_one_has_no_record(day, client_as):
    live_in("e001", (hour(2), hour(4)), (hour(10), None))
    latest = body(client_as("e001").get(RESIDENT + "unitData/latestSet", UNIT))
    assert latest["E001"]["battery"]["rsoc"] == 3


def test_latest_set_is_empty_when_no_record_lies_within_the_periods(day, client_as):
    live_in("e001", (hour(10), None))
    assert body(client_as("e001").get(RESIDENT + "unitData/latestSet", UNIT)) == {}


# ---- before the start -------------------------------------------------------------------------------------


def test_before_the_start_a_user_is_no_resident_at_all(day, client_as):
    live_in("e001", (timezone.now() + timedelta(days=1), None))
    client = client_as("e001")
    for path in ("community/outline", "unitData/latestSet", "deal/list", "scenario/availableList"):
        response = client.get(RESIDENT + path, UNIT)
        assert (response.status_code, response.content) == (403, b"resident required"), path
    assert client.get("/resident/visual").status_code == 403


def test_before_the_start_in_one_unit_a_resident_of_another_is_not_its_resident(day, client_as):
    live_in("e001", (timezone.now() + timedelta(days=1), None))
    live_in("e001", (hour(1), None), unit="E002")
    client = client_as("e001")
    for path in ("unitData/latestSet", "deal/list", "deal/liveList", "scenario/current"):
        response = client.get(RESIDENT + path, UNIT)
        assert (response.status_code, response.content) == (400, b"not a resident"), path
    outline = body(client.get(RESIDENT + "community/outline"))
    assert list(outline["communities"]["oss_community"]["clusters"]["oss_cluster"]["units"]) == ["E002"]


def test_a_period_counts_from_its_start_on(day, client_as):
    live_in("e001", (timezone.now() - timedelta(seconds=1), None))
    store_live_deal(timezone.now())
    assert deals(client_as("e001")) == ["d-live"]


# ---- the original's checks stay first ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "status", "message"),
    [
        ({"unitId": ""}, 400, "no param : communityId, clusterId, unitId"),
        ({"unitId": "E999"}, 400, "bad param values : communityId, clusterId, unitId"),
        ({"unitId": "E002"}, 400, "not a resident"),
    ],
)
@pytest.mark.parametrize("path", ["deal/list", "unitData/latestSet", "scenario/current", "scenario/choose"])
def test_a_former_resident_gets_the_originals_refusals_in_their_order(
    day, client_as, path, params, status, message
):
    live_in("e001", (hour(2), hour(4)))
    client = client_as("e001")
    call = client.post if path == "scenario/choose" else client.get
    response = call(RESIDENT + path, {**UNIT, **params})
    assert (response.status_code, response.content.decode()) == (status, message)


# ---- outline and pages ------------------------------------------------------------------------------------


def test_a_former_resident_keeps_the_unit_in_the_outline_and_the_pages(day, client_as):
    live_in("e001", (hour(2), hour(4)))
    client = client_as("e001")
    outline = body(client.get(RESIDENT + "community/outline"))
    assert list(outline["communities"]["oss_community"]["clusters"]["oss_cluster"]["units"]) == ["E001"]
    for page in ("visual", "deal", "scenario"):
        assert client.get(f"/resident/{page}").status_code == 200, page
    assert client.get("/").url == "/resident/visual"


# ---- scenarios --------------------------------------------------------------------------------------------


def scenario_names(client: Client) -> list[str]:
    return [scenario["name"] for scenario in body(client.get(RESIDENT + "scenario/availableList", UNIT))]


def choose_at(moment, scenario_id: int | None) -> None:
    Choice.objects.create(
        community_id="oss_community",
        cluster_id="oss_cluster",
        unit_id="E001",
        scenario_id=scenario_id,
        created=moment,
    )


def test_a_former_resident_sees_the_scenarios_and_the_choice_as_they_were_at_the_move_out(day, client_as):
    moved_out = timezone.now() - timedelta(days=1)
    live_in("e001", (hour(2), moved_out))
    choose_at(moved_out - timedelta(hours=1), 1)
    choose_at(moved_out + timedelta(hours=1), 2)
    Scenario.objects.create(
        community_id="oss_community", cluster_id="oss_cluster", unit_id="E001", name="NEW"
    )
    former = client_as("e001")
    assert body(former.get(RESIDENT + "scenario/current", UNIT))["name"] == "HIGH_PRIORITY"
    assert "NEW" not in scenario_names(former)
    assert "JUST_FOR_E001" in scenario_names(former)

    live_in("e001", (hour(2), None))
    assert body(former.get(RESIDENT + "scenario/current", UNIT))["name"] == "LOW_PRIORITY"
    assert "NEW" in scenario_names(former)


def test_a_former_residents_current_scenario_is_empty_when_nothing_was_chosen_before_the_move_out(
    day, client_as
):
    moved_out = timezone.now() - timedelta(days=1)
    live_in("e001", (hour(2), moved_out))
    choose_at(moved_out + timedelta(hours=1), 2)
    response = client_as("e001").get(RESIDENT + "scenario/current", UNIT)
    assert (response.status_code, response.content) == (200, b"")


def test_only_a_resident_living_there_may_choose_a_scenario(case):
    client, _, current = case
    response = client.post(RESIDENT + "scenario/choose", {**UNIT, "scenarioId": "1"})
    if current:
        assert (response.status_code, response.content) == (200, b"ok")
        assert Choice.objects.get().scenario_id == 1
    else:
        assert (response.status_code, response.content) == (400, b"not a current resident")
        assert not Choice.objects.exists()


# ---- the misc calls apis-ccc makes ------------------------------------------------------------------------

MISC = {
    "/api/misc/scenario/currentData": {},
    "/api/misc/scenario/update": {"name": "MINE", "data": "{}"},
    "/api/misc/policy/currentData": {},
}


@pytest.mark.parametrize("path", list(MISC))
def test_misc_calls_need_a_resident_living_there(case, path):
    _, _, current = case
    response = Client().post(path, {**UNIT, "account": "e001", "password": "e001", **MISC[path]})
    if current:
        assert response.status_code == 200, response.content
    else:
        assert (response.status_code, response.content) == (400, b"not a current resident")
    assert Scenario.objects.filter(name="MINE").exists() is (current and path.endswith("update"))


@pytest.mark.parametrize("path", list(MISC))
def test_misc_calls_refuse_a_user_whose_period_has_not_started(day, path):
    live_in("e001", (timezone.now() + timedelta(hours=1), None))
    response = Client().post(path, {**UNIT, "account": "e001", "password": "e001", **MISC[path]})
    assert (response.status_code, response.content) == (400, b"not a resident")


def test_the_schema_names_the_refusal_of_a_former_resident_where_it_can_happen(client_as):
    response = client_as(None).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    paths = json.loads(response.content)["paths"]
    acting = [("/api/resident/scenario/choose", "post"), *((path, "post") for path in MISC)]
    reading = [("/api/resident/deal/list", "get"), ("/api/resident/unitData/latestSet", "get")]
    for path, method in acting + reading:
        refusals = paths[path][method]["responses"]["400"]["description"]
        assert ("`not a current resident`" in refusals) is ((path, method) in acting), path
