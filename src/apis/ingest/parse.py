"""Validation and normalisation of the documents apis-ccc posts (apis-ecosystem §1.2, §1.3), item by item.

``parse_unit_report``/``parse_deal_report`` return a ``Report``: a record per valid item, a rejection per
invalid one (see ``apis.ingest.report`` for what fails the whole report instead). ``parse_unit_data`` and
``parse_deals`` return the records or raise ``IngestError`` for the first invalid item, for callers that store
all or nothing (the history generator, the importer). The documents are copied, never modified.

* Every item: its ids are non-empty strings no longer than their columns, its integers fit 64 bits, no key or
  string holds NUL or a lone surrogate, and its community/cluster is the token's (else 403 for the report).
* Unit data: ``oesunit`` ids, ``datasetId`` and ``time`` are required; ``time`` becomes ISO 8601 UTC; every
  other string whose key ends with ``time`` is converted the same way when it is a time and kept as is
  otherwise (as the Java ccc does).
* Deals: ``dealId``, ``communityId`` and ``clusterId`` are required; every ``*DateTime``/``dateTime``
  string at any depth (also ``reset[0].dateTime``) becomes ISO 8601 UTC or null (``--``), a value that is
  not a time is an invalid item naming its path; ``reportTime`` is epoch seconds, ``cumulateAmountWh`` a
  number.

Every accepted time lies in 1900 … 9999 (``apis.core.timeparse``).
"""

import time
from datetime import datetime

from apis.core.timeparse import iso_z, parse_apis_time
from apis.deal.models import Deal
from apis.deal.store import DealRecord
from apis.ingest.report import (
    INVALID_TIME,
    INVALID_WITHOUT_VALUE,
    ITEM_LEVEL,
    MISSING,
    Fault,
    IngestError,  # noqa: F401 (the error callers of the strict parsers catch, imported from here)
    Report,
    check_cluster,
    check_level,
    parse_items,
)
from apis.unit_data.models import ReportedUnit, UnitData
from apis.unit_data.store import UnitRecord

# The columns the keys are stored in: a longer value is refused here instead of failing the INSERT.
ID_MAX_LENGTH = ReportedUnit._meta.get_field("unit_id").max_length
MODE_MAX_LENGTH = UnitData._meta.get_field("effective_mode").max_length
DEAL_UNIT_MAX_LENGTH = Deal._meta.get_field("charge_unit_id").max_length
# Integers are stored in 64-bit signed columns.
INTEGER_RANGE = range(-(2**63), 2**63)
# The ids compared with the token's: any other string, a longer one too, is another cluster's.
ANY_LENGTH = 2**63
NOT_A_TIME = "not a time from 1900 to 9999 (yyyy/MM/dd-HH:mm:ss or ISO 8601)"


def _text(document: dict, key: str, field: str = "", limit: int = ID_MAX_LENGTH) -> str:
    """The required string ``document[key]``, at most ``limit`` characters (``field`` names it)."""
    value = document.get(key)
    if value is None or value == "":
        raise Fault("missing", MISSING, field=field or key)
    return _checked_text(value, field or key, limit)


def _optional_text(document: dict, key: str, limit: int) -> str | None:
    value = document.get(key)
    return None if value is None else _checked_text(value, key, limit)


def _checked_text(value: object, field: str, limit: int) -> str:
    if not isinstance(value, str):
        raise Fault("expected a string", value=value, field=field)
    if len(value) > limit:
        raise Fault(f"longer than {limit} characters", INVALID_WITHOUT_VALUE, field=field)
    return value


def _integer(document: dict, key: str) -> int | None:
    """The value of ``key`` as an int (an integral float is accepted); ``None`` when absent or null."""
    value = document.get(key)
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        if value not in INTEGER_RANGE:
            raise Fault("out of the 64-bit integer range", value=value, field=key)
        return value
    raise Fault("expected an integer", value=value, field=key)


# ---- unit data ---------------------------------------------------------------------------------------


def _maybe_time(value: str) -> str:
    """``value`` as ISO 8601 UTC when it is a time, unchanged otherwise (placeholders included)."""
    try:
        parsed = parse_apis_time(value)
    except ValueError:
        return value
    return value if parsed is None else iso_z(parsed)


def _unit_copy(document: dict, level: int) -> dict:
    """A copy of ``document`` (a container at ``level`` of the body) with its ``*time`` strings converted
    (recursing only into containers: this runs for every value of every posted document)."""
    check_level(level)
    copy = {}
    for key, item in document.items():
        if isinstance(item, str):
            if key.endswith("time"):
                item = _maybe_time(item)
        elif isinstance(item, dict):
            item = _unit_copy(item, level + 1)
        elif isinstance(item, list):
            item = _unit_list_copy(item, level + 1)
        copy[key] = item
    return copy


def _unit_list_copy(items: list, level: int) -> list:
    check_level(level)
    copy = []
    for item in items:
        if isinstance(item, dict):
            item = _unit_copy(item, level + 1)
        elif isinstance(item, list):
            item = _unit_list_copy(item, level + 1)
        copy.append(item)
    return copy


def _unit_time(item: dict) -> datetime:
    value = item.get("time")
    if value is None:
        raise Fault("missing", MISSING, field="time")
    try:
        parsed = parse_apis_time(value)
    except ValueError:
        parsed = None
    if parsed is None:
        raise Fault(NOT_A_TIME, INVALID_TIME, value, field="time")
    return parsed


def _unit_record(item: dict, community_id: str, cluster_id: str) -> UnitRecord:
    oesunit = item.get("oesunit")
    if oesunit is None:
        raise Fault("missing", MISSING, field="oesunit")
    if not isinstance(oesunit, dict):
        raise Fault("expected a JSON object", value=oesunit, field="oesunit")
    # Any other string than the token's ids (a longer one too) is another cluster's.
    community = _text(oesunit, "communityId", "oesunit.communityId", ANY_LENGTH)
    cluster = _text(oesunit, "clusterId", "oesunit.clusterId", ANY_LENGTH)
    check_cluster(community, cluster, community_id, cluster_id)
    unit = _text(oesunit, "id", "oesunit.id")
    dataset_id = _integer(item, "datasetId")
    if dataset_id is None:
        raise Fault("missing", MISSING, field="datasetId")
    unit_time = _unit_time(item)
    data = _unit_copy(item, ITEM_LEVEL)
    data["time"] = iso_z(unit_time)
    data["datasetId"] = dataset_id
    record = UnitRecord(community, cluster, unit, dataset_id, unit_time, data)
    mode = record.effective_mode
    if mode is not None and len(mode) > MODE_MAX_LENGTH:
        field = "apis.operation_mode.effective"
        raise Fault(f"longer than {MODE_MAX_LENGTH} characters", INVALID_WITHOUT_VALUE, field=field)
    return record


def parse_unit_report(
    items: object, community_id: str, cluster_id: str, value_checks: bool = True
) -> Report[UnitRecord]:
    """Read a posted unit-data array for the cluster ``community_id``/``cluster_id``, item by item
    (``value_checks``: see ``apis.ingest.report.parse_items``)."""
    return parse_items(items, lambda item: _unit_record(item, community_id, cluster_id), value_checks)


def parse_unit_data(items: object, community_id: str, cluster_id: str) -> list[UnitRecord]:
    """The records of a unit-data array whose every item is valid; ``IngestError`` otherwise."""
    return parse_unit_report(items, community_id, cluster_id).strict()


# ---- deals -------------------------------------------------------------------------------------------


def _is_datetime_key(key: str) -> bool:
    return key.endswith("DateTime") or key == "dateTime"


def _deal_time(value: object) -> str | None:
    """A ``*DateTime`` value as ISO 8601 UTC, null for null and the placeholders."""
    try:
        return iso_z(parse_apis_time(value))
    except ValueError:
        raise Fault(NOT_A_TIME, INVALID_TIME, value) from None


def _deal_copy(value: dict | list, level: int) -> dict | list:
    check_level(level)
    if isinstance(value, dict):
        return {key: _deal_field(key, item, level) for key, item in value.items()}
    return [_deal_field(position, item, level) for position, item in enumerate(value)]


def _deal_field(key: str | int, value: object, level: int) -> object:
    try:
        if isinstance(key, str) and _is_datetime_key(key):
            return _deal_time(value)
        if isinstance(value, dict | list):
            return _deal_copy(value, level + 1)
        return value
    except Fault as fault:
        fault.keys.append(key)
        raise


def _stored_time(data: dict, key: str) -> datetime | None:
    value = data.get(key)
    return None if value is None else datetime.fromisoformat(value)


def _check_number(data: dict, key: str) -> None:
    """``data[key]``, when present, is a number (its range is checked with every other value's)."""
    value = data.get(key)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise Fault("expected a number", value=value, field=key)


def _deal_record(item: dict, community_id: str, cluster_id: str, now: int) -> DealRecord:
    community = _text(item, "communityId", limit=ANY_LENGTH)
    cluster = _text(item, "clusterId", limit=ANY_LENGTH)
    check_cluster(community, cluster, community_id, cluster_id)
    deal_id = _text(item, "dealId")
    report_time = _integer(item, "reportTime")
    if report_time is not None and report_time < 0:
        raise Fault("expected epoch seconds (not negative)", value=report_time, field="reportTime")
    data = _deal_copy(item, ITEM_LEVEL)
    data["reportTime"] = now if report_time is None else report_time
    for key in ("dischargeUnitId", "chargeUnitId"):
        _optional_text(data, key, DEAL_UNIT_MAX_LENGTH)
    _check_number(data, "cumulateAmountWh")
    return DealRecord(
        community,
        cluster,
        deal_id,
        data["reportTime"],
        _stored_time(data, "createDateTime"),
        _stored_time(data, "deactivateDateTime"),
        data,
    )


def parse_deal_report(
    items: object, community_id: str, cluster_id: str, now: int | None = None, value_checks: bool = True
) -> Report[DealRecord]:
    """Read a posted deal array for the cluster ``community_id``/``cluster_id``, item by item.

    ``now`` (epoch seconds, default the current time) is the ``reportTime`` of deals that carry none.
    """
    report_now = int(time.time()) if now is None else now
    return parse_items(
        items, lambda item: _deal_record(item, community_id, cluster_id, report_now), value_checks
    )


def parse_deals(
    items: object, community_id: str, cluster_id: str, now: int | None = None
) -> list[DealRecord]:
    """The records of a deal array whose every item is valid; ``IngestError`` otherwise."""
    return parse_deal_report(items, community_id, cluster_id, now).strict()
