"""``/api/misc/``: what apis-ccc polls with credentials in a form POST (scenario and policy) and the
scenario update of a unit (§5.7)."""

import json

import pytest
from django.test import Client

from apis.community.models import Cluster
from apis.scenario.models import Choice, Scenario

UNIT = {"communityId": "oss_community", "clusterId": "oss_cluster", "unitId": "E001"}
E001 = {**UNIT, "account": "e001", "password": "e001"}


@pytest.fixture
def ccc(demo_registry) -> Client:
    """apis-ccc: no session, no CSRF token."""
    return Client(enforce_csrf_checks=True)


def current_data(client: Client, **form):
    return client.post("/api/misc/scenario/currentData", {**E001, **form})


def update(client: Client, **form):
    return client.post("/api/misc/scenario/update", {**E001, **form})


def test_current_data_is_empty_when_nothing_is_chosen(ccc):
    response = current_data(ccc)
    assert (response.status_code, response.content) == (200, b"")
    assert response["Content-Type"] == "application/json"


def test_current_data_is_the_chosen_scenario_text_verbatim(ccc):
    Choice.objects.create(
        **{"community_id": "oss_community", "cluster_id": "oss_cluster", "unit_id": "E001"}, scenario_id=5
    )
    response = current_data(ccc)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.content.decode() == Scenario.objects.get(pk=5).data
    assert "sessionid" not in response.cookies


def test_current_data_follows_the_residents_choice(ccc, resident):
    resident.post("/api/resident/scenario/choose", {**UNIT, "scenarioId": "3"})
    assert json.loads(current_data(ccc).content) == json.loads(Scenario.objects.get(name="NO_DEAL").data)


def test_current_data_accepts_username_instead_of_account(ccc):
    response = ccc.post("/api/misc/scenario/currentData", {**UNIT, "username": "e001", "password": "e001"})
    assert response.status_code == 200


def test_current_data_of_a_scenario_without_data_is_empty(ccc):
    Scenario.objects.filter(pk=4).update(data="")
    Choice.objects.create(
        community_id="oss_community", cluster_id="oss_cluster", unit_id="E001", scenario_id=4
    )
    assert current_data(ccc).content == b""


@pytest.mark.parametrize(
    ("form", "status", "message"),
    [
        ({"account": "", "password": ""}, 400, "no param : username/account, password"),
        ({"password": ""}, 400, "no param : username/account, password"),
        ({"password": "wrong"}, 403, "login failed"),
        ({"account": "nobody"}, 403, "login failed"),
        ({"unitId": ""}, 400, "no param : communityId, clusterId, unitId"),
        ({"unitId": "E999"}, 400, "bad param values : communityId, clusterId, unitId"),
        ({"unitId": "E002"}, 400, "not a resident"),
    ],
)
def test_misc_credentials_and_unit_are_checked(ccc, form, status, message):
    for path in (
        "/api/misc/scenario/currentData",
        "/api/misc/scenario/update",
        "/api/misc/policy/currentData",
    ):
        response = ccc.post(path, {**E001, "name": "X", "data": "{}", **form})
        assert (response.status_code, response.content.decode()) == (status, message), path


def test_misc_unit_ids_are_read_from_the_form_only(ccc):
    response = ccc.post(
        "/api/misc/scenario/currentData?" + "communityId=oss_community&clusterId=oss_cluster&unitId=E001",
        {"account": "e001", "password": "e001"},
    )
    assert response.content == b"no param : communityId, clusterId, unitId"


def test_misc_calls_are_posts(ccc):
    response = ccc.get("/api/misc/scenario/currentData", E001)
    assert response.status_code == 405


def test_update_creates_then_updates_the_units_own_scenario(ccc, resident):
    created = update(ccc, name="MINE", data='{"refreshingPeriodMsec": 30000}', description="my own")
    assert (created.status_code, created.content) == (200, b"created")
    updated = update(ccc, name="MINE", data='{"refreshingPeriodMsec": 60000}')
    assert (updated.status_code, updated.content) == (200, b"updated")
    mine = [
        s for s in resident.get("/api/resident/scenario/availableList", UNIT).json() if s["name"] == "MINE"
    ]
    assert len(mine) == 1
    assert (mine[0]["community_id"], mine[0]["cluster_id"], mine[0]["unit_id"]) == (
        "oss_community",
        "oss_cluster",
        "E001",
    )
    assert mine[0]["data"] == '{"refreshingPeriodMsec": 60000}'
    assert mine[0]["description"] is None


def test_update_does_not_choose_the_scenario(ccc):
    update(ccc, name="MINE", data="{}")
    assert current_data(ccc).content == b""


def test_update_with_a_global_name_leaves_the_global_scenario_alone(ccc):
    normal = Scenario.objects.get(name="NORMAL", unit_id=None)
    assert update(ccc, name="NORMAL", data="{}").content == b"created"
    assert Scenario.objects.get(pk=normal.pk).data == normal.data
    assert Scenario.objects.filter(name="NORMAL").count() == 2


def test_update_of_another_unit_is_separate(client_as, ccc):
    update(ccc, name="MINE", data="{}")
    admin = {**UNIT, "unitId": "E002", "account": "admin", "password": "admin"}
    assert (
        ccc.post("/api/misc/scenario/update", {**admin, "name": "MINE", "data": "{}"}).content == b"created"
    )


@pytest.mark.parametrize("form", [{"name": "MINE"}, {"data": "{}"}, {"name": "", "data": "{}"}])
def test_update_requires_name_and_data(ccc, form):
    response = update(ccc, **form)
    assert (response.status_code, response.content) == (400, b"no param : name, data")
    assert not Scenario.objects.filter(unit_id="E001", name="MINE").exists()


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ("{not json", "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"),
        ("[1, 2]", "got an array"),
        ('"text"', "got a string"),
        ("null", "got null"),
        pytest.param("[" * 100_000, "nested too deeply", id="deep"),
    ],
)
def test_update_data_must_be_a_json_object(ccc, data, reason):
    response = update(ccc, name="MINE", data=data)
    assert (response.status_code, response.content.decode()) == (400, f"data is not a JSON object : {reason}")
    assert not Scenario.objects.filter(name="MINE").exists()


def test_update_rejects_a_name_too_long_to_store(ccc):
    response = update(ccc, name="N" * 129, data="{}")
    assert (response.status_code, response.content) == (400, b"name is longer than 128 characters")
    assert Scenario.objects.count() == 5


def test_policy_is_the_clusters_policy_text_verbatim(ccc):
    response = ccc.post("/api/misc/policy/currentData", E001)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.content.decode() == Cluster.objects.get(code="oss_cluster").policy
    policy = json.loads(response.content)
    assert policy["memberUnitIds"] == ["E001", "E002", "E003", "E004"]
    assert policy["operationGridVoltageVRange"] == {"min": 300, "max": 380}


def test_policy_is_empty_when_the_cluster_has_none(ccc):
    Cluster.objects.update(policy="")
    response = ccc.post("/api/misc/policy/currentData", E001)
    assert (response.status_code, response.content) == (200, b"")
