"""Upsert of deals by ``dealId``: a report never replaces a newer one (by ``reportTime``)."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from apis.core.sql import insert_rows
from apis.deal.models import Deal


@dataclass(frozen=True, slots=True)
class DealRecord:
    """A validated deal report; ``data`` already holds ISO 8601 UTC strings for its ``*DateTime`` fields."""

    community_id: str
    cluster_id: str
    deal_id: str
    report_time: int
    create_datetime: datetime | None
    deactivate_datetime: datetime | None
    data: dict

    def row(self) -> tuple:
        amount = self.data.get("cumulateAmountWh")
        numeric = isinstance(amount, int | float) and not isinstance(amount, bool)
        return (
            self.community_id,
            self.cluster_id,
            self.deal_id,
            self.create_datetime,
            self.deactivate_datetime,
            self.report_time,
            _text(self.data.get("dischargeUnitId")),
            _text(self.data.get("chargeUnitId")),
            float(amount) if numeric else None,
            self.data,
        )


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


COLUMNS = (
    "community_id",
    "cluster_id",
    "deal_id",
    "create_datetime",
    "deactivate_datetime",
    "report_time",
    "discharge_unit_id",
    "charge_unit_id",
    "cumulate_amount_wh",
    "data",
)
KEY = ("community_id", "cluster_id", "deal_id")


def store_deals(records: Sequence[DealRecord]) -> int:
    """Insert or replace deals in one transaction (the caller's, when there is one); returns how many rows
    were written.

    Within one call the report with the greatest ``reportTime`` of each deal wins (the later one on a tie);
    a stored deal is replaced only by a report whose ``reportTime`` is not older than its own.
    """
    newest: dict[tuple[str, str, str], DealRecord] = {}
    for record in records:
        key = (record.community_id, record.cluster_id, record.deal_id)
        if key not in newest or record.report_time >= newest[key].report_time:
            newest[key] = record
    with transaction.atomic(savepoint=False):
        return insert_rows(
            Deal,
            COLUMNS,
            [record.row() for record in newest.values()],
            conflict=KEY,
            update=COLUMNS[3:],
            update_where="excluded.report_time >= {table}.report_time",
        )
