"""The ingest parser on its own (no database): what it keeps of a document, where its limits lie exactly, and
what the all-or-nothing readers that the importer and the demo use refuse."""

import copy

import pytest

from apis.core.jsonlimits import MAX_DEPTH
from apis.ingest.parse import (
    ID_MAX_LENGTH,
    MODE_MAX_LENGTH,
    parse_deal_report,
    parse_deals,
    parse_unit_data,
    parse_unit_report,
)
from apis.ingest.report import TOO_DEEP, IngestError
from tests.payloads import CLUSTER, COMMUNITY, deal_doc, unit_doc


def units(*docs: dict):
    return parse_unit_report(list(docs), COMMUNITY, CLUSTER)


def nested(depth: int, leaf: object, container: str = "list") -> object:
    """``depth`` containers one inside the other (lists, dicts or alternating), around ``leaf``."""
    value = leaf
    for level in range(depth):
        kind = container if container != "mixed" else ("list", "dict")[level % 2]
        value = [value] if kind == "list" else {"inner": value}
    return value


def test_the_stored_document_is_the_posted_one_with_times_in_utc_and_an_integral_dataset_id():
    doc = {
        **unit_doc(),
        "datasetId": 1_577_847_600_000.0,
        "extra": [[{"sample_time": "2020/01/01-12:00:30", "n": 1}, "2020/01/01-12:00:30"], [[2, None]]],
    }
    (record,) = units(doc).records
    expected = copy.deepcopy(doc)
    expected["time"] = "2020-01-01T03:00:00Z"
    expected["datasetId"] = 1_577_847_600_000
    expected["extra"][0][0]["sample_time"] = "2020-01-01T03:00:30Z"
    assert record.data == expected
    assert type(record.data["datasetId"]) is int


@pytest.mark.parametrize("container", ["list", "dict", "mixed"])
def test_containers_may_nest_down_to_the_depth_limit_and_not_one_level_further(container):
    # The body's array is level 1, its items level 2: an item's value can add MAX_DEPTH - 2 levels.
    deepest = nested(MAX_DEPTH - 2, "2020/01/01-12:00:00", container)
    (record,) = units({**unit_doc(), "deep": deepest}).records
    assert record.data["deep"] == deepest
    with pytest.raises(IngestError) as refused:
        units({**unit_doc(), "deep": nested(MAX_DEPTH - 1, 1, container)})
    assert (refused.value.status, refused.value.message) == (400, TOO_DEEP)


@pytest.mark.parametrize("field", ["communityId", "clusterId"])
@pytest.mark.parametrize("extra", [1, 1000])
def test_an_id_longer_than_any_stored_one_is_another_clusters_not_an_invalid_item(field, extra):
    long_id = "x" * (ID_MAX_LENGTH + extra)
    unit = unit_doc(**{"community" if field == "communityId" else "cluster": long_id})
    deal = {**deal_doc(), field: long_id}
    for parse, doc in ((parse_unit_report, unit), (parse_deal_report, deal)):
        with pytest.raises(IngestError) as refused:
            parse([doc], COMMUNITY, CLUSTER)
        assert refused.value.status == 403
        assert "is not the token's cluster oss_community/oss_cluster" in refused.value.message


def test_an_effective_mode_may_be_as_long_as_its_column_and_not_longer():
    (record,) = units(unit_doc(effective="m" * MODE_MAX_LENGTH)).records
    assert record.effective_mode == "m" * MODE_MAX_LENGTH
    report = units(unit_doc(effective="m" * (MODE_MAX_LENGTH + 1)))
    assert report.records == []
    assert report.rejected[0].answer() == {
        "index": 0,
        "field": "apis.operation_mode.effective",
        "reason": f"longer than {MODE_MAX_LENGTH} characters",
    }


def test_a_deal_amount_that_is_no_number_is_named_with_its_value():
    report = parse_deal_report([{**deal_doc(), "cumulateAmountWh": "12 Wh"}], COMMUNITY, CLUSTER)
    assert report.rejected[0].message == "invalid field cumulateAmountWh: '12 Wh' (expected a number)"


def test_a_deal_without_report_time_gets_the_time_the_caller_gives():
    doc = deal_doc()
    del doc["reportTime"]
    assert [record.report_time for record in parse_deals([doc], COMMUNITY, CLUSTER, now=1234)] == [1234]
    assert parse_deal_report([doc], COMMUNITY, CLUSTER, now=99).records[0].data["reportTime"] == 99


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("bad\x00text", "holds a NUL character (\\u0000), which cannot be stored"),
        ("\ud800", "holds a lone surrogate (\\ud800-\\udfff), which is not Unicode text"),
    ],
)
def test_the_all_or_nothing_readers_refuse_values_no_database_can_store(value, reason):
    with pytest.raises(IngestError) as unit_refused:
        parse_unit_data([{**unit_doc(), "note": value}], COMMUNITY, CLUSTER)
    assert unit_refused.value.message == f"item 0: invalid field note: {reason}"
    with pytest.raises(IngestError) as deal_refused:
        parse_deals([{**deal_doc(), "note": value}], COMMUNITY, CLUSTER)
    assert deal_refused.value.message == f"item 0: invalid field note: {reason}"
