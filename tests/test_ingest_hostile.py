"""Hostile reports: every boundary of every class (times, nesting, text no database stores, column lengths,
integer and float ranges, shapes) answers 200 with the item quarantined or a request error (400/403) with
nothing stored, never 500; a cycle with broken units stores the others; resent reports add nothing."""

import json

import pytest

from apis.deal.models import Deal
from apis.ingest.models import RejectedItem
from apis.ingest.parse import NOT_A_TIME
from apis.ingest.report import BEYOND_FLOAT, LONE_SURROGATE, MAX_REJECTED_ITEMS, NUL_CHARACTER, TOO_DEEP
from apis.unit_data.models import ReportedUnit, UnitData
from tests.ingest_support import DEAL_URL, UNIT_URL, issue_token, post, stored_units
from tests.payloads import CLUSTER, COMMUNITY, deal_doc, unit_doc


@pytest.fixture
def token(demo_registry) -> str:
    return issue_token()[1]


def nothing_stored() -> bool:
    return not (UnitData.objects.exists() or Deal.objects.exists() or RejectedItem.objects.exists())


def rejected(response) -> list[tuple[int, str, str]]:
    assert response.status_code == 200, response.content
    return [(item["index"], item["field"], item["reason"]) for item in response.json()["rejected"]]


def nested(levels: int, leaf: object = 1) -> object:
    """``levels`` containers (objects and arrays in turn) around ``leaf``."""
    value = leaf
    for level in range(levels):
        value = [value] if level % 2 else {"n": value}
    return value


# ---- times -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "sent"),
    [
        ("Asia/Tokyo", "0001/01/01-00:00:00"),  # APIS local time whose conversion to UTC overflows
        ("Asia/Tokyo", "0001-01-01T00:00:00+01:00"),
        ("Asia/Tokyo", "0001-01-01T08:59:59+09:00"),
        ("America/Sao_Paulo", "9999/12/31-23:00:00"),
        ("Asia/Tokyo", "9999-12-31T23:59:59-05:00"),
        ("Asia/Tokyo", "9999-12-31T23:59:59Z"),
        ("Asia/Tokyo", "9999-01-01T00:00:00Z"),
        ("Asia/Tokyo", "0999-12-31T00:00:00Z"),
        ("Asia/Tokyo", "1899-12-31T23:59:59Z"),
        ("Asia/Tokyo", "1900/01/01-08:59:59"),  # 1899-12-31T23:59:59Z
        ("UTC", "0001-01-01T00:00:00"),
    ],
)
def test_unit_time_outside_the_supported_range_is_quarantined(settings, token, zone, sent):
    settings.APIS_TIME_ZONE = zone

    response = post(UNIT_URL, [unit_doc("E001"), unit_doc("E002", time=sent)], token)

    assert rejected(response) == [(1, "time", NOT_A_TIME)]
    assert [data["oesunit"]["id"] for data in stored_units()] == ["E001"]


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("1900-01-01T00:00:00Z", "1900-01-01T00:00:00Z"),
        ("1900/01/01-09:00:00", "1900-01-01T00:00:00Z"),
        ("9998-12-31T23:59:59.999Z", "9998-12-31T23:59:59.999Z"),
        ("9998-12-31T23:59:59-00:00", "9998-12-31T23:59:59Z"),
    ],
)
def test_unit_times_at_the_edges_of_the_range_are_stored(token, sent, stored):
    response = post(UNIT_URL, [unit_doc(time=sent)], token)

    assert response.json()["stored"] == 1
    assert stored_units()[0]["time"] == stored


def test_other_unit_time_strings_out_of_range_are_kept_as_sent(token):
    doc = unit_doc()
    doc["emu"]["last_update_time"] = "0001/01/01-00:00:00"
    doc["apis"]["boot_time"] = "9999-12-31T23:59:59-05:00"

    assert post(UNIT_URL, [doc], token).json()["stored"] == 1

    stored = stored_units()[0]
    assert stored["emu"]["last_update_time"] == "0001/01/01-00:00:00"
    assert stored["apis"]["boot_time"] == "9999-12-31T23:59:59-05:00"


@pytest.mark.parametrize(
    ("field", "sent"),
    [
        ("createDateTime", "0999/01/01-00:00:00"),  # was stored as "999-…", which no later read could parse
        ("createDateTime", "0500-06-01T00:00:00Z"),
        ("createDateTime", "0001-01-01T00:00:00+01:00"),
        ("activateDateTime", "0001/01/01-00:00:00"),
        ("deactivateDateTime", "9999-12-31T23:59:59-01:00"),
        ("stopDateTime", "9999/12/31-23:59:59"),
        ("reset[0].dateTime", "1899-12-31T23:59:59Z"),
    ],
)
def test_deal_time_outside_the_supported_range_is_quarantined(token, field, sent):
    bad = deal_doc("d-2")
    if field.startswith("reset"):
        bad["reset"][0]["dateTime"] = sent
    else:
        bad[field] = sent

    response = post(DEAL_URL, [deal_doc("d-1"), bad], token)

    assert rejected(response) == [(1, field, NOT_A_TIME)]
    assert list(Deal.objects.values_list("deal_id", flat=True)) == ["d-1"]


def test_deal_created_in_1900_is_stored_and_listed(token, staff):
    post(DEAL_URL, [deal_doc(create="1900-01-01T00:00:00Z")], token)

    response = staff.get(
        "/api/staff/deal/list",
        {"communityId": COMMUNITY, "clusterId": CLUSTER, "datetimeFrom": "1900-01-01T00:00:00Z"},
    )

    assert response.status_code == 200
    assert [deal["createDateTime"] for deal in json.loads(b"".join(response.streaming_content))] == [
        "1900-01-01T00:00:00Z"
    ]


# ---- nesting -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000,
        b"[" * 100_000 + b"]" * 100_000,
        b'[{"a":' * 50_000 + b"1" + b"}]" * 50_000,
        b"[" + json.dumps(unit_doc()).encode() + b"," + b"[" * 500 + b"]" * 500 + b"]",
        b"[" + json.dumps(unit_doc()).encode() + b"," + b"[" * 10_000 + b"]" * 10_000 + b"]",
    ],
    ids=["open brackets", "balanced brackets", "objects", "an item the decoder reads", "an item it cannot"],
)
@pytest.mark.parametrize("url", [UNIT_URL, DEAL_URL])
def test_body_nested_far_too_deeply_is_refused_whole(token, url, body):
    response = post(url, body, token, raw=True)

    assert (response.status_code, response.content.decode()) == (400, TOO_DEEP)
    assert nothing_stored()


def _deep_unit(levels: int) -> dict:
    """A valid unit document whose ``emu.deep`` makes the body ``levels`` deep."""
    doc = unit_doc("E002")
    doc["emu"]["deep"] = nested(levels - 3)  # body array, document, emu
    return doc


def _deep_deal(levels: int) -> dict:
    doc = deal_doc("d-2")
    doc["reset"] = [nested(levels - 3)]  # body array, document, reset
    return doc


def _deep_unit_without_time(levels: int) -> dict:
    doc = _deep_unit(levels)
    del doc["time"]
    return doc


def _deep_deal_time(levels: int) -> dict:
    doc = deal_doc("d-2")
    doc["stopDateTime"] = nested(levels - 2)  # an invalid time, and too deep
    return doc


@pytest.mark.parametrize(
    ("url", "valid", "deep"),
    [
        (UNIT_URL, unit_doc("E001"), _deep_unit),
        (UNIT_URL, unit_doc("E001"), _deep_unit_without_time),
        (UNIT_URL, unit_doc("E001"), lambda levels: nested(levels - 1)),  # an item that is not an object
        (DEAL_URL, deal_doc("d-1"), _deep_deal),
        (DEAL_URL, deal_doc("d-1"), _deep_deal_time),
    ],
    ids=["unit", "invalid unit", "array item", "deal", "deal time"],
)
def test_one_level_beyond_the_limit_refuses_the_report_whatever_else_is_wrong(token, url, valid, deep):
    at_limit = post(url, [valid, deep(64)], token)
    assert at_limit.status_code == 200
    assert at_limit.json()["stored"] + len(at_limit.json()["rejected"]) == 2
    UnitData.objects.all().delete()
    Deal.objects.all().delete()
    RejectedItem.objects.all().delete()

    beyond = post(url, [valid, deep(65)], token)

    assert (beyond.status_code, beyond.content.decode()) == (400, TOO_DEEP)
    assert nothing_stored()


def test_unit_document_at_the_depth_limit_is_stored(token):
    response = post(UNIT_URL, [_deep_unit(64)], token)

    assert response.json() == {"stored": 1, "skipped": 0, "rejected": []}


# ---- text no database stores -------------------------------------------------------------------------


def _unit_with(path: str, value: object) -> dict:
    doc = unit_doc("E002")
    target = doc
    *parents, key = path.split(".")
    for parent in parents:
        target = target[parent]
    target[key] = value
    return doc


@pytest.mark.parametrize(
    ("path", "value", "field", "reason"),
    [
        ("emu.note", "a\x00b", "emu.note", NUL_CHARACTER),
        ("oesunit.display", "\x00", "oesunit.display", NUL_CHARACTER),
        ("oesunit.id", "E\x00", "oesunit.id", NUL_CHARACTER),
        ("dcdc.status.alarmState", "\ud800", "dcdc.status.alarmState", LONE_SURROGATE),
        ("emu.tail", "ok \udfff", "emu.tail", LONE_SURROGATE),
        ("oesunit.id", "E\udc00", "oesunit.id", LONE_SURROGATE),
        ("emu.list", ["fine", "\x00"], "emu.list[1]", NUL_CHARACTER),
        ("emu.k\x00ey", 1, "emu.k\\x00ey", "key " + NUL_CHARACTER),
        ("emu.\ud83d", 1, "emu.\\ud83d", "key " + LONE_SURROGATE),
    ],
)
def test_unstorable_text_anywhere_in_a_unit_is_quarantined(token, path, value, field, reason):
    response = post(UNIT_URL, [unit_doc("E001"), _unit_with(path, value)], token)

    assert rejected(response) == [(1, field, reason)]
    assert [data["oesunit"]["id"] for data in stored_units()] == ["E001"]
    kept = RejectedItem.objects.get()
    assert kept.field == field
    assert json.loads(kept.raw) == _unit_with(path, value)
    assert kept.raw.isascii()


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        (lambda doc: doc.update(type="ch\x00arge"), "type", NUL_CHARACTER),
        (lambda doc: doc["reset"][0].update(reason="\ud800"), "reset[0].reason", LONE_SURROGATE),
        (lambda doc: doc.update(dealId="d\x00"), "dealId", NUL_CHARACTER),
        (lambda doc: doc.update({"x\x00": None}), "x\\x00", "key " + NUL_CHARACTER),
    ],
)
def test_unstorable_text_anywhere_in_a_deal_is_quarantined(token, change, field, reason):
    bad = deal_doc("d-2")
    change(bad)

    response = post(DEAL_URL, [deal_doc("d-1"), bad], token)

    assert rejected(response) == [(1, field, reason)]
    assert list(Deal.objects.values_list("deal_id", flat=True)) == ["d-1"]


def test_surrogate_sent_as_utf8_bytes_is_quarantined(token):
    body = json.dumps([unit_doc("E001"), _unit_with("emu.note", "@")]).encode().replace(b"@", b"\xed\xa0\x80")

    response = post(UNIT_URL, body, token, raw=True)

    assert rejected(response) == [(1, "emu.note", LONE_SURROGATE)]


def test_nul_escape_in_a_utf16_body_is_quarantined(token):
    body = json.dumps([unit_doc("E001"), _unit_with("emu.note", "\x00")]).encode("utf-16-le")

    response = post(UNIT_URL, body, token, raw=True)

    assert rejected(response) == [(1, "emu.note", NUL_CHARACTER)]


def test_text_beyond_ascii_and_surrogate_pairs_are_stored(token):
    doc = _unit_with("oesunit.display", "蓄電池 🔋")
    raw = json.dumps([doc], ensure_ascii=False).encode()
    escaped = json.dumps([_unit_with("emu.note", "😀")]).encode()  # as the pair \ud83d\ude00
    assert b"\\ud83d\\ude00" in escaped

    assert post(UNIT_URL, raw, token, raw=True).json() == {"stored": 1, "skipped": 0, "rejected": []}
    UnitData.objects.all().delete()
    assert post(UNIT_URL, escaped, token, raw=True).json() == {"stored": 1, "skipped": 0, "rejected": []}
    assert stored_units()[0]["emu"]["note"] == "😀"


@pytest.mark.parametrize(
    ("url", "foreign"),
    [
        (UNIT_URL, unit_doc("E002", community="oss\x00community")),
        (UNIT_URL, unit_doc("E002", cluster="\ud800" * 500)),
        (DEAL_URL, deal_doc("d-2", community="x" * 10_000)),
    ],
)
def test_item_of_another_cluster_with_hostile_ids_is_forbidden_with_a_short_printable_message(
    token, url, foreign
):
    valid = unit_doc("E001") if url == UNIT_URL else deal_doc("d-1")

    response = post(url, [valid, foreign], token)

    assert response.status_code == 403
    message = response.content.decode()
    assert message.startswith("item 1: community/cluster ") and message.isprintable() and len(message) < 300
    assert nothing_stored()


# ---- lengths, integers, floats -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("unit_id", "stored"),
    [("E" * 128, True), ("é" * 128, True), ("🔋" * 128, True), ("E" * 129, False), ("🔋" * 129, False)],
)
def test_unit_id_length_is_counted_in_characters_as_the_column_does(token, unit_id, stored):
    response = post(UNIT_URL, [unit_doc(unit_id)], token)

    assert response.json()["stored"] == int(stored)
    assert UnitData.objects.filter(reported_unit__unit_id=unit_id).exists() == stored


@pytest.mark.parametrize(
    ("key", "value", "stored"),
    [
        ("dealId", "d" * 128, True),
        ("dealId", "d" * 129, False),
        ("chargeUnitId", "E" * 128, True),
        ("dischargeUnitId", "E" * 129, False),
        ("chargeUnitId", None, True),
        ("dischargeUnitId", 7, False),
    ],
)
def test_deal_ids_must_fit_their_columns(token, key, value, stored):
    response = post(DEAL_URL, [{**deal_doc(), key: value}], token)

    assert response.json()["stored"] == int(stored)
    assert len(response.json()["rejected"]) == int(not stored)


@pytest.mark.parametrize(
    ("dataset_id", "stored"),
    [
        (-(2**63), True),
        (2**63 - 1, True),
        (2**63, False),
        (-(2**63) - 1, False),
        (1e19, False),
        (10**30, False),
    ],
)
def test_dataset_id_must_fit_a_64_bit_column(token, dataset_id, stored):
    response = post(UNIT_URL, [unit_doc(dataset_id=dataset_id)], token)

    assert response.json()["stored"] == int(stored)
    assert UnitData.objects.filter(dataset_id=dataset_id).exists() == stored


@pytest.mark.parametrize(
    ("report_time", "stored"), [(0, True), (2**63 - 1, True), (2**63, False), (-1, False), (-(2**63), False)]
)
def test_report_time_must_be_non_negative_and_fit_a_64_bit_column(token, report_time, stored):
    response = post(DEAL_URL, [deal_doc(report_time=report_time)], token)

    assert response.json()["stored"] == int(stored)


@pytest.mark.parametrize(
    ("amount", "column"),
    [(1e308, 1e308), (-1e308, -1e308), (5e-324, 5e-324), (2**1023, float(2**1023)), (0, 0.0), (None, None)],
)
def test_cumulated_amount_within_the_float_range_is_stored_in_its_column(token, amount, column):
    assert post(DEAL_URL, [deal_doc(cumulate_wh=amount)], token).json()["stored"] == 1

    assert Deal.objects.get().cumulate_amount_wh == column


@pytest.mark.parametrize("amount", [10**400, -(2**1024), "25.5", True, [1], {"wh": 1}])
def test_cumulated_amount_that_is_not_a_float_is_quarantined(token, amount):
    response = post(DEAL_URL, [deal_doc(cumulate_wh=amount)], token)

    assert [field for _, field, _ in rejected(response)] == ["cumulateAmountWh"]
    assert not Deal.objects.exists()


@pytest.mark.parametrize(
    ("path", "number", "field"),
    [
        ("battery.rsoc", 10**400, "battery.rsoc"),
        ("dcdc.meter.wg", -(10**309), "dcdc.meter.wg"),
        ("emu.samples", [1, 2**1024], "emu.samples[1]"),
        ("emu.edge", 2**1024 - 2**970, "emu.edge"),  # rounds to infinity
    ],
)
def test_integer_beyond_the_float_range_in_a_unit_is_quarantined(token, path, number, field):
    response = post(UNIT_URL, [unit_doc("E001"), _unit_with(path, number)], token)

    assert rejected(response) == [(1, field, BEYOND_FLOAT)]
    assert [data["oesunit"]["id"] for data in stored_units()] == ["E001"]


def test_integer_just_within_the_float_range_is_stored_and_read_as_a_number(token, staff):
    largest = 2**1024 - 2**971  # the largest float, as an integer
    assert post(UNIT_URL, [_unit_with("battery.rsoc", largest)], token).json()["stored"] == 1

    history = staff.get(
        "/api/staff/unitData/history",
        {
            **{"communityId": COMMUNITY, "clusterId": CLUSTER, "unitId": "E002"},
            **{"datetimeFrom": "2020-01-01T00:00:00Z", "datetimeTo": "2020-01-02T00:00:00Z"},
        },
    )

    assert history.status_code == 200
    assert [point["rsoc"] for point in history.json()["points"]] == [float(largest)]


@pytest.mark.parametrize(
    "literal",
    [b"NaN", b"Infinity", b"-Infinity", b"1e999", b"-1e400", b"9" * 5000],
    ids=lambda b: b[:12].decode(),
)
@pytest.mark.parametrize("url", [UNIT_URL, DEAL_URL])
def test_number_no_database_or_browser_reads_refuses_the_report(token, url, literal):
    body = json.dumps([unit_doc() if url == UNIT_URL else deal_doc()]).encode()
    body = body.replace(b'"dealAmountWh": 50', b'"dealAmountWh": ' + literal).replace(
        b'"rsoc": 50.0', b'"rsoc": ' + literal, 1
    )

    response = post(url, body, token, raw=True)

    assert response.status_code == 400 and response.content.decode().startswith("invalid JSON")
    assert nothing_stored()


def test_extreme_numbers_inside_a_document_are_stored_and_read_back(token, staff):
    doc = unit_doc()
    doc["emu"].update(big=10**100, negative=-(10**100), huge=1.7976931348623157e308, tiny=5e-324)

    assert post(UNIT_URL, [doc], token).json()["stored"] == 1

    answer = staff.get("/api/staff/unitData/latestSet", {"communityId": COMMUNITY, "clusterId": CLUSTER})
    emu = answer.json()["E001"]["emu"]
    assert (emu["big"], emu["negative"]) == (10**100, -(10**100))
    # PostgreSQL's JSONB gives a float written with a positive exponent (1e16 on) back as an integer.
    assert (float(emu["huge"]), float(emu["tiny"])) == (1.7976931348623157e308, 5e-324)


@pytest.mark.parametrize(
    "apis", [[1], "autonomous", 7, {"operation_mode": ["x"]}, {"operation_mode": {"effective": 1}}]
)
def test_unusual_shapes_of_optional_parts_are_stored_without_an_effective_mode(token, apis):
    response = post(UNIT_URL, [{**unit_doc(), "apis": apis}], token)

    assert response.json() == {"stored": 1, "skipped": 0, "rejected": []}
    assert UnitData.objects.get().effective_mode is None


# ---- cycles ------------------------------------------------------------------------------------------


def _cycle(broken: set[str], dataset_id: int = 1_577_847_600_000) -> list[dict]:
    """One reporting cycle of E001…E004; the units in ``broken`` lack their ``time``."""
    units = [unit_doc(f"E00{n}", dataset_id=dataset_id) for n in range(1, 5)]
    for doc in units:
        if doc["oesunit"]["id"] in broken:
            del doc["time"]
    return units


def test_a_unit_without_time_does_not_cost_the_cycle_of_the_others(token):
    response = post(UNIT_URL, _cycle({"E003"}), token)

    assert response.json() == {
        "stored": 3,
        "skipped": 0,
        "rejected": [{"index": 2, "field": "time", "reason": "missing"}],
    }
    assert sorted(UnitData.objects.values_list("reported_unit__unit_id", flat=True)) == [
        "E001",
        "E002",
        "E004",
    ]
    assert ReportedUnit.objects.count() == 3
    assert RejectedItem.objects.get().raw == json.dumps(_cycle({"E003"})[2], separators=(",", ":"))


def test_a_cycle_of_broken_units_is_answered_200_and_all_kept_in_quarantine(token):
    response = post(UNIT_URL, _cycle({"E001", "E002", "E003", "E004"}), token)

    assert response.status_code == 200
    assert response.json()["stored"] == 0
    assert [item["index"] for item in response.json()["rejected"]] == [0, 1, 2, 3]
    assert not UnitData.objects.exists() and not ReportedUnit.objects.exists()
    assert RejectedItem.objects.count() == 4


def test_a_resent_cycle_stores_and_quarantines_nothing_twice(token):
    first = post(UNIT_URL, _cycle({"E002"}), token)
    again = post(UNIT_URL, _cycle({"E002"}), token)
    deals = [deal_doc("d-1"), {**deal_doc("d-2"), "reportTime": -5}]
    post(DEAL_URL, deals, token)
    deals_again = post(DEAL_URL, deals, token)

    assert again.json() == {"stored": 0, "skipped": 3, "rejected": first.json()["rejected"]}
    assert deals_again.json() == {
        "stored": 1,
        "skipped": 0,
        "rejected": [{"index": 1, "field": "reportTime", "reason": "expected epoch seconds (not negative)"}],
    }
    assert UnitData.objects.count() == 3
    assert sorted(RejectedItem.objects.values_list("kind", flat=True)) == ["deal", "unitData"]


def test_the_next_cycle_of_a_broken_unit_is_quarantined_again(token):
    post(UNIT_URL, _cycle({"E002"}, dataset_id=1000), token)
    post(UNIT_URL, _cycle({"E002"}, dataset_id=2000), token)

    assert UnitData.objects.count() == 6
    assert RejectedItem.objects.count() == 2


def test_the_same_broken_item_is_kept_once_per_cluster_and_kind(token):
    from apis.community.models import Cluster, Community

    other = Cluster.objects.create(
        community=Community.objects.get(code=COMMUNITY), code="other", name="other"
    )
    other_token = issue_token(COMMUNITY, other.code)[1]
    item = {"not": "a unit"}

    for url, sender in [(UNIT_URL, token), (UNIT_URL, token), (DEAL_URL, token), (UNIT_URL, other_token)]:
        assert [index for index, _, _ in rejected(post(url, [item, item], sender))] == [0, 1]

    kept = RejectedItem.objects.order_by("id").values_list("cluster_id", "kind", "index")
    assert list(kept) == [(CLUSTER, "unitData", 0), (CLUSTER, "deal", 0), ("other", "unitData", 0)]


def test_an_invalid_item_of_another_cluster_forbids_the_whole_report(token):
    foreign = unit_doc("E009", cluster="other")
    del foreign["time"]

    response = post(UNIT_URL, [unit_doc("E001"), _cycle({"E002"})[1], foreign], token)

    assert response.status_code == 403
    assert nothing_stored()


def test_more_invalid_items_than_a_cycle_can_hold_refuse_the_report(token):
    at_limit = post(UNIT_URL, [unit_doc("E001"), *range(MAX_REJECTED_ITEMS)], token)
    assert at_limit.json()["stored"] == 1 and len(at_limit.json()["rejected"]) == MAX_REJECTED_ITEMS
    assert RejectedItem.objects.count() == MAX_REJECTED_ITEMS
    UnitData.objects.all().delete()
    RejectedItem.objects.all().delete()

    beyond = post(UNIT_URL, [unit_doc("E001"), *range(MAX_REJECTED_ITEMS + 1)], token)

    assert (beyond.status_code, beyond.content.decode()) == (
        400,
        f"more than {MAX_REJECTED_ITEMS} invalid items",
    )
    assert nothing_stored()


def test_a_huge_raw_item_is_kept_cut_with_its_length(token):
    doc = unit_doc("E002")
    del doc["time"]
    doc["emu"]["blob"] = "x" * 200_000

    rejected(post(UNIT_URL, [doc], token))

    kept = RejectedItem.objects.get()
    assert len(kept.raw) == RejectedItem.RAW_MAX_LENGTH
    assert kept.raw_length == len(json.dumps(doc, separators=(",", ":")))
