"""Deal rollups (:class:`apis.rollup.models.DealRollup`): maintained incrementally from the deals' revisions,
and rebuilt over a range.

Deals are upserted, so a deal's row changes in place (its cumulated Wh grows with every report); every write
gives it a new ``revision`` (:mod:`apis.deal.store`), handed out in commit order. A pass reads the deals
whose revision lies above the watermark and at most the committed revision
(:func:`apis.deal.store.committed_revision`: every write up to it is visible), in revision order and in
chunks. Every chunk is one transaction that first advances the watermark with a conditional ``UPDATE``, as
the unit-data rollups do: a second runner on the same chunk waits for it, then matches nothing and stops;
a runner killed mid-chunk rolls it back, watermark included, and the next pass does it again.

A chunk recomputes the buckets (per cluster, resolution and start) holding the creation times of its deals,
and those of the :class:`~apis.deal.models.DealMove` rows in its range of revisions: the creation times
deals left, so a deal whose creation time a newer report corrected leaves its old buckets right too (the
moves are deleted once processed). A bucket is always computed again from the deal rows (one ``GROUP BY``
for a batch of buckets) and its rows replaced, never added to: re-sent reports, a bigger cumulated amount, a
chunk done twice or a rebuild all give the rows a direct computation gives.

Every bucket reads its cluster's deals by the (cluster, creation time) index, an hour's or a local day's
worth, so days are computed from the deals as hours are, in every zone (a deal is attributed to one
instant, so a day is exactly the deals of its hours, whatever its offset).
"""

import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from functools import reduce
from operator import or_

from django.db import connection, transaction
from django.db.models import Q

from apis.core.sql import insert_rows
from apis.deal.models import Deal, DealMove
from apis.deal.store import committed_revision
from apis.rollup.buckets import bucket_end, day_end, day_start, utc_floor
from apis.rollup.models import DEAL_ROLLUP_WATERMARK_ID, DealRollup, DealRollupWatermark, Resolution

logger = logging.getLogger(__name__)

# Deals per chunk (one transaction) and per pass; a pass ends on a chunk boundary.
CHUNK_DEALS = 2_000
MAX_DEALS_PER_PASS = 200_000
# Buckets computed by one SQL statement.
BUCKETS_PER_QUERY = 200

HOUR, DAY = Resolution.HOUR.value, Resolution.DAY.value
RESOLUTIONS = (HOUR, DAY)

Cluster = tuple[str, str]
Target = tuple[int, str, str, datetime]
"""A cluster's bucket: resolution, community, cluster and the bucket's start."""

VALUE_COLUMNS = ("deals", "discharge_deals", "charge_deals", "discharged_wh", "charged_wh")
COLUMNS = (
    "resolution",
    "community_id",
    "cluster_id",
    "unit_id",
    "counterparty_unit_id",
    "bucket",
    *VALUE_COLUMNS,
)


def deal_rollup_pass(
    now: datetime | None = None, *, chunk_deals: int = CHUNK_DEALS, max_deals: int = MAX_DEALS_PER_PASS
) -> int:
    """Run one incremental pass; returns the number of deals processed.

    ``now`` is accepted as every job's argument; the rollups do not depend on the wall clock. At most
    ``max_deals`` deals (rounded up to whole chunks) are processed; the rest of a backlog is left for the
    next passes."""
    _ensure_watermark()
    horizon = committed_revision()
    after = DealRollupWatermark.objects.values_list("last_revision", flat=True).get(
        pk=DEAL_ROLLUP_WATERMARK_ID
    )
    processed = buckets = 0
    while processed < max_deals and after < horizon:
        outcome = _process_chunk(after, horizon, chunk_deals)
        if outcome is None:
            logger.info("deal rollups: another runner is ahead, pass ends")
            break
        count, after, recomputed = outcome
        processed += count
        buckets += recomputed
    logger.info("deal rollups: %d deals processed, %d buckets recomputed", processed, buckets)
    return processed


def _ensure_watermark() -> None:
    insert_rows(
        DealRollupWatermark, ("id", "last_revision"), [(DEAL_ROLLUP_WATERMARK_ID, 0)], conflict=("id",)
    )


def _chunk(after: int, horizon: int, limit: int) -> list[tuple]:
    """Up to ``limit`` deals with a revision in ``(after, horizon]``, in revision order: (revision,
    community, cluster, creation time)."""
    deals = Deal.objects.filter(revision__gt=after, revision__lte=horizon).order_by("revision")
    return list(deals.values_list("revision", "community_id", "cluster_id", "create_datetime")[:limit])


def _process_chunk(after: int, horizon: int, limit: int) -> tuple[int, int, int] | None:
    """Process the deals after revision ``after``: (deals, last revision, buckets recomputed), ``None`` when
    another runner took the chunk. A chunk shorter than ``limit`` reaches the horizon (the moves of the
    revisions no deal holds any more are in its range too)."""
    rows = _chunk(after, horizon, limit)
    last = rows[-1][0] if len(rows) == limit else horizon
    with transaction.atomic():
        claimed = DealRollupWatermark.objects.filter(pk=DEAL_ROLLUP_WATERMARK_ID, last_revision=after)
        if not claimed.update(last_revision=last):
            return None
        moves = DealMove.objects.filter(revision__gt=after, revision__lte=last)
        times = [(community_id, cluster_id, moment) for _, community_id, cluster_id, moment in rows]
        times += moves.values_list("community_id", "cluster_id", "create_datetime")
        recomputed = refresh(targets(times))
        moves.delete()
    return len(rows), last, recomputed


def targets(times: Iterable[tuple[str, str, datetime | None]]) -> set[Target]:
    """The hourly and daily buckets holding each (community, cluster, instant); no instant, no bucket."""
    found: set[Target] = set()
    for community_id, cluster_id, moment in times:
        if moment is not None:
            found.add((HOUR, community_id, cluster_id, utc_floor(moment, HOUR)))
            found.add((DAY, community_id, cluster_id, day_start(moment)))
    return found


# ---- buckets from the deal rows --------------------------------------------------------------------------


def refresh(buckets: Iterable[Target]) -> int:
    """Replace the rows of ``buckets`` by the ones computed from the deal rows (a bucket without deals is
    left without rows). Call it inside a transaction holding the watermark. Returns the buckets done."""
    wanted = sorted(set(buckets))
    for batch in _batches(wanted, BUCKETS_PER_QUERY):
        DealRollup.objects.filter(
            reduce(or_, (Q(resolution=r, community_id=c, cluster_id=k, bucket=b) for r, c, k, b in batch))
        ).delete()
        insert_rows(DealRollup, COLUMNS, compute(batch))
    return len(wanted)


def compute(batch: Sequence[Target]) -> list[tuple]:
    """The rows (``COLUMNS``) of the buckets ``batch``, computed from the deal rows."""
    values: dict[tuple, list] = defaultdict(lambda: [0, 0, 0, 0.0, 0.0])
    for n, discharge, charge, count, wh in _pair_sums(batch):
        discharge, charge, wh = discharge or "", charge or "", float(wh or 0)
        resolution, community_id, cluster_id, bucket = batch[n]
        seller = values[(resolution, community_id, cluster_id, discharge, charge, bucket)]
        seller[0] += count
        seller[1] += count
        seller[3] += wh
        buyer = values[(resolution, community_id, cluster_id, charge, discharge, bucket)]
        if charge != discharge:
            buyer[0] += count
        buyer[2] += count
        buyer[4] += wh
    return [(*key, *numbers) for key, numbers in sorted(values.items())]


def _pair_sums(batch: Sequence[Target]) -> list[tuple]:
    """Per bucket of ``batch`` (by its index ``n``) and (discharge unit, charge unit): the deals created in
    the bucket and their summed Wh."""
    table, created = _quote(Deal._meta.db_table), _quote("create_datetime")
    time = "CAST(%s AS timestamp with time zone)" if connection.vendor == "postgresql" else "%s"
    values = ", ".join([f"(%s, %s, %s, {time}, {time})"] * len(batch))
    match = " AND ".join(
        [
            f"{table}.{_quote('community_id')} = w.community_id",
            f"{table}.{_quote('cluster_id')} = w.cluster_id",
            f"{table}.{created} >= w.b_start",
            f"{table}.{created} < w.b_stop",
        ]
    )
    columns = ", ".join(
        f"{table}.{_quote(c)} AS {c}" for c in ("discharge_unit_id", "charge_unit_id", "cumulate_amount_wh")
    )
    if connection.vendor == "postgresql":
        # read each bucket's deals by the index (OFFSET 0 keeps the planner from making it a plain join)
        source = f"wanted w CROSS JOIN LATERAL (SELECT {columns} FROM {table} WHERE {match} OFFSET 0) d"
    else:
        source = f"(SELECT w.n, {columns} FROM wanted w JOIN {table} ON {match}) d"
    sql = (
        f"WITH wanted (n, community_id, cluster_id, b_start, b_stop) AS (VALUES {values}) "
        f"SELECT n, d.discharge_unit_id, d.charge_unit_id, COUNT(*), SUM(d.cumulate_amount_wh) "
        f"FROM {source} GROUP BY n, d.discharge_unit_id, d.charge_unit_id"
    )
    params = []
    for n, (resolution, community_id, cluster_id, start) in enumerate(batch):
        stop = bucket_end(resolution, start)
        params += [n, community_id, cluster_id, _time_param(start), _time_param(stop)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _time_param(value: datetime) -> object:
    return connection.ops.adapt_datetimefield_value(value)


def _batches(items: Sequence, size: int) -> Iterable[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# ---- rebuilding ------------------------------------------------------------------------------------------


def deal_rollup_clusters(cluster: Cluster | None = None) -> list[Cluster]:
    """The clusters with deals or deal rollups (only ``cluster``, when given and known), in order."""
    deals, rolled = Deal.objects.all(), DealRollup.objects.filter(resolution=DAY)
    if cluster is not None:
        of_cluster = {"community_id": cluster[0], "cluster_id": cluster[1]}
        deals, rolled = deals.filter(**of_cluster), rolled.filter(**of_cluster)
    keys = set(deals.values_list("community_id", "cluster_id").distinct())
    keys |= set(rolled.values_list("community_id", "cluster_id").distinct())
    return sorted(keys)


def rebuild_cluster(
    cluster: Cluster, start: datetime | None = None, end: datetime | None = None
) -> Iterator[tuple[datetime, int]]:
    """Rebuild the deal rollups of ``cluster`` over the whole local days from the one holding ``start`` to
    the one holding the instant before ``end`` (no bound: all), one day per transaction; yields (day,
    deals) for each day rebuilt. Deals are kept for ever, so every day can be rebuilt."""
    cursor = None if start is None else day_start(start)
    limit = None if end is None else _day_ceiling(end)
    while (day := _next_day(cluster, cursor)) is not None and (limit is None or day < limit):
        yield day, _rebuild_day(cluster, day)
        cursor = day_end(day)


def _day_ceiling(end: datetime) -> datetime:
    """``end`` when it is a local midnight, else the end of its day."""
    start = day_start(end)
    return start if start == end else day_end(start)


def _next_day(cluster: Cluster, cursor: datetime | None) -> datetime | None:
    """The first local day from ``cursor`` on holding a deal's creation or a deal rollup of ``cluster``."""
    of_cluster = {"community_id": cluster[0], "cluster_id": cluster[1]}
    deals = Deal.objects.filter(**of_cluster, create_datetime__isnull=False)
    rolled = DealRollup.objects.filter(**of_cluster)
    if cursor is not None:
        deals, rolled = deals.filter(create_datetime__gte=cursor), rolled.filter(bucket__gte=cursor)
    firsts = [deals.order_by("create_datetime").values_list("create_datetime", flat=True).first()]
    for resolution in RESOLUTIONS:
        rows = rolled.filter(resolution=resolution).order_by("bucket")
        firsts.append(rows.values_list("bucket", flat=True).first())
    found = [moment for moment in firsts if moment is not None]
    return day_start(min(found)) if found else None


def _rebuild_day(cluster: Cluster, day: datetime) -> int:
    """Delete and recompute the deal rollups of ``cluster`` in the local day starting at ``day`` (and the
    hours overlapping it); returns the deals created in the day."""
    end = day_end(day)
    of_cluster = {"community_id": cluster[0], "cluster_id": cluster[1]}
    with transaction.atomic():
        _ensure_watermark()
        list(
            DealRollupWatermark.objects.select_for_update()
            .filter(pk=DEAL_ROLLUP_WATERMARK_ID)
            .values_list("id")
        )
        # the day's own rows, and days of another zone's midnights (after a change of APIS_TIME_ZONE)
        DealRollup.objects.filter(**of_cluster, bucket__gte=day, bucket__lt=end).delete()
        buckets, hour = {(DAY, *cluster, day)}, utc_floor(day, HOUR)
        while hour < end:
            buckets.add((HOUR, *cluster, hour))
            hour += timedelta(seconds=HOUR)
        refresh(buckets)
        return Deal.objects.filter(**of_cluster, create_datetime__gte=day, create_datetime__lt=end).count()
