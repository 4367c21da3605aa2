"""The compaction of an existing unit-data table (``unit_data`` 0002–0004), run by Django's migration
executor on the test database (SQLite or PostgreSQL) with rows in it: every row keeps its unit, dataset,
time, mode and document, gains its metrics, and a run interrupted part-way goes on where it stopped when
``migrate`` is run again, converting every row once."""

import importlib

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from apis.unit_data import documents
from tests.payloads import CLUSTER, COMMUNITY, unit_doc

BEFORE = [("unit_data", "0001_initial")]
COMPACT = importlib.import_module("apis.unit_data.migrations.0003_compact_documents")
T0 = 1_577_847_600_000


def migrate(targets):
    MigrationExecutor(connection).migrate(targets)
    return MigrationExecutor(connection).loader.project_state(targets).apps


def latest() -> list[tuple[str, str]]:
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.fixture
def before_compaction(transactional_db):
    """The database with the JSON unit-data table; migrated forward again afterwards."""
    apps = migrate(BEFORE)
    yield apps
    migrate(latest())


def old_rows(apps, units: list[str], cycles: int, reported: list[str]) -> list[dict]:
    """``cycles`` rows per unit in the old layout, ``ReportedUnit`` rows only for ``reported``."""
    UnitData, ReportedUnit = (
        apps.get_model("unit_data", "UnitData"),
        apps.get_model("unit_data", "ReportedUnit"),
    )
    docs = []
    for n in range(cycles):
        for unit in units:
            doc = unit_doc(
                unit, dataset_id=T0 + n * 30_000, rsoc=10 + n, effective="heteronomous" if n else "autonomous"
            )
            doc["time"] = f"2020-01-01T03:{n // 2:02d}:{n % 2 * 30:02d}Z"
            docs.append(doc)
    UnitData.objects.bulk_create(
        UnitData(
            community_id=COMMUNITY,
            cluster_id=CLUSTER,
            unit_id=doc["oesunit"]["id"],
            dataset_id=doc["datasetId"],
            time=doc["time"],
            effective_mode=doc["apis"]["operation_mode"]["effective"],
            data=doc,
        )
        for doc in docs
    )
    for unit in reported:
        ReportedUnit.objects.create(
            community_id=COMMUNITY,
            cluster_id=CLUSTER,
            unit_id=unit,
            last_dataset_id=T0 + (cycles - 1) * 30_000,
        )
    return docs


def stored(apps) -> dict[tuple[str, int], tuple]:
    UnitData = apps.get_model("unit_data", "UnitData")
    rows = UnitData.objects.values_list(
        "reported_unit__unit_id", "dataset_id", "effective_mode", "rsoc", "document"
    )
    return {(unit, dataset): (mode, rsoc, documents.decode(blob)) for unit, dataset, mode, rsoc, blob in rows}


def expected(docs: list[dict]) -> dict[tuple[str, int], tuple]:
    return {
        (doc["oesunit"]["id"], doc["datasetId"]): (
            doc["apis"]["operation_mode"]["effective"],
            doc["battery"]["rsoc"],
            doc,
        )
        for doc in docs
    }


def test_every_row_keeps_its_document_and_gains_its_unit_key_and_metrics(before_compaction, capsys):
    docs = old_rows(before_compaction, ["E001", "E002", "E003"], 5, reported=["E001", "E002"])

    apps = migrate(latest())

    assert stored(apps) == expected(docs)
    reported = apps.get_model("unit_data", "ReportedUnit").objects
    assert sorted(reported.values_list("unit_id", "last_dataset_id")) == [
        (unit, T0 + 4 * 30_000) for unit in ("E001", "E002", "E003")
    ]  # E003 had rows but no ReportedUnit: it gets one with its newest dataset
    assert "unit data compacted: 15 of 15 rows" in capsys.readouterr().out


def test_an_interrupted_compaction_goes_on_where_it_stopped_and_converts_each_row_once(
    before_compaction, monkeypatch, capsys
):
    docs = old_rows(before_compaction, ["E001", "E002"], 6, reported=["E001", "E002"])
    monkeypatch.setattr(COMPACT, "BATCH", 4)
    encode, calls = documents.encode, []

    def failing(document, *args):
        calls.append(document["datasetId"])
        if len(calls) == 7:  # inside the second batch
            raise KeyboardInterrupt
        return encode(document, *args)

    monkeypatch.setattr(documents, "encode", failing)
    with pytest.raises(KeyboardInterrupt):
        migrate(latest())
    middle = migrate([("unit_data", "0002_compact_columns")])
    done = middle.get_model("unit_data", "UnitData").objects.filter(document__isnull=False)
    assert done.count() == 4  # the first batch committed, the second rolled back

    monkeypatch.setattr(documents, "encode", encode)
    apps = migrate(latest())

    assert stored(apps) == expected(docs)
    assert capsys.readouterr().out.count("unit data compacted: 8 of 8 rows") == 1  # only the rows left
