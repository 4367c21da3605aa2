"""Stored unit-data documents (``apis.unit_data.documents``): the round trip is exact for every document
shape, a stored blob stays readable (a shipped dictionary never changes), typical APIS documents take a
small fraction of their JSON, and the metrics copied into typed columns are the numbers of the document."""

import json
import math
from datetime import UTC, datetime

import pytest

from apis.demo.history.simulation import simulate_cluster
from apis.demo.history.spec import COMMUNITY, HistorySpec
from apis.ingest.parse import parse_unit_data
from apis.unit_data import documents
from apis.unit_data.metrics import metric_values
from tests.payloads import unit_doc

SHAPES = {
    "an apis-ccc document": unit_doc(),
    "a heteronomous unit": unit_doc("E002", effective="heteronomous", rsoc=12.34),
    "unicode and escapes": {"display": 'déjà 東京 \u2028 "quoted" \\ \t', "emoji": "🔋"},
    "numbers at their edges": {
        "big": 2**63 + 1,
        "negative": -(2**70),
        "tiny": 5e-324,
        "huge": 1.7976931348623157e308,
        "negative zero": -0.0,
        "pi": math.pi,
        "integral float": 3.0,
    },
    "empty containers and nulls": {"a": {}, "b": [], "c": None, "d": "", "e": [None, [], {}]},
    "nesting": {"a": [{"b": [{"c": [1, 2, {"d": True, "e": False}]}]}]},
    "key order kept": {"z": 1, "a": 2, "m": {"y": 1, "b": 2}},
    "empty": {},
}


@pytest.mark.parametrize("shape", SHAPES)
def test_a_document_comes_back_exactly_as_stored(shape):
    document = SHAPES[shape]
    back = documents.decode(documents.encode(document))
    assert json.dumps(back) == json.dumps(document)  # same keys in the same order, same number types
    assert documents.document_text(back) == documents.document_text(document)


def test_a_large_document_round_trips():
    document = {"pad": "x" * (4 << 20), "values": list(range(10_000))}
    assert documents.decode(documents.encode(document)) == document


@pytest.mark.parametrize("number", [0, 1])
def test_a_blob_names_its_dictionary_and_reads_back_with_it(number):
    blob = documents.encode(unit_doc(), number)
    assert blob[0] == number
    assert documents.decode(blob) == unit_doc()


def test_a_blob_written_with_the_first_shipped_dictionary_stays_readable():
    # written at the release of dictionary 1; a change of the file would make this unreadable
    blob = bytes.fromhex(
        "0128b52ffd20411d0100b07b352e357d2c226e6f7465223a2264c3a96ac3a0227d03ccc6a712d06363e199a001"
    )
    assert documents.decode(blob) == {"oesunit": {"id": "E001"}, "battery": {"rsoc": 55.5}, "note": "déjà"}


def test_apis_documents_take_a_fraction_of_their_json():
    spec = HistorySpec(end=datetime(2025, 3, 1, tzinfo=UTC), days=1)
    stored = []
    for unit_docs, _ in simulate_cluster(spec, "oss_cluster"):
        stored += [record.data for record in parse_unit_data(unit_docs, COMMUNITY[0], "oss_cluster")]
    text = sum(len(documents.document_text(d)) for d in stored) / len(stored)
    compressed = sum(len(documents.encode(d)) for d in stored) / len(stored)
    plain = sum(len(documents.encode(d, 0)) for d in stored) / len(stored)
    assert text > 1000
    assert compressed < 120 and compressed < text / 10
    assert compressed < plain * 0.5  # the dictionary, not only zstd, makes the difference


def test_metrics_are_the_first_number_found_and_nothing_else():
    document = unit_doc(rsoc=61.5)
    assert metric_values(document) == {
        "rsoc": 61.5,
        "battery_w": -4.5,
        "pv_w": 812.0,
        "dc_grid_w": 0.0,
        "dc_grid_v": 350.2,
        "ac_in_w": 57.0,
        "ac_out_w": 420.0,
    }
    document["battery"]["rsoc"] = "61.5"  # not a number: the emu's rsoc is next
    document["emu"]["rsoc"] = 60
    assert metric_values(document)["rsoc"] == 60.0


@pytest.mark.parametrize("value", [True, False, None, "12", [1], {"v": 1}, 10**400, -(10**400)], ids=repr)
def test_a_value_that_is_no_finite_number_is_no_metric(value):
    document = unit_doc()
    document["dcdc"]["meter"]["wg"] = value
    document["dcdc"]["powermeter"] = value
    values = metric_values(document)
    assert values["dc_grid_w"] is None and values["ac_in_w"] is None
    assert values["dc_grid_v"] == 350.2


def test_a_document_without_the_paths_has_no_metrics():
    assert set(metric_values({"emu": 5, "dcdc": {"meter": []}}).values()) == {None}
