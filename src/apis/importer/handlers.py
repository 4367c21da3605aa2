"""How each MongoDB collection of the original (reference §3.2) is validated and stored.

``parse`` turns one decoded document into a record or raises ``Rejected``; ``store`` writes a batch of
records (inside the caller's transaction) and returns how many were new, the rest being already present:

* ``unitData``: the ingest validation, then ``store_unit_data`` (a unit's dataset is stored once);
* ``deal``: the ingest validation, then ``store_deals``; a deal stored with the same or a newer
  ``reportTime`` is present (a deal without ``reportTime`` gets 0, so that any real report replaces it);
* ``apisLog``: one row per document, recognised on a second run by its ``_id`` (``ImportedLog``);
* ``downtime``: present when the unit has a downtime starting at the same time, or when an open one is
  imported for a unit that already has one open;
* ``downtimeStatus``: the newer ``lastTime`` of a unit wins.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bson import ObjectId
from django.db import connection
from django.db.models import Q

from apis.apis_log.collector import COLUMNS as LOG_COLUMNS
from apis.apis_log.models import ApisLog
from apis.core.models import UNIT_KEY
from apis.core.sql import append_rows, insert_rows
from apis.deal.models import Deal
from apis.deal.store import DealRecord, store_deals
from apis.downtime.models import Downtime, DowntimeStatus
from apis.importer.models import ImportedLog
from apis.importer.values import Rejected, check_lengths, moment, plain, preview, text
from apis.ingest.parse import IngestError, parse_deals, parse_unit_data
from apis.unit_data.store import UnitRecord, store_unit_data

IDS_PER_CLAIM = 500  # ids per ledger statement (well under SQLite's limit of bound parameters)


@dataclass(frozen=True)
class Handler:
    """The import rules of one collection."""

    name: str
    parse: Callable[[object], Any]
    store: Callable[[Sequence[Any]], int]


def _document(value: object) -> dict:
    if not isinstance(value, dict):
        raise Rejected(f"not a document: {preview(value)}")
    return value


def _ingest_rejection(error: IngestError) -> Rejected:
    return Rejected(error.message.removeprefix("item 0: "))


# ---- unitData ----------------------------------------------------------------------------------------


def _parse_unit_data(value: object) -> UnitRecord:
    data = plain(_document(value))
    oesunit = data.get("oesunit")
    own = (oesunit.get("communityId"), oesunit.get("clusterId")) if isinstance(oesunit, dict) else ("", "")
    try:
        [record] = parse_unit_data([data], *own)
    except IngestError as error:
        raise _ingest_rejection(error) from None
    return record


# ---- deal --------------------------------------------------------------------------------------------


def _parse_deal(value: object) -> DealRecord:
    data = plain(_document(value))
    try:
        [record] = parse_deals([data], data.get("communityId"), data.get("clusterId"), now=0)
    except IngestError as error:
        raise _ingest_rejection(error) from None
    return record


def _store_deals(records: Sequence[DealRecord]) -> int:
    scope = Deal.objects.filter(
        community_id__in={r.community_id for r in records},
        cluster_id__in={r.cluster_id for r in records},
        deal_id__in={r.deal_id for r in records},
    )
    stored = {
        tuple(key): report_time
        for *key, report_time in scope.values_list("community_id", "cluster_id", "deal_id", "report_time")
    }
    newer = [r for r in records if stored.get((r.community_id, r.cluster_id, r.deal_id), -1) < r.report_time]
    return store_deals(newer)


# ---- apisLog -----------------------------------------------------------------------------------------


def _parse_log(value: object) -> tuple[str, tuple]:
    """A log document as apis-log writes it (apis-ecosystem §2.3). A line apis-log could not parse was
    stored with only ``address``, the ids and ``message``: it gets SEVERE (as apis-log treats it) and the
    creation time of its ``ObjectId`` (as the collector stamps such lines with their arrival)."""
    document = _document(value)
    object_id = document.get("_id")
    if object_id is None:
        raise Rejected("missing field _id (the key of an imported log record)")
    if not isinstance(object_id, ObjectId | str | int) or isinstance(object_id, bool):
        raise Rejected(
            f"invalid field _id: {preview(object_id)} (expected an ObjectId, a string or a number)"
        )
    data = plain(document)
    source_id = str(object_id)
    if "\x00" in source_id:
        raise Rejected("invalid field _id: a NUL character")
    check_lengths(ImportedLog, ("source_id",), (source_id,))
    when = moment(data, "datetime", required=False)
    if when is None and isinstance(object_id, ObjectId):
        when = object_id.generation_time
    if when is None:
        raise Rejected("missing field datetime")
    row = (
        text(data, "communityId"),
        text(data, "clusterId"),
        text(data, "address", required=False) or "",
        text(data, "programId", required=False),
        text(data, "unitId", required=False),
        text(data, "thread", required=False),
        when,
        text(data, "loglevel", required=False) or "SEVERE",
        text(data, "loggername", required=False),
        text(data, "message", required=False) or "",
    )
    check_lengths(ApisLog, LOG_COLUMNS, row)
    return source_id, row


def _store_logs(records: Sequence[tuple[str, tuple]]) -> int:
    new: dict[str, tuple] = {}
    for source_id, row in records:
        new.setdefault(source_id, row)
    ids = list(new)
    claimed = set().union(
        *(_claim(ids[start : start + IDS_PER_CLAIM]) for start in range(0, len(ids), IDS_PER_CLAIM))
    )
    return append_rows(ApisLog, LOG_COLUMNS, [row for source_id, row in new.items() if source_id in claimed])


def _claim(ids: Sequence[str]) -> set[str]:
    """Add ``ids`` to the ledger; returns those that were not in it yet (one statement, race-free)."""
    table = connection.ops.quote_name(ImportedLog._meta.db_table)
    values = ", ".join(["(%s)"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (source_id) VALUES {values} "
            "ON CONFLICT (source_id) DO NOTHING RETURNING source_id",
            list(ids),
        )
        return {source_id for (source_id,) in cursor.fetchall()}


# ---- downtime and downtimeStatus ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Downtime:
    key: tuple[str, str, str]
    down: datetime
    recovery: datetime | None


def _unit_key(document: dict) -> tuple[str, str, str]:
    key = (text(document, "communityId"), text(document, "clusterId"), text(document, "unitId"))
    check_lengths(Downtime, UNIT_KEY, key)
    return key


def _parse_downtime(value: object) -> _Downtime:
    data = plain(_document(value))
    record = _Downtime(_unit_key(data), moment(data, "downDateTime"), moment(data, "recoveryDateTime", False))
    if record.recovery is not None and record.recovery < record.down:
        raise Rejected(f"recoveryDateTime {record.recovery.isoformat()} is before downDateTime")
    return record


def _units(keys: set[tuple[str, str, str]]) -> Q:
    return Q(**{f"{name}__in": {key[index] for key in keys} for index, name in enumerate(UNIT_KEY)})


def _store_downtimes(records: Sequence[_Downtime]) -> int:
    scope = Downtime.objects.filter(_units({r.key for r in records}))
    starts = {(tuple(k), down) for *k, down in scope.values_list(*UNIT_KEY, "down_datetime")}
    open_units = {tuple(key) for key in scope.filter(recovery_datetime__isnull=True).values_list(*UNIT_KEY)}
    new = []
    for record in records:
        if (record.key, record.down) in starts or (record.recovery is None and record.key in open_units):
            continue
        starts.add((record.key, record.down))
        if record.recovery is None:
            open_units.add(record.key)
        new.append((*record.key, record.down, record.recovery))
    insert_rows(Downtime, (*UNIT_KEY, "down_datetime", "recovery_datetime"), new)
    return len(new)


def _parse_status(value: object) -> tuple:
    data = plain(_document(value))
    return (*_unit_key(data), moment(data, "lastTime"))


def _store_statuses(records: Sequence[tuple]) -> int:
    newest: dict[tuple, datetime] = {}
    for *key, last_time in records:
        if tuple(key) not in newest or last_time > newest[tuple(key)]:
            newest[tuple(key)] = last_time
    rows = [(*key, last_time) for key, last_time in newest.items()]
    return insert_rows(
        DowntimeStatus,
        (*UNIT_KEY, "last_time"),
        rows,
        conflict=UNIT_KEY,
        update=("last_time",),
        update_where="excluded.last_time > {table}.last_time",
    )


# In this order: the downtime extraction then skips the imported unit data its imported status covers.
HANDLERS = {
    handler.name: handler
    for handler in (
        Handler("downtimeStatus", _parse_status, _store_statuses),
        Handler("downtime", _parse_downtime, _store_downtimes),
        Handler("unitData", _parse_unit_data, store_unit_data),
        Handler("deal", _parse_deal, _store_deals),
        Handler("apisLog", _parse_log, _store_logs),
    )
}
