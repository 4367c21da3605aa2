"""What the ccc reports (apis-ecosystem §1.2, §1.3): unit data with ``datasetId`` = epoch ms, deals with the
saveworthy rule, ``communityId``/``clusterId`` and ``reportTime`` = epoch s; APIS local times become
ISO 8601 with offset as the Java ccc's ``http_post`` mode sends them."""

import json
from datetime import datetime
from zoneinfo import ZoneInfo

APIS_FORMAT = "%Y/%m/%d-%H:%M:%S"


def iso_time(value: str, zone: ZoneInfo) -> str:
    """``yyyy/MM/dd-HH:mm:ss[.fff]`` in ``zone`` → ISO 8601 with offset; anything else unchanged."""
    try:
        moment = datetime.strptime(value.split(".", 1)[0], APIS_FORMAT)
    except ValueError:
        return value
    return moment.replace(tzinfo=zone).isoformat()


def _convert(value: object, zone: ZoneInfo, is_time_key) -> object:
    if isinstance(value, dict):
        return {
            key: iso_time(item, zone)
            if isinstance(item, str) and is_time_key(key)
            else _convert(item, zone, is_time_key)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_convert(item, zone, is_time_key) for item in value]
    return value


def unit_data_report(collected: dict, dataset_id: int, zone: ZoneInfo) -> tuple[bytes, int]:
    """The unit-data array for one cycle and its number of units; non-object entries are dropped."""
    units = [
        {**_convert(item, zone, lambda key: key.endswith("time")), "datasetId": dataset_id}
        for item in collected.values()
        if isinstance(item, dict)
    ]
    return json.dumps(units).encode(), len(units)


def saveworthy(deal: dict) -> bool:
    """Activated (``activateDateTime`` present and not ``--``) or reset at least once."""
    return deal.get("activateDateTime") not in (None, "--") or isinstance(deal.get("reset"), list)


def deal_report(
    deals: list, community_id: str, cluster_id: str, report_time: int, zone: ZoneInfo
) -> tuple[bytes, int]:
    """The deal array of the saveworthy deals among ``deals`` and its length."""
    kept = [
        {
            **_convert(deal, zone, lambda key: key.endswith("DateTime") or key == "dateTime"),
            "communityId": community_id,
            "clusterId": cluster_id,
            "reportTime": report_time,
        }
        for deal in deals
        if isinstance(deal, dict) and saveworthy(deal)
    ]
    return json.dumps(kept).encode(), len(kept)
