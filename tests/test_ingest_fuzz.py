"""The ingest parsers on generated input: arbitrary JSON values and near-valid apis-ccc documents never raise
anything but ``IngestError``, every item ends up either stored or rejected, what is accepted can be stored on
any database, and each input is handled within Hypothesis' deadline. The body test that lets a report skip the
value checks is sound: a body it passes never decodes to NUL, a lone surrogate or a too large integer."""

import copy
import json
from datetime import timedelta

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from apis.core.jsonlimits import MAX_DEPTH
from apis.core.timeparse import EARLIEST, LATEST
from apis.ingest.parse import parse_deal_report, parse_unit_report
from apis.ingest.report import (
    FIELD_MAX_LENGTH,
    IngestError,
    check_values,
    may_hold_unusable_values,
    printable,
)
from tests.payloads import CLUSTER, COMMUNITY, deal_doc, unit_doc

FUZZ = settings(
    max_examples=300,
    deadline=timedelta(seconds=1),  # each input: microseconds to milliseconds; a generous margin on 2 cores
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Strings that exercise every rule: times in and out of range, placeholders, the cluster's own ids,
# the column limits, and text no database stores.
_SPECIAL_TEXT = st.sampled_from(
    [
        "",
        "--",
        "2020/01/01-12:00:00",
        "2020-01-01T12:00:00+09:00",
        "0001/01/01-00:00:00",
        "0001-01-01T00:00:00+01:00",
        "9999-12-31T23:59:59-05:00",
        "0999-06-01T00:00:00Z",
        "1899-12-31T23:59:59Z",
        "1900-01-01T00:00:00Z",
        COMMUNITY,
        CLUSTER,
        "E001",
        "x" * 33,
        "E" * 128,
        "E" * 129,
        "\x00",
        "a\x00b",
        "\ud800",
        "\udfff tail",
        "\ud83d\ude00",
        "日本語",
    ]
)
_TEXT = st.one_of(_SPECIAL_TEXT, st.text(st.characters(exclude_categories=()), max_size=20))
_NUMBER = st.one_of(
    st.integers(),
    st.sampled_from([2**63 - 1, 2**63, -(2**63), -(2**63) - 1, 10**400, -(10**400), 1_577_847_600_000]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([1e300, 1.5, 1e19, -0.0]),
)
_SCALAR = st.one_of(st.none(), st.booleans(), _NUMBER, _TEXT)
_KEYS = st.one_of(
    _TEXT,
    st.sampled_from(["time", "last_time", "dateTime", "createDateTime", "oesunit", "apis", "reset", "id"]),
)
JSON = st.recursive(
    _SCALAR,
    lambda children: st.one_of(st.lists(children, max_size=5), st.dictionaries(_KEYS, children, max_size=5)),
    max_leaves=30,
)


def _nested(levels: int) -> object:
    value: object = 1
    for level in range(levels):
        value = [value] if level % 2 else {"n": value}
    return value


def _mutated(draw, document: dict) -> dict:
    """``document`` with a few values replaced, removed or buried deep, at any depth."""
    document = copy.deepcopy(document)
    for _ in range(draw(st.integers(0, 3))):
        parent = document
        while isinstance(parent, dict) and parent and draw(st.booleans()):
            child = parent[draw(st.sampled_from(sorted(parent)))]
            if not isinstance(child, dict):
                break
            parent = child
        if not isinstance(parent, dict) or not parent:
            continue
        key = draw(st.sampled_from(sorted(parent)))
        action = draw(st.sampled_from(["set", "delete", "bury", "rename"]))
        if action == "set":
            parent[key] = draw(JSON)
        elif action == "delete":
            del parent[key]
        elif action == "bury":
            parent[key] = _nested(draw(st.integers(MAX_DEPTH - 4, MAX_DEPTH + 2)))
        else:
            parent[draw(_KEYS)] = parent.pop(key)
    return document


@st.composite
def unit_reports(draw) -> list:
    return [
        _mutated(draw, unit_doc(draw(st.sampled_from(["E001", "E002", "E003"]))))
        if draw(st.booleans())
        else draw(JSON)
        for _ in range(draw(st.integers(0, 6)))
    ]


@st.composite
def deal_reports(draw) -> list:
    return [
        _mutated(draw, deal_doc(draw(st.sampled_from(["d-1", "d-2"])))) if draw(st.booleans()) else draw(JSON)
        for _ in range(draw(st.integers(0, 6)))
    ]


def _storable(value: object) -> None:
    """What is stored holds no NUL, lone surrogate or number beyond a float, and is JSON both databases
    accept."""
    check_values(value)
    json.dumps(value, allow_nan=False).encode()


def _check_outcome(parse, items: object) -> list:
    """The parser's records after checking what every outcome must satisfy; ``[]`` for a request error."""
    try:
        report = parse(items, COMMUNITY, CLUSTER)
    except IngestError as error:
        assert error.status in (400, 403)
        assert error.message and error.message.isprintable()
        return []
    assert isinstance(items, list)
    assert len(report.records) + len(report.rejected) == len(items)
    indexes = [rejection.index for rejection in report.rejected]
    assert indexes == sorted(set(indexes)) and all(0 <= index < len(items) for index in indexes)
    for rejection in report.rejected:
        assert rejection.item is items[rejection.index]
        assert rejection.field == printable(rejection.field, FIELD_MAX_LENGTH)
        assert rejection.reason.isprintable() and len(rejection.reason) <= 200
    for record in report.records:
        assert (record.community_id, record.cluster_id) == (COMMUNITY, CLUSTER)
        _storable(record.data)
    return report.records


@FUZZ
@given(st.one_of(JSON, unit_reports()))
@example(_nested(MAX_DEPTH))
@example([_nested(MAX_DEPTH)])
@example([{**unit_doc(), "deep": _nested(MAX_DEPTH - 2)}])
@example([{**unit_doc(), "deep": _nested(MAX_DEPTH - 1)}])
@example([unit_doc(), {"oesunit": {"communityId": "\x00", "clusterId": CLUSTER}}])
@example([{"emu": [1] * 5000}] * 20)
def test_unit_parser_stores_or_rejects_every_item_of_any_input(items):
    for record in _check_outcome(parse_unit_report, items):
        assert 0 < len(record.unit_id) <= 128
        assert -(2**63) <= record.dataset_id < 2**63
        assert EARLIEST <= record.time < LATEST
        assert record.effective_mode is None or len(record.effective_mode) <= 32


@FUZZ
@given(st.one_of(JSON, deal_reports()))
@example([{**deal_doc(), "reset": [_nested(MAX_DEPTH - 3)]}])
@example([{**deal_doc(), "stopDateTime": _nested(MAX_DEPTH)}])
@example([{**deal_doc(), "cumulateAmountWh": 10**400}])
def test_deal_parser_stores_or_rejects_every_item_of_any_input(items):
    for record in _check_outcome(lambda *args: parse_deal_report(*args, now=0), items):
        assert 0 < len(record.deal_id) <= 128
        assert 0 <= record.report_time < 2**63
        for moment in (record.create_datetime, record.deactivate_datetime):
            assert moment is None or EARLIEST <= moment < LATEST
        row = record.row()
        assert all(value is None or len(value) <= 128 for value in row[6:8])


@FUZZ
@given(JSON, st.booleans(), st.sampled_from(["utf-8", "utf-16-le", "utf-16-be", "utf-32"]))
@example("\x00", False, "utf-16-le")
@example("\ud800", False, "utf-8")
@example([10**400, -(2**1024)], True, "utf-8")
def test_a_body_that_may_skip_the_value_checks_decodes_to_usable_values(value, ascii_only, codec):
    body = json.dumps(value, ensure_ascii=ascii_only).encode(codec, "surrogatepass")

    if not may_hold_unusable_values(body):
        _storable(json.loads(body))
