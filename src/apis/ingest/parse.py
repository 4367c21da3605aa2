"""Validation and normalisation of the documents apis-ccc posts (apis-ecosystem §1.2, §1.3).

Both parsers check the whole list before returning anything and raise ``IngestError`` on the first
problem, so a caller stores either every item or none. The documents are copied, never modified.

* Unit data: the top-level ``time`` is required and becomes ISO 8601 UTC; every other string whose key ends
  with ``time`` is converted the same way when it is a time and kept as is otherwise (as the Java ccc does).
* Deals: every ``*DateTime``/``dateTime`` string at any depth (also ``reset[0].dateTime``) becomes ISO 8601
  UTC or null (``--``); a value that is not a time is an error naming its path.
"""

import time
from datetime import datetime

from apis.core.jsonpath import PathError
from apis.core.timeparse import iso_z, parse_apis_time
from apis.deal.models import Deal
from apis.deal.store import DealRecord
from apis.unit_data.models import UnitData
from apis.unit_data.store import UnitRecord

# The columns the keys are stored in: a longer value is refused here instead of failing the INSERT.
ID_MAX_LENGTH = UnitData._meta.get_field("unit_id").max_length
MODE_MAX_LENGTH = UnitData._meta.get_field("effective_mode").max_length
DEAL_UNIT_MAX_LENGTH = Deal._meta.get_field("charge_unit_id").max_length
# Integers are stored in 64-bit signed columns.
INTEGER_RANGE = range(-(2**63), 2**63)


class IngestError(Exception):
    """A request that cannot be stored: ``status`` 400 (invalid) or 403 (another cluster's data)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _invalid(index: int, message: str) -> IngestError:
    return IngestError(400, f"item {index}: {message}")


def _objects(items: object) -> list[dict]:
    if not isinstance(items, list):
        raise IngestError(400, "body is not a JSON array")
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise _invalid(index, "not a JSON object")
    return items


def _text_field(index: int, document: dict, key: str, path: str = "") -> str:
    value = document.get(key)
    if value is None or value == "":
        raise _invalid(index, f"missing field {path or key}")
    if not isinstance(value, str):
        raise _invalid(index, f"invalid field {path or key}: {value!r} (expected a string)")
    _check_length(index, value, path or key, ID_MAX_LENGTH)
    return value


def _check_length(index: int, value: object, path: str, limit: int) -> None:
    if isinstance(value, str) and len(value) > limit:
        raise _invalid(index, f"invalid field {path}: longer than {limit} characters")


def _integer_field(index: int, document: dict, key: str) -> int | None:
    """The value of ``key`` as an int (an integral float is accepted); ``None`` when absent or null."""
    value = document.get(key)
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        if value not in INTEGER_RANGE:
            raise _invalid(index, f"invalid field {key}: {value} (out of the 64-bit integer range)")
        return value
    raise _invalid(index, f"invalid field {key}: {value!r} (expected an integer)")


def _check_cluster(index: int, community: str, cluster: str, community_id: str, cluster_id: str) -> None:
    if (community, cluster) != (community_id, cluster_id):
        raise IngestError(
            403,
            f"item {index}: community/cluster {community}/{cluster} is not the token's cluster "
            f"{community_id}/{cluster_id}",
        )


class _BadTime(PathError):
    """An unparsable time somewhere in a document."""

    def __init__(self, value: object) -> None:
        super().__init__(value)
        self.value = value


def _time_error(index: int, value: object, path: str) -> IngestError:
    return _invalid(index, f"invalid time: {value!r} (field {path})")


# ---- unit data ---------------------------------------------------------------------------------------


def _maybe_time(value: str) -> str:
    """``value`` as ISO 8601 UTC when it is a time, unchanged otherwise (placeholders included)."""
    try:
        parsed = parse_apis_time(value)
    except ValueError:
        return value
    return value if parsed is None else iso_z(parsed)


def _unit_copy(document: dict) -> dict:
    """A copy of ``document`` with its ``*time`` strings converted (recursing only into containers: this
    runs for every value of every posted document)."""
    copy = {}
    for key, item in document.items():
        if isinstance(item, str):
            if key.endswith("time"):
                item = _maybe_time(item)
        elif isinstance(item, dict):
            item = _unit_copy(item)
        elif isinstance(item, list):
            item = _unit_list_copy(item)
        copy[key] = item
    return copy


def _unit_list_copy(items: list) -> list:
    copy = []
    for item in items:
        if isinstance(item, dict):
            item = _unit_copy(item)
        elif isinstance(item, list):
            item = _unit_list_copy(item)
        copy.append(item)
    return copy


def _unit_record(index: int, item: dict, community_id: str, cluster_id: str) -> UnitRecord:
    oesunit = item.get("oesunit")
    if not isinstance(oesunit, dict):
        raise _invalid(index, "missing field oesunit" if oesunit is None else "oesunit is not a JSON object")
    community, cluster, unit = (
        _text_field(index, oesunit, key, f"oesunit.{key}") for key in ("communityId", "clusterId", "id")
    )
    _check_cluster(index, community, cluster, community_id, cluster_id)
    dataset_id = _integer_field(index, item, "datasetId")
    if dataset_id is None:
        raise _invalid(index, "missing field datasetId")
    raw_time = item.get("time")
    if raw_time is None:
        raise _invalid(index, "missing field time")
    try:
        unit_time = parse_apis_time(raw_time)
    except ValueError:
        unit_time = None
    if unit_time is None:
        raise _time_error(index, raw_time, "time")
    data = _unit_copy(item)
    data["time"] = iso_z(unit_time)
    data["datasetId"] = dataset_id
    record = UnitRecord(community, cluster, unit, dataset_id, unit_time, data)
    _check_length(index, record.effective_mode, "apis.operation_mode.effective", MODE_MAX_LENGTH)
    return record


def parse_unit_data(items: object, community_id: str, cluster_id: str) -> list[UnitRecord]:
    """Validate a posted unit-data array for the cluster ``community_id``/``cluster_id``."""
    return [_unit_record(index, item, community_id, cluster_id) for index, item in enumerate(_objects(items))]


# ---- deals -------------------------------------------------------------------------------------------


def _is_datetime_key(key: str) -> bool:
    return key.endswith("DateTime") or key == "dateTime"


def _deal_time(value: object) -> str | None:
    """A ``*DateTime`` value as ISO 8601 UTC, null for null and the placeholders."""
    try:
        return iso_z(parse_apis_time(value))
    except ValueError:
        raise _BadTime(value) from None


def _deal_copy(value: object) -> object:
    if isinstance(value, dict):
        return {key: _deal_field(key, item) for key, item in value.items()}
    if isinstance(value, list):
        return [_deal_field(position, item) for position, item in enumerate(value)]
    return value


def _deal_field(key: str | int, value: object) -> object:
    try:
        if isinstance(key, str) and _is_datetime_key(key):
            return _deal_time(value)
        return _deal_copy(value)
    except _BadTime as error:
        error.keys.append(key)
        raise


def _stored_time(data: dict, key: str) -> datetime | None:
    value = data.get(key)
    return None if value is None else datetime.fromisoformat(value)


def _deal_record(index: int, item: dict, community_id: str, cluster_id: str, now: int) -> DealRecord:
    deal_id = _text_field(index, item, "dealId")
    community = _text_field(index, item, "communityId")
    cluster = _text_field(index, item, "clusterId")
    _check_cluster(index, community, cluster, community_id, cluster_id)
    report_time = _integer_field(index, item, "reportTime")
    if report_time is not None and report_time < 0:
        raise _invalid(index, f"invalid field reportTime: {report_time} (expected epoch seconds)")
    try:
        data = _deal_copy(item)
    except _BadTime as error:
        raise _time_error(index, error.value, error.path()) from None
    data["reportTime"] = now if report_time is None else report_time
    for key in ("dischargeUnitId", "chargeUnitId"):
        _check_length(index, data.get(key), key, DEAL_UNIT_MAX_LENGTH)
    return DealRecord(
        community,
        cluster,
        deal_id,
        data["reportTime"],
        _stored_time(data, "createDateTime"),
        _stored_time(data, "deactivateDateTime"),
        data,
    )


def parse_deals(
    items: object, community_id: str, cluster_id: str, now: int | None = None
) -> list[DealRecord]:
    """Validate a posted deal array for the cluster ``community_id``/``cluster_id``.

    ``now`` (epoch seconds, default the current time) is the ``reportTime`` of deals that carry none.
    """
    report_now = int(time.time()) if now is None else now
    return [
        _deal_record(index, item, community_id, cluster_id, report_now)
        for index, item in enumerate(_objects(items))
    ]
