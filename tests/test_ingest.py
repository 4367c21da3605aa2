"""``POST /api/ccc/unitData`` and ``/api/ccc/deal``: tokens, request errors (nothing stored), invalid items
(quarantined while the valid ones are stored), idempotency, the ``reportTime`` rule and the normalisation of
times in the stored documents."""

import copy
import json
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from apis.deal.models import Deal
from apis.ingest.models import IngestToken, RejectedItem
from apis.ingest.parse import NOT_A_TIME, parse_deals, parse_unit_data
from apis.ingest.report import IngestError
from apis.unit_data.models import ReportedUnit, UnitData
from tests.ingest_support import DEAL_URL, UNIT_URL, issue_token, post, stored_units
from tests.payloads import CLUSTER, COMMUNITY, deal_doc, unit_doc

NOON_TOKYO_IN_UTC = "2020-01-01T03:00:00Z"


@pytest.fixture
def token_row(demo_registry) -> tuple[IngestToken, str]:
    return issue_token()


@pytest.fixture
def token(token_row) -> str:
    return token_row[1]


def stored_deal(deal_id: str = "d-0001") -> dict:
    return Deal.objects.get(deal_id=deal_id).data


# ---- unit data ---------------------------------------------------------------------------------------


def test_unit_data_report_is_stored_with_its_time_in_utc(token):
    response = post(UNIT_URL, [unit_doc("E001"), unit_doc("E002", effective="heteronomous")], token)

    assert response.status_code == 200
    assert response.json() == {"stored": 2, "skipped": 0, "rejected": []}
    first, second = stored_units()
    assert first["time"] == NOON_TOKYO_IN_UTC
    assert first["datasetId"] == 1_577_847_600_000
    assert [first["oesunit"]["id"], second["oesunit"]["id"]] == ["E001", "E002"]
    assert first["emu"] == unit_doc()["emu"]
    row = UnitData.objects.get(reported_unit__unit_id="E002")
    assert (row.reported_unit.community_id, row.reported_unit.cluster_id) == (COMMUNITY, CLUSTER)
    assert row.effective_mode == "heteronomous"
    assert row.time == datetime(2020, 1, 1, 3, tzinfo=UTC)


def test_same_unit_report_twice_is_stored_once(token):
    report = [unit_doc("E001"), unit_doc("E002")]
    post(UNIT_URL, report, token)

    again = post(UNIT_URL, report, token)

    assert again.status_code == 200
    assert again.json() == {"stored": 0, "skipped": 2, "rejected": []}
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


TOO_LONG_128 = "longer than 128 characters"
# (change of item 1, field, reason in the answer, message of the strict parser)
INVALID_UNITS = [
    (_without("oesunit"), "oesunit", "missing", "missing field oesunit"),
    (_set("oesunit", "E001"), "oesunit", "expected a JSON object", "invalid field oesunit: 'E001'"),
    (_without("oesunit.id"), "oesunit.id", "missing", "missing field oesunit.id"),
    (_set("oesunit.id", ""), "oesunit.id", "missing", "missing field oesunit.id"),
    (
        _set("oesunit.id", 7),
        "oesunit.id",
        "expected a string",
        "invalid field oesunit.id: 7 (expected a string)",
    ),
    (_without("oesunit.communityId"), "oesunit.communityId", "missing", "missing field oesunit.communityId"),
    (_without("oesunit.clusterId"), "oesunit.clusterId", "missing", "missing field oesunit.clusterId"),
    (_without("time"), "time", "missing", "missing field time"),
    (_set("time", "abc"), "time", NOT_A_TIME, "invalid time: 'abc' (field time)"),
    (_set("time", "--"), "time", NOT_A_TIME, "invalid time: '--' (field time)"),
    (
        _set("time", "2020/13/01-12:00:00"),
        "time",
        NOT_A_TIME,
        "invalid time: '2020/13/01-12:00:00' (field time)",
    ),
    (_set("time", 1577847600), "time", NOT_A_TIME, "invalid time: 1577847600 (field time)"),
    (_without("datasetId"), "datasetId", "missing", "missing field datasetId"),
    (
        _set("datasetId", "1577847600000"),
        "datasetId",
        "expected an integer",
        "invalid field datasetId: '1577847",
    ),
    (_set("datasetId", True), "datasetId", "expected an integer", "invalid field datasetId: True"),
    (_set("datasetId", 1.5), "datasetId", "expected an integer", "invalid field datasetId: 1.5"),
    (
        _set("datasetId", 2**63),
        "datasetId",
        "out of the 64-bit integer range",
        f"invalid field datasetId: {2**63} (out of the 64-bit integer range)",
    ),
    (_set("oesunit.id", "E" * 129), "oesunit.id", TOO_LONG_128, f"invalid field oesunit.id: {TOO_LONG_128}"),
    (
        _set("apis.operation_mode.effective", "x" * 33),
        "apis.operation_mode.effective",
        "longer than 32 characters",
        "invalid field apis.operation_mode.effective: longer than 32 characters",
    ),
]


@pytest.mark.parametrize(("change", "field", "reason", "message"), INVALID_UNITS)
def test_invalid_unit_item_is_quarantined_and_the_valid_ones_are_stored(
    token, change, field, reason, message
):
    bad = unit_doc("E002")
    change(bad)

    response = post(UNIT_URL, [unit_doc("E001"), bad, unit_doc("E003")], token)

    assert response.status_code == 200
    assert response.json() == {
        "stored": 2,
        "skipped": 0,
        "rejected": [{"index": 1, "field": field, "reason": reason}],
    }
    assert [data["oesunit"]["id"] for data in stored_units()] == ["E001", "E003"]
    assert list(ReportedUnit.objects.order_by("unit_id").values_list("unit_id", flat=True)) == [
        "E001",
        "E003",
    ]
    kept = RejectedItem.objects.get()
    assert (kept.kind, kept.community_id, kept.cluster_id) == ("unitData", COMMUNITY, CLUSTER)
    assert (kept.index, kept.field, kept.reason) == (1, field, reason)
    assert json.loads(kept.raw) == bad


@pytest.mark.parametrize(("change", "field", "reason", "message"), INVALID_UNITS)
def test_strict_unit_parser_names_the_first_invalid_item(change, field, reason, message):
    bad = unit_doc("E002")
    change(bad)

    with pytest.raises(IngestError) as raised:
        parse_unit_data([unit_doc("E001"), bad], COMMUNITY, CLUSTER)

    assert raised.value.status == 400
    assert raised.value.message.startswith(f"item 1: {message}")


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
@pytest.mark.parametrize("item", [["E002"], "E002", 7, None, True])
def test_item_that_is_not_an_object_is_quarantined_and_the_valid_one_stored(token, url, valid, item):
    response = post(url, [item, valid], token)

    assert response.status_code == 200
    assert response.json() == {
        "stored": 1,
        "skipped": 0,
        "rejected": [{"index": 0, "field": "(item)", "reason": "not a JSON object"}],
    }
    assert UnitData.objects.count() + Deal.objects.count() == 1
    assert json.loads(RejectedItem.objects.get().raw) == item


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
    assert response.json() == {"stored": 0, "skipped": 0, "rejected": []}


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
    assert response.json() == {"stored": 1, "skipped": 0, "rejected": []}


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


@pytest.mark.parametrize("token_text", ["%00", "%ED%A0%80", "apis_%F0%9F%94%8B", "x" * 10_000])
@pytest.mark.parametrize("kind", ["unitData", "deal"])
def test_hostile_token_in_the_path_is_refused(token, token_text, kind):
    response = post(f"/api/ccc/t/{token_text}/{kind}", [unit_doc() if kind == "unitData" else deal_doc()])

    assert (response.status_code, response.content.decode()) == (401, "invalid ingest token")
    assert not UnitData.objects.exists() and not Deal.objects.exists()


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
    assert response.json() == {"stored": 1, "skipped": 0, "rejected": []}


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
    assert response.json() == {"stored": 1, "skipped": 0, "rejected": []}
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

    assert response.json() == {"stored": stored, "skipped": 1 - stored, "rejected": []}
    assert Deal.objects.count() == 1
    assert stored_deal()["cumulateAmountWh"] == cumulate
    assert Deal.objects.get().cumulate_amount_wh == cumulate


def test_same_deal_twice_in_one_report_keeps_the_newest(token):
    reports = [deal_doc(report_time=1_577_847_660, cumulate_wh=60.0), deal_doc(report_time=1_577_847_630)]

    response = post(DEAL_URL, reports, token)

    assert response.json() == {"stored": 1, "skipped": 1, "rejected": []}
    assert stored_deal()["cumulateAmountWh"] == 60.0


@pytest.mark.parametrize("copies", [2, 3])
def test_same_deal_with_the_same_report_time_in_one_report_keeps_the_last_copy(token, copies):
    reports = [deal_doc(report_time=1_577_847_630, cumulate_wh=10.0 * n) for n in range(1, copies + 1)]

    response = post(DEAL_URL, reports, token)

    assert response.json() == {"stored": 1, "skipped": copies - 1, "rejected": []}
    assert stored_deal()["cumulateAmountWh"] == 10.0 * copies


def test_deal_without_report_time_is_stamped_with_the_time_of_arrival(token):
    doc = deal_doc()
    del doc["reportTime"]
    before = int(timezone.now().timestamp())

    post(DEAL_URL, [doc], token)

    report_time = stored_deal()["reportTime"]
    assert before <= report_time <= int(timezone.now().timestamp())
    assert Deal.objects.get().report_time == report_time


INVALID_DEALS = [
    (_without("dealId"), "dealId", "missing", "missing field dealId"),
    (_set("dealId", ""), "dealId", "missing", "missing field dealId"),
    (_set("dealId", 12), "dealId", "expected a string", "invalid field dealId: 12 (expected a string)"),
    (_without("communityId"), "communityId", "missing", "missing field communityId"),
    (_without("clusterId"), "clusterId", "missing", "missing field clusterId"),
    (
        _set("reportTime", "1577847600"),
        "reportTime",
        "expected an integer",
        "invalid field reportTime: '1577847600'",
    ),
    (_set("reportTime", False), "reportTime", "expected an integer", "invalid field reportTime: False"),
    (_set("reportTime", 1.5), "reportTime", "expected an integer", "invalid field reportTime: 1.5"),
    (
        _set("reportTime", -1),
        "reportTime",
        "expected epoch seconds (not negative)",
        "invalid field reportTime: -1",
    ),
    (
        _set("reportTime", 2**64),
        "reportTime",
        "out of the 64-bit integer range",
        f"invalid field reportTime: {2**64} (out of the 64-bit integer",
    ),
    (_set("dealId", "d" * 129), "dealId", TOO_LONG_128, f"invalid field dealId: {TOO_LONG_128}"),
    (
        _set("chargeUnitId", "E" * 129),
        "chargeUnitId",
        TOO_LONG_128,
        f"invalid field chargeUnitId: {TOO_LONG_128}",
    ),
    (
        _set("dischargeUnitId", ["E1"]),
        "dischargeUnitId",
        "expected a string",
        "invalid field dischargeUnitId: a",
    ),
    (
        _set("cumulateAmountWh", "25.5"),
        "cumulateAmountWh",
        "expected a number",
        "invalid field cumulateAmountWh",
    ),
    (
        _set("cumulateAmountWh", True),
        "cumulateAmountWh",
        "expected a number",
        "invalid field cumulateAmountWh",
    ),
    (
        _set("createDateTime", "yesterday"),
        "createDateTime",
        NOT_A_TIME,
        "invalid time: 'yesterday' (field createD",
    ),
    (
        _set("stopDateTime", 1577847600),
        "stopDateTime",
        NOT_A_TIME,
        "invalid time: 1577847600 (field stopDateTime)",
    ),
    (
        lambda doc: doc["reset"].append({"dateTime": "2020/01/32-00:00:00"}),
        "reset[1].dateTime",
        NOT_A_TIME,
        "invalid time: '2020/01/32-00:00:00' (field reset[1].dateTime)",
    ),
]


@pytest.mark.parametrize(("change", "field", "reason", "message"), INVALID_DEALS)
def test_invalid_deal_is_quarantined_and_the_valid_ones_are_stored(token, change, field, reason, message):
    bad = deal_doc("d-0002")
    change(bad)

    response = post(DEAL_URL, [deal_doc("d-0001"), bad, deal_doc("d-0003")], token)

    assert response.status_code == 200
    assert response.json() == {
        "stored": 2,
        "skipped": 0,
        "rejected": [{"index": 1, "field": field, "reason": reason}],
    }
    assert sorted(Deal.objects.values_list("deal_id", flat=True)) == ["d-0001", "d-0003"]
    kept = RejectedItem.objects.get()
    assert (kept.kind, kept.index, kept.field, kept.reason) == ("deal", 1, field, reason)
    assert json.loads(kept.raw) == bad


@pytest.mark.parametrize(("change", "field", "reason", "message"), INVALID_DEALS)
def test_strict_deal_parser_names_the_first_invalid_item(change, field, reason, message):
    bad = deal_doc("d-0002")
    change(bad)

    with pytest.raises(IngestError) as raised:
        parse_deals([deal_doc("d-0001"), bad], COMMUNITY, CLUSTER, now=1)

    assert raised.value.message.startswith(f"item 1: {message}")


# ---- the parsers as other code calls them ------------------------------------------------------------


def test_parsers_leave_the_callers_documents_unchanged():
    units, deals = [unit_doc()], [deal_doc()]
    originals = copy.deepcopy((units, deals))

    parse_unit_data(units, COMMUNITY, CLUSTER)
    parse_deals(deals, COMMUNITY, CLUSTER, now=1)

    assert (units, deals) == originals
