"""Resident scenario API: the four-level scope, the current choice and the choose rules (§5.7)."""

import json
import threading

import pytest
from django.db import connection
from django.test import Client

from apis.scenario.models import Choice, Scenario

UNIT = {"communityId": "oss_community", "clusterId": "oss_cluster", "unitId": "E001"}
E002 = {**UNIT, "unitId": "E002"}
FIELDS = ["id", "community_id", "cluster_id", "unit_id", "created", "name", "description", "data"]
GLOBAL_NAMES = ["HIGH_PRIORITY", "LOW_PRIORITY", "NORMAL", "NO_DEAL"]


def names(client: Client, unit: dict = UNIT) -> list[str]:
    return [scenario["name"] for scenario in client.get("/api/resident/scenario/availableList", unit).json()]


def choose(client: Client, scenario_id=None, unit: dict = UNIT):
    data = unit if scenario_id is None else {**unit, "scenarioId": scenario_id}
    return client.post("/api/resident/scenario/choose", data)


def current(client: Client, unit: dict = UNIT):
    return client.get("/api/resident/scenario/current", unit)


def test_available_list_has_globals_and_own_scenarios_in_code_point_order(resident):
    assert names(resident) == ["HIGH_PRIORITY", "JUST_FOR_E001", "LOW_PRIORITY", "NORMAL", "NO_DEAL"]


def test_other_units_do_not_see_a_unit_scoped_scenario(client_as):
    assert names(client_as("e002"), E002) == GLOBAL_NAMES


def test_available_list_shape_matches_the_original(resident):
    scenarios = resident.get("/api/resident/scenario/availableList", UNIT).json()
    high, just = scenarios[0], scenarios[1]
    assert list(high) == FIELDS
    assert high["community_id"] is high["cluster_id"] is high["unit_id"] is None
    assert high["created"] == "2019-12-31T15:00:00Z"
    assert high["description"] == "Low rsoc, High priority"
    assert isinstance(high["data"], str)
    assert json.loads(high["data"])["refreshingPeriodMsec"] == 30000
    assert (just["community_id"], just["cluster_id"], just["unit_id"]) == (
        "oss_community",
        "oss_cluster",
        "E001",
    )


@pytest.mark.parametrize(
    ("scope", "visible"),
    [
        (("oss_community", None, None), True),
        (("oss_community", "oss_cluster", None), True),
        (("oss_community", "oss_cluster", "E001"), True),
        (("oss_community", "oss_cluster", "E002"), False),
        (("oss_community", "other_cluster", None), False),
        (("other_community", None, None), False),
        ((None, "oss_cluster", None), False),
        ((None, None, "E001"), False),
        (("oss_community", None, "E001"), False),
    ],
)
def test_scenario_scope_decides_visibility(resident, scope, visible):
    community_id, cluster_id, unit_id = scope
    Scenario.objects.create(
        community_id=community_id, cluster_id=cluster_id, unit_id=unit_id, name="SCOPED", data="{}"
    )
    assert ("SCOPED" in names(resident)) is visible


def test_current_is_empty_until_a_scenario_is_chosen(resident):
    response = current(resident)
    assert (response.status_code, response.content) == (200, b"")


def test_choosing_an_available_scenario_makes_it_current(resident):
    response = choose(resident, "5")
    assert (response.status_code, response.content) == (200, b"ok")
    chosen = current(resident).json()
    assert list(chosen) == FIELDS
    assert (chosen["id"], chosen["name"]) == (5, "JUST_FOR_E001")


def test_choosing_the_current_scenario_again_changes_nothing(resident):
    choose(resident, "4")
    response = choose(resident, "4")
    assert (response.status_code, response.content) == (200, b"no change")
    assert Choice.objects.count() == 1


def test_every_change_of_choice_is_kept_in_the_history(resident):
    for scenario_id in ("1", "2", "1"):
        assert choose(resident, scenario_id).content == b"ok"
    history = Choice.objects.filter(unit_id="E001").order_by("pk").values_list("scenario_id", flat=True)
    assert list(history) == [1, 2, 1]
    assert current(resident).json()["id"] == 1


def test_choosing_nothing_clears_the_current_scenario(resident):
    choose(resident, "4")
    response = choose(resident)
    assert (response.status_code, response.content) == (200, b"ok")
    assert current(resident).content == b""
    assert choose(resident, "").content == b"no change"


def test_choosing_nothing_without_a_current_scenario_changes_nothing(resident):
    assert choose(resident).content == b"no change"
    assert not Choice.objects.exists()


@pytest.mark.parametrize(
    "value",
    [
        "abc",
        "-1",
        "1.0",
        " 1",
        "٣",
        "999999",
        "99999999999999999999999",
        pytest.param("9" * 5000, id="5000-digits"),
    ],
)
def test_a_bad_scenario_id_is_rejected_by_name(resident, value):
    response = choose(resident, value)
    assert (response.status_code, response.content.decode()) == (400, f"bad scenarioId : {value}")
    assert not Choice.objects.exists()


def test_a_scenario_of_another_unit_cannot_be_chosen(client_as):
    response = choose(client_as("e002"), "5", E002)
    assert (response.status_code, response.content) == (400, b"bad scenarioId : 5")


def test_current_survives_the_deletion_of_its_scenario_as_none(resident):
    choose(resident, "5")
    Scenario.objects.filter(pk=5).delete()
    assert current(resident).content == b""
    assert choose(resident).content == b"no change"


def test_choices_of_one_unit_do_not_affect_another(client_as):
    admin = client_as("admin")
    choose(admin, "1")
    assert current(admin, E002).content == b""
    assert choose(admin, "1", E002).content == b"ok"


def test_choose_is_a_csrf_protected_post(client_as):
    browser = client_as("e001", enforce_csrf_checks=True)
    refused = browser.post("/api/resident/scenario/choose", {**UNIT, "scenarioId": "1"})
    assert refused.status_code == 403
    token = browser.get("/api/core/csrftoken").json()["csrfmiddlewaretoken"]
    accepted = browser.post(
        "/api/resident/scenario/choose", {**UNIT, "scenarioId": "1", "csrfmiddlewaretoken": token}
    )
    assert accepted.content == b"ok"


def test_choose_parameters_may_come_in_the_query_string_of_the_post(resident):
    response = resident.post(
        "/api/resident/scenario/choose?communityId=oss_community&clusterId=oss_cluster"
        "&unitId=E001&scenarioId=2"
    )
    assert response.content == b"ok"
    assert current(resident).json()["name"] == "LOW_PRIORITY"


def test_choose_by_get_only_under_legacy_compat(resident, settings):
    refused = resident.get("/api/resident/scenario/choose", {**UNIT, "scenarioId": "1"})
    assert refused.status_code == 405
    assert current(resident).content == b""
    settings.LEGACY_COMPAT = True
    assert resident.get("/api/resident/scenario/choose", {**UNIT, "scenarioId": "1"}).content == b"ok"


@pytest.fixture
def live_registry(transactional_db):
    from django.core.management import call_command

    call_command("loaddata", "apis-demo", verbosity=0)


@pytest.mark.skipif(
    connection.vendor == "sqlite", reason="the in-memory test database is not shared by threads"
)
def test_concurrent_identical_choices_answer_ok_once(live_registry, django_user_model):
    user = django_user_model.objects.get(username="e001")
    barrier = threading.Barrier(6)
    answers: list[bytes] = []

    def choose_in_thread() -> None:
        client = Client()
        client.force_login(user)
        barrier.wait()
        try:
            answers.append(choose(client, "3").content)
        finally:
            connection.close()

    threads = [threading.Thread(target=choose_in_thread) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == [b"no change"] * 5 + [b"ok"]
    assert Choice.objects.count() == 1


def admin_form(**fields) -> dict:
    return {
        "name": "ADMIN_MADE",
        "description": "",
        "community_id": "",
        "cluster_id": "",
        "unit_id": "",
        "created_0": "2020-01-01",
        "created_1": "00:00:00",
        **fields,
    }


def test_admin_rejects_scenario_data_that_is_not_a_json_object(staff):
    response = staff.post("/admin/scenario/scenario/add/", admin_form(data="[1, 2]"))
    assert response.status_code == 200
    assert "must be a JSON object" in response.content.decode()
    assert not Scenario.objects.filter(name="ADMIN_MADE").exists()


def test_admin_saves_a_scenario_with_a_json_object(staff, resident):
    response = staff.post("/admin/scenario/scenario/add/", admin_form(data='{"refreshingPeriodMsec": 30000}'))
    assert response.status_code == 302
    assert Scenario.objects.get(name="ADMIN_MADE").data == '{"refreshingPeriodMsec": 30000}'
    assert "ADMIN_MADE" in names(resident)  # empty scope fields are stored as null: a global scenario


def test_admin_lists_scenarios_and_choices(staff, resident):
    choose(resident, "5")
    scenarios = staff.get("/admin/scenario/scenario/").content.decode()
    assert "JUST_FOR_E001" in scenarios and "oss_cluster" in scenarios
    choices = staff.get("/admin/scenario/choice/").content.decode()
    assert "JUST_FOR_E001" in choices and "E001" in choices
