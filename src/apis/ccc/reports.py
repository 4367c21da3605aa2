"""What the ccc reports (apis-ecosystem §1.2, §1.3): unit data with ``datasetId`` = epoch ms, deals with
``communityId``/``clusterId`` and ``reportTime`` = epoch s; APIS local times become ISO 8601 with offset as
the Java ccc's ``http_post`` mode sends them.

Before anything is spooled, every unit and every deal is checked for what the Service Center would refuse
(missing ids, another cluster's unit, a time it cannot read, NUL characters): such an item is left out with a
reason, so that it cannot cost the good items reported with it."""

import copy
import json
import re
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from apis.ccc.config import ID_MAX_LENGTH
from apis.core.jsonlimits import nul_path

APIS_FORMAT = "%Y/%m/%d-%H:%M:%S"
_APIS_TIME = re.compile(r"^\d{4}/\d{2}/\d{2}-\d{2}:\d{2}:\d{2}(?:\.\d*)?$")
PLACEHOLDERS = ("--", "")
# The Service Center's supported range (apis.core.timeparse), less a day for any offset.
FIRST_YEAR, LAST_YEAR = 1900, 9998


def local_time(value: object) -> datetime | None:
    """An APIS local time ``yyyy/MM/dd-HH:mm:ss[.fff]`` as a naive datetime; ``None`` for null and ``--``;
    ``ValueError`` for anything else, an impossible date or a year the Service Center does not take."""
    if value is None or value in PLACEHOLDERS:
        return None
    if not isinstance(value, str) or not _APIS_TIME.match(value):
        raise ValueError(f"not an APIS time: {str(value)[:40]!r}")
    try:
        moment = datetime.strptime(value.split(".", 1)[0], APIS_FORMAT)
    except ValueError:
        raise ValueError(f"not a date: {value[:40]!r}") from None
    if not FIRST_YEAR <= moment.year <= LAST_YEAR:
        raise ValueError(f"year out of range: {value!r}")
    return moment


def iso_time(value: str, zone: ZoneInfo) -> str:
    """``yyyy/MM/dd-HH:mm:ss[.fff]`` in ``zone`` → ISO 8601 with offset; anything else unchanged."""
    try:
        moment = local_time(value)
    except ValueError:
        return value
    return value if moment is None else moment.replace(tzinfo=zone).isoformat()


def is_deal_time_key(key: str) -> bool:
    return key.endswith("DateTime") or key == "dateTime"


def _localize(value: object, zone: ZoneInfo, is_time_key: Callable[[str], bool]) -> None:
    """Turn the APIS times in ``value`` (strings under keys ``is_time_key`` takes) into ISO 8601 in place."""
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, str):
                if is_time_key(key):
                    value[key] = iso_time(item, zone)
            elif isinstance(item, dict | list):
                _localize(item, zone, is_time_key)
    elif isinstance(value, list):
        for item in value:
            _localize(item, zone, is_time_key)


def _is_unit_time_key(key: str) -> bool:
    return key.endswith("time")


def _id_problem(document: dict, key: str, path: str) -> str | None:
    value = document.get(key)
    if not isinstance(value, str) or not value:
        return f"missing field {path}"
    if len(value) > ID_MAX_LENGTH:
        return f"field {path} longer than {ID_MAX_LENGTH} characters"
    return None


def unit_problem(item: object, community_id: str, cluster_id: str, may_hold_nul: bool = True) -> str | None:
    """Why the Service Center would refuse this unit record, or ``None``. ``may_hold_nul`` false skips the
    search for NUL characters (the JSON text had no ``\\u0000``, the only way to write one)."""
    if not isinstance(item, dict):
        return "not a JSON object"
    oesunit = item.get("oesunit")
    if not isinstance(oesunit, dict):
        return "missing field oesunit"
    for key in ("communityId", "clusterId", "id"):
        if problem := _id_problem(oesunit, key, f"oesunit.{key}"):
            return problem
    if (oesunit["communityId"], oesunit["clusterId"]) != (community_id, cluster_id):
        return f"unit of {oesunit['communityId']}/{oesunit['clusterId']}, not of this ccc's cluster"
    try:
        if local_time(item.get("time")) is None:
            return "missing field time"
    except ValueError as exc:
        return f"field time: {exc}"
    if may_hold_nul and (where := nul_path(item)):
        return f"NUL character in {where}"
    return None


def unit_data_report(units: list[dict], dataset_id: int, zone: ZoneInfo) -> bytes:
    """The unit-data array of one cycle: every unit gets the cycle's ``datasetId`` and ISO times (``units``
    are changed in place: they are the cycle's own copy)."""
    for item in units:
        _localize(item, zone, _is_unit_time_key)
        item["datasetId"] = dataset_id
    return json.dumps(units).encode()


def saveworthy(deal: dict) -> bool:
    """Activated (``activateDateTime`` present and not ``--``) or reset at least once."""
    return deal.get("activateDateTime") not in (None, "--") or isinstance(deal.get("reset"), list)


def deal_times(value: object) -> list[datetime]:
    """Every ``*DateTime``/``dateTime`` of a deal (at any depth) that is a time; ``ValueError`` for one that
    is neither a time nor a placeholder."""
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            if is_deal_time_key(key):
                moment = local_time(item)
                if moment is not None:
                    found.append(moment)
            else:
                found += deal_times(item)
    elif isinstance(value, list):
        for item in value:
            found += deal_times(item)
    return found


def deal_problem(deal: object) -> str | None:
    """Why the Service Center would refuse this deal, or ``None``."""
    if not isinstance(deal, dict):
        return "not a JSON object"
    if problem := _id_problem(deal, "dealId", "dealId"):
        return problem
    for key in ("chargeUnitId", "dischargeUnitId"):
        if isinstance(deal.get(key), str) and len(deal[key]) > ID_MAX_LENGTH:
            return f"field {key} longer than {ID_MAX_LENGTH} characters"
    try:
        deal_times(deal)
    except ValueError as exc:
        return str(exc)
    if where := nul_path(deal):
        return f"NUL character in {where}"
    return None


def deal_report(
    deals: list[dict], community_id: str, cluster_id: str, report_time: int, zone: ZoneInfo
) -> bytes:
    """The deal array of ``deals``, each with the ccc's ids, ``reportTime`` and ISO times (``deals`` are
    left as they are)."""
    converted = copy.deepcopy(deals)
    for deal in converted:
        _localize(deal, zone, is_deal_time_key)
        deal.update(communityId=community_id, clusterId=cluster_id, reportTime=report_time)
    return json.dumps(converted).encode()
