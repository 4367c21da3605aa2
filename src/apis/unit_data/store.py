"""Idempotent storage of unit data, shared by the ingest API, the history generator and importers."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from apis.core.sql import insert_rows
from apis.unit_data import documents
from apis.unit_data.metrics import METRICS, metric_values
from apis.unit_data.models import ReportedUnit, UnitData

UnitKey = tuple[str, str, str]  # community_id, cluster_id, unit_id


@dataclass(frozen=True, slots=True)
class UnitRecord:
    """A validated unit-data document and the keys taken from it."""

    community_id: str
    cluster_id: str
    unit_id: str
    dataset_id: int
    time: datetime | None
    data: dict

    @property
    def unit_key(self) -> UnitKey:
        return self.community_id, self.cluster_id, self.unit_id

    @property
    def effective_mode(self) -> str | None:
        """``apis.operation_mode.effective`` when it is a string (any other shape of the document: None)."""
        value = self.data.get("apis")
        for key in ("operation_mode", "effective"):
            value = value.get(key) if isinstance(value, dict) else None
        return value if isinstance(value, str) else None

    def row(self, reported_unit_id: int) -> tuple:
        """The record's ``UnitData`` row in the order of ``COLUMNS``."""
        metrics = metric_values(self.data)
        head = (
            reported_unit_id,
            self.dataset_id,
            self.time,
            self.effective_mode,
            documents.encode(self.data),
        )
        return head + tuple(metrics[name] for name in METRICS)


COLUMNS = ("reported_unit", "dataset_id", "time", "effective_mode", "document", *METRICS)
KEY = ("reported_unit", "dataset_id")


def store_unit_data(records: Sequence[UnitRecord]) -> int:
    """Store ``records`` in one transaction (the caller's, when there is one); a record already stored (same
    unit and dataset) is skipped.

    Returns the number of new rows.
    """
    with transaction.atomic(savepoint=False):
        ids = _remember_units(records)
        rows = [record.row(ids[record.unit_key]) for record in records]
        return insert_rows(UnitData, COLUMNS, rows, conflict=KEY)


def _remember_units(records: Sequence[UnitRecord]) -> dict[UnitKey, int]:
    """Record each unit's newest dataset in ``ReportedUnit`` (adding the units new to it); their row ids."""
    newest: dict[UnitKey, UnitRecord] = {}
    for record in records:
        key = record.unit_key
        if key not in newest or record.dataset_id > newest[key].dataset_id:
            newest[key] = record
    rows = [(*key, r.dataset_id, r.time) for key, r in sorted(newest.items())]
    insert_rows(
        ReportedUnit,
        ("community_id", "cluster_id", "unit_id", "last_dataset_id", "last_time"),
        rows,
        conflict=("community_id", "cluster_id", "unit_id"),
        update=("last_dataset_id", "last_time"),
        update_where="excluded.last_dataset_id > {table}.last_dataset_id",
    )
    return reported_unit_ids(newest)


def reported_unit_ids(keys: Sequence[UnitKey] | dict) -> dict[UnitKey, int]:
    """The ``ReportedUnit`` id of each of ``keys`` that has one (one query per cluster)."""
    by_cluster: dict[tuple[str, str], list[str]] = defaultdict(list)
    for community_id, cluster_id, unit_id in keys:
        by_cluster[(community_id, cluster_id)].append(unit_id)
    found: dict[UnitKey, int] = {}
    for (community_id, cluster_id), units in by_cluster.items():
        rows = ReportedUnit.objects.filter(
            community_id=community_id, cluster_id=cluster_id, unit_id__in=units
        )
        for unit_id, pk in rows.values_list("unit_id", "id"):
            found[(community_id, cluster_id, unit_id)] = pk
    return found
