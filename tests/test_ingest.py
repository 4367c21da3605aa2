"""``POST /api/ccc/unitData`` and ``/api/ccc/deal``: tokens, validation (nothing partially stored),
idempotency, the ``reportTime`` rule and the normalisation of times in the stored documents."""

import copy
import json
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from apis.deal.models import Deal
from apis.ingest.models import IngestToken
from apis.ingest.parse import parse_deals, parse_unit_data
from apis.unit_data.models import ReportedUnit, UnitData
from tests.payloads import CLUSTER, COMMUNITY, deal_doc, unit_doc

UNIT_URL, DEAL_URL = "/api/ccc/unitData", "/api/ccc/deal"
NOON_TOKYO_IN_UTC = "2020-01-01T03:00:00Z"


@pytest.fixture
def token_row(demo_registry) -> tuple[IngestToken, str]:
    from apis.community.models import Cluster

    return IngestToken.issue(Cluster.objects.get(community__code=COMMUNITY, code=CLUSTER), "test")


@pytest.fixture
def token(token_row) -> str:
    return token_row[1]


def post(url: str, body: object, token: str | None = None, raw: bool = False):
    """POST ``body`` (JSON-encoded unless ``raw``) with the token as a Bearer header."""
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    data = body if raw else json.dumps(body)
    return Client().post(url, data=data, content_type="application/json", **headers)


def stored_units() -> list[dict]:
    return [row.data for row in UnitData.objects.order_by("unit_id", "dataset_id")]


def stored_deal(deal_id: str = "d-0001") -> dict:
    return Deal.objects.get(deal_id=deal_id).data


# ---- unit data ---------------------------------------------------------------------------------------


def test_unit_data_report_is_stored_with_its_time_in_utc(token):
    response = post(UNIT_URL, [unit_doc("E001"), unit_doc("E002", effective="heteronomous")], token)

    assert response.status_code == 200
    assert response.json() == {"stored": 2, "skipped": 0}
    first, second = stored_units()
    assert first["time"] == NOON_TOKYO_IN_UTC
    assert first["datasetId"] == 1_577_847_600_000
    assert [first["oesunit"]["id"], second["oesunit"]["id"]] == ["E001", "E002"]
    assert first["emu"] == unit_doc()["emu"]
    row = UnitData.objects.get(unit_id="E002")
    assert (row.community_id, row.cluster_id, row.effective_mode) == (COMMUNITY, CLUSTER, "heteronomous")
    assert row.time == datetime(2020, 1, 1, 3, tzinfo=UTC)


def test_same_unit_report_twice_is_stored_once(token):
    report = [unit_doc("E001"), unit_doc("E002")]
    post(UNIT_URL, report, token)

    again = post(UNIT_URL, report, token)

    assert again.status_code == 200
    assert again.json() == {"stored": 0, "skipped": 2}
    assert UnitData.objects.count() == 2


def test_reported_unit_keeps_the_newest_dataset(token):
    post(UNIT_URL, [unit_doc("E001", dataset_id=2000, time="2020/01/01-12:00:30")], token)
    post(UNIT_URL, [unit_doc("E001", dataset_id=1000, time="2020/01/01-12:00:00")], token)

    reported = ReportedUnit.objects.get(community_id=COMMUNITY, cluster_id=CLUSTER, unit_id="E001")
    assert reported.last_dataset_id == 2000
    assert reported.last_time == datetime(2020, 1, 1, 3, 0, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "sent", "stored"),
    [
        ("Asia/Tokyo", "2020-01-01T12:00:00+09:00", "2020-01-01T03:00:00Z"),
        ("Asia/Tokyo", "2020-01-01T12:00:00.250-03:30", "2020-01-01T15:30:00.250Z"),
        ("Asia/Tokyo", "2020/01/01-12:00:00", "2020-01-01T03:00:00Z"),
        ("Asia/Tokyo", "2020/01/01-12:00:00.789", "2020-01-01T03:00:00Z"),
        ("UTC", "2020/01/01-12:00:00", "2020-01-01T12:00:00Z"),
        ("America/Sao_Paulo", "2020/07/01-12:00:00", "2020-07-01T15:00:00Z"),
    ],
)
def test_unit_time_forms_are_stored_as_utc(settings, token, zone, sent, stored):
    settings.APIS_TIME_ZONE = zone

    assert post(UNIT_URL, [unit_doc(time=sent)], token).status_code == 200

    assert stored_units()[0]["time"] == stored


def test_other_time_strings_in_unit_data_are_converted_only_when_they_are_times(token):
    doc = unit_doc()
    doc["emu"]["last_update_time"] = "2020/01/01-11:59:30"
    doc["dcdc"]["status"]["runtime"] = "3 days"
    doc["apis"]["boot_time"] = "--"

    post(UNIT_URL, [doc], token)

    stored = stored_units()[0]
    assert stored["emu"]["last_update_time"] == "2020-01-01T02:59:30Z"
    assert stored["dcdc"]["status"]["runtime"] == "3 days"
    assert stored["apis"]["boot_time"] == "--"
    assert stored["emu"]["system_time"] == unit_doc()["emu"]["system_time"]


def test_integral_float_dataset_id_is_stored_as_an_integer(token):
    post(UNIT_URL, [unit_doc(dataset_id=1_577_847_600_000.0)], token)

    assert UnitData.objects.get().dataset_id == 1_577_847_600_000
    assert stored_units()[0]["datasetId"] == 1_577_847_600_000


def _without(path: str):
    def change(doc: dict) -> None:
        *parents, key = path.split(".")
        for parent in parents:
            doc = doc[parent]
        del doc[key]

    return change


def _set(path: str, value: object):
    def change(doc: dict) -> None:
        *parents, key = path.split(".")
        for parent in parents:
            doc = doc[parent]
        doc[key] = value

    return change


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_without("oesunit"), "item 1: missing field oesunit"),
        (_set("oesunit", "E001"), "item 1: oesunit is not a JSON object"),
        (_without("oesunit.id"), "item 1: missing field oesunit.id"),
        (_set("oesunit.id", ""), "item 1: missing field oesunit.id"),
        (_set("oesunit.id", 7), "item 1: invalid field oesunit.id: 7 (expected a string)"),
        (_without("oesunit.communityId"), "item 1: missing field oesunit.communityId"),
        (_without("oesunit.clusterId"), "item 1: missing field oesunit.clusterId"),
        (_without("time"), "item 1: missing field time"),
        (_set("time", "abc"), "item 1: invalid time: 'abc' (field time)"),
        (_set("time", "--"), "item 1: invalid time: '--' (field time)"),
        (_set("time", "2020/13/01-12:00:00"), "item 1: invalid time: '2020/13/01-12:00:00' (field time)"),
        (_set("time", 1577847600), "item 1: invalid time: 1577847600 (field time)"),
        (_without("datasetId"), "item 1: missing field datasetId"),
        (_set("datasetId", "1577847600000"), "item 1: invalid field datasetId: '1577847600000'"),
        (_set("datasetId", True), "item 1: invalid field datasetId: True"),
        (_set("datasetId", 1.5), "item 1: invalid field datasetId: 1.5"),
        (_set("datasetId", 2**63), f"item 1: invalid field datasetId: {2**63} (out of the 64-bit integer"),
        (_set("oesunit.id", "E" * 129), "item 1: invalid field oesunit.id: longer than 128 characters"),
        (
            _set("apis.operation_mode.effective", "x" * 33),
            "item 1: invalid field apis.operation_mode.effective: longer than 32 characters",
        ),
    ],
)
def test_invalid_unit_item_is_rejected_naming_index_and_field_and_nothing_is_stored(token, change, message):
    bad = unit_doc("E002")
    change(bad)

    response = post(UNIT_URL, [unit_doc("E001"), bad], token)

    assert response.status_code == 400
    assert response.content.decode().startswith(message)
    assert not UnitData.objects.exists()
    assert not ReportedUnit.objects.exists()


@pytest.mark.parametrize("url", [UNIT_URL, DEAL_URL])
@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('[{"dealId": ', "invalid JSON: "),
        ("", "invalid JSON: "),
        (b"\xff\xfe[]", "invalid JSON: "),
        ('{"dealId": "d-1"}', "body is not a JSON array"),
        ('"text"', "body is not a JSON array"),
    ],
)
def test_body_that_is_not_a_json_array_is_rejected(token, url, body, message):
    response = post(url, body, token, raw=True)

    assert response.status_code == 400
    assert response.content.decode().startswith(message)


@pytest.mark.parametrize(("url", "valid"), [(UNIT_URL, unit_doc()), (DEAL_URL, deal_doc())])
def test_item_that_is_not_an_object_is_rejected_and_nothing_is_stored(token, url, valid):
    response = post(url, [valid, ["E002"]], token)

    assert response.status_code == 400
    assert response.content.decode() == "item 1: not a JSON object"
    assert not UnitData.objects.exists() and not Deal.objects.exists()


@pytest.mark.parametrize(
    ("url", "valid", "foreign", "named"),
    [
        (UNIT_URL, unit_doc("E001"), unit_doc("E009", cluster="other"), f"{COMMUNITY}/other"),
        (DEAL_URL, deal_doc("d-1"), deal_doc("d-2", community="other"), f"other/{CLUSTER}"),
    ],
)
def test_item_of_another_cluster_is_forbidden_and_nothing_is_stored(token, url, valid, foreign, named):
    response = post(url, [valid, foreign], token)

    assert response.status_code == 403
    assert response.content.decode() == (
        f"item 1: community/cluster {named} is not the token's cluster {COMMUNITY}/{CLUSTER}"
    )
    assert not UnitData.objects.exists() and not Deal.objects.exists()


@pytest.mark.parametrize("url", [UNIT_URL, DEAL_URL])
def test_empty_report_is_accepted_with_nothing_stored(token, url):
    response = post(url, [], token)

    assert response.status_code == 200
    assert response.json() == {"stored": 0, "skipped": 0}


# ---- size, method, token -----------------------------------------------------------------------------


def test_body_over_the_size_limit_is_rejected_and_nothing_is_stored(settings, token):
    body = json.dumps([unit_doc("E001"), unit_doc("E002")])
    settings.INGEST_MAX_BODY_BYTES = len(body) - 1

    response = post(UNIT_URL, body, token, raw=True)

    assert response.status_code == 413
    assert not UnitData.objects.exists()


def test_body_of_exactly_the_size_limit_is_accepted(settings, token):
    body = json.dumps([unit_doc("E001")])
    settings.INGEST_MAX_BODY_BYTES = len(body)

    response = post(UNIT_URL, body, token, raw=True)

    assert response.status_code == 200
    assert response.json() == {"stored": 1, "skipped": 0}


@pytest.mark.parametrize("url", [UNIT_URL, DEAL_URL, "/api/ccc/t/x/unitData", "/api/ccc/t/x/deal"])
def test_get_is_not_allowed(token, url):
    response = Client().get(url, HTTP_AUTHORIZATION=f"Bearer {token}")

    assert response.status_code == 405
    assert response["Allow"] == "POST"


@pytest.mark.parametrize("authorization", [None, "", "Bearer ", "Basic YWRtaW46YWRtaW4="])
def test_report_without_a_token_asks_for_one(demo_registry, authorization):
    headers = {} if authorization is None else {"HTTP_AUTHORIZATION": authorization}

    response = Client().post(UNIT_URL, data="[]", content_type="application/json", **headers)

    assert response.status_code == 401
    assert response.content.decode() == "ingest token required"
    assert response["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("url", [UNIT_URL, "/api/ccc/t/apis_unknown/unitData"])
def test_unknown_token_is_refused(token, url):
    response = post(url, [unit_doc()], "apis_unknown" if url == UNIT_URL else None)

    assert response.status_code == 401
    assert response.content.decode() == "invalid ingest token"
    assert not UnitData.objects.exists()


def test_revoked_token_is_refused(token_row):
    row, token = token_row
    IngestToken.objects.filter(pk=row.pk).update(revoked=timezone.now())

    response = post(UNIT_URL, [unit_doc()], token)

    assert response.status_code == 401
    assert response.content.decode() == "invalid ingest token"


@pytest.mark.parametrize(("kind", "doc"), [("unitData", unit_doc()), ("deal", deal_doc())])
def test_token_in_the_path_authenticates_like_the_header(token, kind, doc):
    response = post(f"/api/ccc/t/{token}/{kind}", [doc])

    assert response.status_code == 200
    assert response.json() == {"stored": 1, "skipped": 0}


def test_use_of_a_token_is_recorded_at_most_once_a_minute(token_row):
    row, token = token_row
    recent = timezone.now() - timedelta(seconds=30)
    IngestToken.objects.filter(pk=row.pk).update(last_used=recent)

    post(UNIT_URL, [], token)
    assert IngestToken.objects.get(pk=row.pk).last_used == recent

    old = timezone.now() - timedelta(minutes=5)
    IngestToken.objects.filter(pk=row.pk).update(last_used=old)
    post(UNIT_URL, [], token)
    assert IngestToken.objects.get(pk=row.pk).last_used > recent


# ---- deals -------------------------------------------------------------------------------------------


def test_deal_is_stored_with_its_date_times_in_utc(token):
    response = post(DEAL_URL, [deal_doc("d-0001")], token)

    assert response.status_code == 200
    assert response.json() == {"stored": 1, "skipped": 0}
    data = stored_deal()
    assert data["createDateTime"] == NOON_TOKYO_IN_UTC
    assert data["activateDateTime"] == NOON_TOKYO_IN_UTC
    assert data["stopDateTime"] is None and data["deactivateDateTime"] is None
    assert data["reset"] == [{"dateTime": NOON_TOKYO_IN_UTC, "reason": "grid voltage drop"}]
    assert data["reportTime"] == 1_577_847_600
    assert data["cumulateAmountWh"] == 25.5
    row = Deal.objects.get()
    assert row.create_datetime == datetime(2020, 1, 1, 3, tzinfo=UTC)
    assert row.deactivate_datetime is None
    assert (row.discharge_unit_id, row.charge_unit_id, row.cumulate_amount_wh) == ("E001", "E002", 25.5)


def test_deactivated_deal_keeps_its_deactivation_time(token):
    post(DEAL_URL, [deal_doc(deactivated="2020-01-01T12:30:00+09:00")], token)

    assert stored_deal()["deactivateDateTime"] == "2020-01-01T03:30:00Z"
    assert Deal.objects.get().deactivate_datetime == datetime(2020, 1, 1, 3, 30, tzinfo=UTC)


def test_deal_local_times_follow_the_apis_time_zone(settings, token):
    settings.APIS_TIME_ZONE = "UTC"

    post(DEAL_URL, [deal_doc()], token)

    assert stored_deal()["createDateTime"] == "2020-01-01T12:00:00Z"


@pytest.mark.parametrize(
    ("report_time", "cumulate", "stored"),
    [(1_577_847_630, 40.0, 1), (1_577_847_600, 40.0, 1), (1_577_847_570, 25.5, 0)],
    ids=["newer replaces", "equal replaces", "older never replaces"],
)
def test_deal_report_replaces_the_stored_one_unless_older(token, report_time, cumulate, stored):
    post(DEAL_URL, [deal_doc(report_time=1_577_847_600, cumulate_wh=25.5)], token)

    response = post(DEAL_URL, [deal_doc(report_time=report_time, cumulate_wh=40.0)], token)

    assert response.json() == {"stored": stored, "skipped": 1 - stored}
    assert Deal.objects.count() == 1
    assert stored_deal()["cumulateAmountWh"] == cumulate
    assert Deal.objects.get().cumulate_amount_wh == cumulate


def test_same_deal_twice_in_one_report_keeps_the_newest(token):
    reports = [deal_doc(report_time=1_577_847_660, cumulate_wh=60.0), deal_doc(report_time=1_577_847_630)]

    response = post(DEAL_URL, reports, token)

    assert response.json() == {"stored": 1, "skipped": 1}
    assert stored_deal()["cumulateAmountWh"] == 60.0


def test_deal_without_report_time_is_stamped_with_the_time_of_arrival(token):
    doc = deal_doc()
    del doc["reportTime"]
    before = int(timezone.now().timestamp())

    post(DEAL_URL, [doc], token)

    report_time = stored_deal()["reportTime"]
    assert before <= report_time <= int(timezone.now().timestamp())
    assert Deal.objects.get().report_time == report_time


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_without("dealId"), "item 1: missing field dealId"),
        (_set("dealId", ""), "item 1: missing field dealId"),
        (_set("dealId", 12), "item 1: invalid field dealId: 12 (expected a string)"),
        (_without("communityId"), "item 1: missing field communityId"),
        (_without("clusterId"), "item 1: missing field clusterId"),
        (_set("reportTime", "1577847600"), "item 1: invalid field reportTime: '1577847600'"),
        (_set("reportTime", False), "item 1: invalid field reportTime: False"),
        (_set("reportTime", 1.5), "item 1: invalid field reportTime: 1.5"),
        (_set("reportTime", -1), "item 1: invalid field reportTime: -1"),
        (_set("reportTime", 2**64), f"item 1: invalid field reportTime: {2**64} (out of the 64-bit integer"),
        (_set("dealId", "d" * 129), "item 1: invalid field dealId: longer than 128 characters"),
        (_set("chargeUnitId", "E" * 129), "item 1: invalid field chargeUnitId: longer than 128 characters"),
        (_set("createDateTime", "yesterday"), "item 1: invalid time: 'yesterday' (field createDateTime)"),
        (_set("stopDateTime", 1577847600), "item 1: invalid time: 1577847600 (field stopDateTime)"),
        (
            lambda doc: doc["reset"].append({"dateTime": "2020/01/32-00:00:00"}),
            "item 1: invalid time: '2020/01/32-00:00:00' (field reset[1].dateTime)",
        ),
    ],
)
def test_invalid_deal_is_rejected_naming_index_and_field_and_nothing_is_stored(token, change, message):
    bad = deal_doc("d-0002")
    change(bad)

    response = post(DEAL_URL, [deal_doc("d-0001"), bad], token)

    assert response.status_code == 400
    assert response.content.decode().startswith(message)
    assert not Deal.objects.exists()


# ---- the parsers as other code calls them ------------------------------------------------------------


def test_parsers_leave_the_callers_documents_unchanged():
    units, deals = [unit_doc()], [deal_doc()]
    originals = copy.deepcopy((units, deals))

    parse_unit_data(units, COMMUNITY, CLUSTER)
    parse_deals(deals, COMMUNITY, CLUSTER, now=1)

    assert (units, deals) == originals
