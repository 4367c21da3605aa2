"""Idempotent storage of unit data, shared by the ingest API, the history generator and importers."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from apis.core.sql import insert_rows
from apis.unit_data.models import ReportedUnit, UnitData


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
    def effective_mode(self) -> str | None:
        """``apis.operation_mode.effective`` when it is a string (any other shape of the document: None)."""
        value = self.data.get("apis")
        for key in ("operation_mode", "effective"):
            value = value.get(key) if isinstance(value, dict) else None
        return value if isinstance(value, str) else None


COLUMNS = ("community_id", "cluster_id", "unit_id", "dataset_id", "time", "effective_mode", "data")
KEY = ("community_id", "cluster_id", "unit_id", "dataset_id")


def store_unit_data(records: Sequence[UnitRecord]) -> int:
    """Store ``records`` in one transaction (the caller's, when there is one); a record already stored (same
    unit and dataset) is skipped.

    Returns the number of new rows.
    """
    rows = [
        (r.community_id, r.cluster_id, r.unit_id, r.dataset_id, r.time, r.effective_mode, r.data)
        for r in records
    ]
    with transaction.atomic(savepoint=False):
        stored = insert_rows(UnitData, COLUMNS, rows, conflict=KEY)
        _remember_units(records)
    return stored


def _remember_units(records: Sequence[UnitRecord]) -> None:
    newest: dict[tuple[str, str, str], UnitRecord] = {}
    for record in records:
        key = (record.community_id, record.cluster_id, record.unit_id)
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
