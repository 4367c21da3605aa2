"""Unit-data reports as the Java apis-ccc posts them (the test payload shape), with unique datasetIds."""

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.payloads import unit_doc

STEP_MS = 30_000
FIRST_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z


def report(community: str, cluster: str, units: int, dataset_id: int, zone: str) -> list[dict]:
    """One reporting cycle: ``units`` unit documents sharing ``dataset_id``, times in APIS local time."""
    local = datetime.fromtimestamp(dataset_id / 1000, UTC).astimezone(ZoneInfo(zone))
    time = local.strftime("%Y/%m/%d-%H:%M:%S")
    return [
        unit_doc(f"U{u:03d}", time, dataset_id, community=community, cluster=cluster) for u in range(units)
    ]


def client_reports(
    community: str, cluster: str, units: int, clients: int, per_client: int, phase: int, zone: str
) -> list[list[list[dict]]]:
    """``per_client`` reports for each of ``clients``; every (phase, client, report) has its own datasetId."""
    return [
        [
            report(
                community, cluster, units, FIRST_MS + ((phase * clients + c) * per_client + r) * STEP_MS, zone
            )
            for r in range(per_client)
        ]
        for c in range(clients)
    ]


def encoded(reports: list[list[list[dict]]]) -> list[list[bytes]]:
    """The request bodies of ``client_reports``."""
    return [[json.dumps(items).encode() for items in client] for client in reports]
