"""Ingest throughput: unit records/s through ``apis serve`` from concurrent clients, against two baselines
measured in the same run on the same database: the same reports stored one transaction per report
(``parse_unit_data`` + ``store_unit_data``, i.e. the same database work without HTTP), and all rows in one
multi-row bulk insert in one transaction."""

import http.client
import statistics
import threading
import time
from urllib.parse import urlsplit

from django.conf import settings

from data import client_reports, encoded

CLIENTS = 8
REPEATS = 3


def _clear(community: str, cluster: str) -> None:
    from apis.unit_data.models import ReportedUnit, UnitData

    for model in (UnitData, ReportedUnit):
        model.objects.filter(community_id=community, cluster_id=cluster).delete()


def _stored(community: str, cluster: str) -> int:
    from apis.unit_data.models import UnitData

    return UnitData.objects.filter(community_id=community, cluster_id=cluster).count()


def _post_concurrently(url: str, token: str, bodies: list[list[bytes]]) -> float:
    """Each client posts its bodies one after another; returns seconds from the common start to the last
    answer. Raises on any answer but 200.

    The clients use the standard library's ``http.client``: they share the two cores with the server, and
    it costs a third of httpx's CPU per request, which would otherwise be taken from the server."""
    errors: list[str] = []
    start = threading.Barrier(len(bodies) + 1)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    address = urlsplit(url)

    def client(own: list[bytes]) -> None:
        connection = http.client.HTTPConnection(address.hostname, address.port, timeout=120)
        start.wait()
        try:
            for body in own:
                connection.request("POST", "/api/ccc/unitData", body=body, headers=headers)
                answer = connection.getresponse()
                text = answer.read()
                if answer.status != 200:
                    errors.append(f"HTTP {answer.status}: {text[:120]!r}")
                    return
        finally:
            connection.close()

    threads = [threading.Thread(target=client, args=(own,)) for own in bodies]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    if errors:
        raise RuntimeError(f"/api/ccc/unitData answered {errors[0]}")
    return elapsed


def _per_report(community: str, cluster: str, reports: list[list[list[dict]]]) -> float:
    from apis.ingest.parse import parse_unit_data
    from apis.unit_data.store import store_unit_data

    began = time.perf_counter()
    for client in reports:
        for items in client:
            store_unit_data(parse_unit_data(items, community, cluster))
    return time.perf_counter() - began


def _bulk(community: str, cluster: str, reports: list[list[list[dict]]]) -> float:
    from apis.ingest.parse import parse_unit_data
    from apis.unit_data.store import store_unit_data

    records = [
        r for client in reports for items in client for r in parse_unit_data(items, community, cluster)
    ]
    began = time.perf_counter()
    store_unit_data(records)
    return time.perf_counter() - began


def run_ingest(url: str, token: str, community: str, cluster: str, units: int, per_client: int) -> dict:
    """Measure one report size; returns records, the three rates (records/s, each the median of
    ``REPEATS`` interleaved rounds, so that a slow moment of the shared machine does not decide a ratio) and
    the two ratios."""
    zone = settings.APIS_TIME_ZONE
    _clear(community, cluster)
    _post_concurrently(url, token, encoded(client_reports(community, cluster, units, CLIENTS, 1, 0, zone)))
    reports = client_reports(community, cluster, units, CLIENTS, per_client, 1, zone)
    bodies = encoded(reports)
    records = CLIENTS * per_client * units
    work = {
        "http": lambda: _post_concurrently(url, token, bodies),
        "per_report": lambda: _per_report(community, cluster, reports),
        "bulk": lambda: _bulk(community, cluster, reports),
    }
    seconds: dict[str, list[float]] = {name: [] for name in work}
    for _ in range(REPEATS):
        for name, measure in work.items():
            _clear(community, cluster)
            seconds[name].append(measure())
            if (stored := _stored(community, cluster)) != records:
                raise RuntimeError(f"{stored} of {records} records stored by {name}")
    _clear(community, cluster)
    rates = {name: records / statistics.median(values) for name, values in seconds.items()}
    return {
        "units": units,
        "clients": CLIENTS,
        "reports": CLIENTS * per_client,
        "records": records,
        "repeats": REPEATS,
        "rates": rates,
        "ratio_per_report": rates["http"] / rates["per_report"],
        "ratio_bulk": rates["http"] / rates["bulk"],
    }
