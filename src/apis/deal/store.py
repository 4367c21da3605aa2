"""Upsert of deals by ``dealId``: a report never replaces a newer one (by ``reportTime``).

Every row written gets a new ``revision`` (:class:`~apis.deal.models.DealRevision`), and a report that
changes the creation time of a stored deal leaves a :class:`~apis.deal.models.DealMove` with the old one,
so the readers that follow deals by revision (the deal rollups) see every change and every bucket a deal
left.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import F, Max

from apis.core.sql import insert_rows
from apis.deal.models import DEAL_REVISION_ID, Deal, DealMove, DealRevision


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
    "revision",
)
KEY = ("community_id", "cluster_id", "deal_id")
# Deal ids per look-up of the stored creation times.
IDS_PER_QUERY = 500


def store_deals(records: Sequence[DealRecord]) -> int:
    """Insert or replace deals in one transaction (the caller's, when there is one); returns how many rows
    were written.

    Within one call the report with the greatest ``reportTime`` of each deal wins (the later one on a tie);
    a stored deal is replaced only by a report whose ``reportTime`` is not older than its own.

    Each report gets its own revision; the revision counter stays locked until the transaction ends, so
    deal writes commit in revision order. A report whose creation time differs from the stored deal's
    records the stored one as a :class:`DealMove` (also when the report turns out older and replaces
    nothing: the reader then recomputes a bucket for nothing, which is harmless).
    """
    newest: dict[tuple[str, str, str], DealRecord] = {}
    for record in records:
        key = (record.community_id, record.cluster_id, record.deal_id)
        if key not in newest or record.report_time >= newest[key].report_time:
            newest[key] = record
    if not newest:
        return 0
    with transaction.atomic(savepoint=False):
        first = reserve_revisions(len(newest))
        revisions = {key: first + n for n, key in enumerate(newest)}
        _record_moves(newest, revisions)
        return insert_rows(
            Deal,
            COLUMNS,
            [(*record.row(), revisions[key]) for key, record in newest.items()],
            conflict=KEY,
            update=COLUMNS[3:],
            update_where="excluded.report_time >= {table}.report_time",
        )


def reserve_revisions(count: int) -> int:
    """Hand out ``count`` consecutive revisions and return the first; call it inside a transaction, which
    keeps the counter row locked until it ends. A missing counter row (an emptied table) starts again above
    the greatest stored revision."""
    counter = DealRevision.objects.filter(pk=DEAL_REVISION_ID)
    if not counter.update(last=F("last") + count):
        top = Deal.objects.aggregate(top=Max("revision"))["top"] or 0
        insert_rows(DealRevision, ("id", "last"), [(DEAL_REVISION_ID, top)], conflict=("id",))
        counter.update(last=F("last") + count)
    return counter.values_list("last", flat=True).get() - count + 1


def committed_revision() -> int:
    """The last revision handed out by a committed write: every deal write up to it is visible."""
    return DealRevision.objects.filter(pk=DEAL_REVISION_ID).values_list("last", flat=True).first() or 0


def _record_moves(newest: dict[tuple[str, str, str], DealRecord], revisions: dict[tuple, int]) -> None:
    """A :class:`DealMove` for each stored deal whose creation time the report of it changes."""
    moves = [
        (community_id, cluster_id, stored, revisions[(community_id, cluster_id, deal_id)])
        for community_id, cluster_id, deal_id, stored in _stored_creations(newest)
        if stored is not None and stored != newest[(community_id, cluster_id, deal_id)].create_datetime
    ]
    insert_rows(DealMove, ("community_id", "cluster_id", "create_datetime", "revision"), moves)


def _stored_creations(keys: Iterable[tuple[str, str, str]]) -> list[tuple]:
    """(community, cluster, deal id, creation time) of the stored deals among ``keys``."""
    by_cluster: dict[tuple[str, str], list[str]] = defaultdict(list)
    for community_id, cluster_id, deal_id in keys:
        by_cluster[(community_id, cluster_id)].append(deal_id)
    found = []
    for (community_id, cluster_id), deal_ids in by_cluster.items():
        for start in range(0, len(deal_ids), IDS_PER_QUERY):
            stored = Deal.objects.filter(
                community_id=community_id,
                cluster_id=cluster_id,
                deal_id__in=deal_ids[start : start + IDS_PER_QUERY],
            )
            found.extend(stored.values_list(*KEY, "create_datetime"))
    return found
