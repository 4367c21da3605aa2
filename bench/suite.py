"""The core benchmarks on one database (the one ``APIS_DATABASE_URL`` names, already migrated): ingest,
unit-data reads at two table sizes, deal aggregates. Run by ``bench/run.py``; writes its figures as JSON."""

import argparse
import json
import os
import secrets
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "apis.settings")
import django

django.setup()

from django.db import connection  # noqa: E402

import load  # noqa: E402
from ingest import run_ingest  # noqa: E402
from queries import DEAL_ENDPOINTS, UNIT_DATA_ENDPOINTS, measure_all  # noqa: E402
from server import Server, staff_session  # noqa: E402

WORKERS = 2 * (os.cpu_count() or 1)
INGEST_CLUSTER = "ingest"
DEAL_CLUSTER = "d0"
QUERY_CLUSTER = load.cluster_id(0)
DEAL_EVERY = 40  # cycles between two deals of a generated cluster
LOAD_CHUNK = 25  # clusters per INSERT statement
LIVE_DEALS = 3
DEAL_SPACING_MS = 31_000  # 1M deals over about a year


@dataclass(frozen=True)
class Sizes:
    """How much work each benchmark does."""

    ingest: dict[int, int]  # units per report → reports per client
    small: tuple[int, int]  # clusters, cycles (× 4 units = unit-data rows)
    big: tuple[int, int]
    unit_requests: int
    deals: int
    deal_requests: int


FULL = Sizes({4: 150, 100: 15}, (25, 1_000), (250, 10_000), 200, 1_000_000, 30)
QUICK = Sizes({4: 10, 100: 2}, (5, 100), (10, 1_000), 20, 20_000, 5)


def _log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {connection.vendor}: {message}", file=sys.stderr, flush=True)


def _registry() -> tuple[str, str, str]:
    """The bench community and clusters, a staff user and an ingest token; returns (user, password, token)."""
    from apis.community.models import Cluster, Community
    from apis.core.models import User
    from apis.ingest.models import IngestToken

    community = Community.objects.create(code=load.COMMUNITY, name="Benchmark")
    clusters = {
        code: Cluster.objects.create(community=community, code=code, name=code)
        for code in (INGEST_CLUSTER, QUERY_CLUSTER, DEAL_CLUSTER)
    }
    password = secrets.token_urlsafe(16)
    User.objects.create_user("bench-staff", password=password, is_staff=True)
    _, token = IngestToken.issue(clusters[INGEST_CLUSTER], label="benchmark")
    return "bench-staff", password, token


def _load(clusters: range, cycles: range, first_ms: int) -> int:
    """Unit data, ReportedUnit rows and one deal per ``DEAL_EVERY`` cycles; ``LOAD_CHUNK`` clusters a time."""
    rows = 0
    step = load.STEP_MS
    for start in range(0, len(clusters), LOAD_CHUNK):
        chunk = clusters[start : start + LOAD_CHUNK]
        rows += load.insert_unit_data(chunk, cycles, first_ms)
        for index in chunk:
            load.insert_deals(
                load.cluster_id(index),
                len(cycles) // DEAL_EVERY,
                first_ms + cycles.start * step,
                DEAL_EVERY * step,
                first=cycles.start // DEAL_EVERY,
            )
        load.remember_units(chunk, first_ms + (cycles.stop - 1) * step)
        _log(f"loaded clusters {chunk.start}…{chunk.stop - 1}, cycles {cycles.start}…{cycles.stop - 1}")
    return rows


def _make_live(cluster: str) -> None:
    """``LIVE_DEALS`` deals of ``cluster`` not deactivated and reported just now."""
    from apis.deal.models import Deal

    now = int(time.time())
    for index in range(LIVE_DEALS):
        deal_id = f"{cluster}-live{index}"
        Deal.objects.update_or_create(
            community_id=load.COMMUNITY,
            cluster_id=cluster,
            deal_id=deal_id,
            defaults={
                "report_time": now,
                "discharge_unit_id": "E0",
                "charge_unit_id": "E1",
                "cumulate_amount_wh": 1.0,
                "data": {
                    "dealId": deal_id,
                    "communityId": load.COMMUNITY,
                    "clusterId": cluster,
                    "reportTime": now,
                },
            },
        )


def _unit_queries(client, sizes: Sizes) -> dict:
    params = {"communityId": load.COMMUNITY, "clusterId": QUERY_CLUSTER}
    (small_clusters, small_cycles), (big_clusters, big_cycles) = sizes.small, sizes.big
    first_ms = (int(time.time() * 1000) // load.STEP_MS - (big_cycles - 1)) * load.STEP_MS
    result: dict = {"requests": sizes.unit_requests}
    began = time.perf_counter()
    rows = _load(range(small_clusters), range(small_cycles), first_ms)
    load.analyze()
    result["small"] = {"rows": rows, "load_seconds": time.perf_counter() - began}
    _make_live(QUERY_CLUSTER)
    result["small"]["endpoints"] = measure_all(client, UNIT_DATA_ENDPOINTS, params, sizes.unit_requests)
    _log(f"measured at {rows:,} rows")
    began = time.perf_counter()
    rows += _load(range(small_clusters), range(small_cycles, big_cycles), first_ms)
    rows += _load(range(small_clusters, big_clusters), range(big_cycles), first_ms)
    load.analyze()
    result["big"] = {"rows": rows, "load_seconds": time.perf_counter() - began}
    _make_live(QUERY_CLUSTER)
    result["big"]["endpoints"] = measure_all(client, UNIT_DATA_ENDPOINTS, params, sizes.unit_requests)
    _log(f"measured at {rows:,} rows")
    return result


def _deal_queries(client, sizes: Sizes) -> dict:
    began = time.perf_counter()
    year_ago_ms = (int(time.time()) - 365 * 86_400) * 1000
    load.insert_deals(DEAL_CLUSTER, sizes.deals, year_ago_ms, DEAL_SPACING_MS)
    load.analyze()
    load_seconds = time.perf_counter() - began
    params = {"communityId": load.COMMUNITY, "clusterId": DEAL_CLUSTER}
    endpoints = measure_all(client, DEAL_ENDPOINTS, params, sizes.deal_requests)
    return {"deals": sizes.deals, "load_seconds": load_seconds, "endpoints": endpoints}


def _section(name: str, work: Callable[[], dict]) -> dict:
    """Run one benchmark; a failure is reported in the results instead of ending the run."""
    _log(f"{name} …")
    try:
        return work()
    except Exception as exc:
        traceback.print_exc()
        return {"error": f"{type(exc).__name__}: {exc}"[:300]}


def main() -> None:
    """Parse the arguments, run the benchmarks against one server, write the JSON results."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--result", type=Path, required=True, help="JSON file to write")
    parser.add_argument("--quick", action="store_true", help="small sizes, to try the script out")
    args = parser.parse_args()
    sizes = QUICK if args.quick else FULL
    username, password, token = _registry()
    log = args.result.with_suffix(".serve.log")
    results: dict = {"vendor": connection.vendor, "workers": WORKERS}
    with Server(dict(os.environ), WORKERS, log) as server:
        results["ingest"] = {
            str(units): _section(
                f"ingest {units}-unit reports",
                lambda units=units, per_client=per_client: run_ingest(
                    server.url, token, load.COMMUNITY, INGEST_CLUSTER, units, per_client
                ),
            )
            for units, per_client in sizes.ingest.items()
        }
        client = staff_session(server.url, username, password)
        results["unit_queries"] = _section("unit-data reads", lambda: _unit_queries(client, sizes))
        results["deal_queries"] = _section("deal aggregates", lambda: _deal_queries(client, sizes))
    args.result.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
