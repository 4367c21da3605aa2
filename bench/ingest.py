"""Ingest throughput: unit records/s through ``apis serve`` from concurrent clients, against two baselines
measured in the same run on the same database: the same reports stored one transaction per report
(``parse_unit_report`` + ``store_unit_data``, i.e. the same parsing and database work without HTTP), and all
rows in one multi-row bulk insert in one transaction.

A fourth measurement bounds what any storage code could reach: the same number of requests carrying an
empty report (authenticated, read and answered, nothing to parse or store), counted as if each had carried
its records. Its ratio to the bulk insert is the ceiling of the HTTP ratio on this machine and server."""

import socket
import statistics
import threading
import time
from typing import BinaryIO
from urllib.parse import SplitResult, urlsplit

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


def _requests(address: SplitResult, token: str, bodies: list[bytes]) -> list[bytes]:
    """The complete HTTP/1.1 requests posting ``bodies``, built before the clock starts."""
    head = (
        f"POST /api/ccc/unitData HTTP/1.1\r\nHost: {address.netloc}\r\nAuthorization: Bearer {token}\r\n"
        "Content-Type: application/json\r\n"
    )
    return [f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body for body in bodies]


def _answer(reader: BinaryIO) -> tuple[int, bytes]:
    """Status and body of one HTTP/1.1 answer with a ``Content-Length`` (as gunicorn sends Django's)."""
    status = int(reader.readline().split(maxsplit=2)[1])
    length = 0
    while (line := reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return status, reader.read(length)


def _post_concurrently(url: str, token: str, bodies: list[list[bytes]]) -> float:
    """Each client posts its bodies one after another on one keep-alive connection; returns seconds from
    the common start to the last answer. Raises on any answer but 200.

    The clients share the two cores with the server, so they are lean: each sends requests built in
    advance and reads the status line, the headers and the body of each answer (a tenth of the CPU
    ``http.client`` spends per request, which would otherwise be taken from the server)."""
    errors: list[str] = []
    start = threading.Barrier(len(bodies) + 1)
    address = urlsplit(url)
    requests = [_requests(address, token, own) for own in bodies]

    def client(own: list[bytes]) -> None:
        start.wait()  # connect after it, so that a refused connection cannot leave the others waiting
        with socket.create_connection((address.hostname, address.port), timeout=120) as connection:
            reader = connection.makefile("rb")
            for request in own:
                connection.sendall(request)
                status, text = _answer(reader)
                if status != 200:
                    errors.append(f"HTTP {status}: {text[:120]!r}")
                    return

    threads = [threading.Thread(target=client, args=(own,)) for own in requests]
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


def _records(community: str, cluster: str, items: list[dict]) -> list:
    """The records the server makes of a report: its bodies are ASCII without escapes, so the server skips
    the text checks (``may_hold_unusable_values``), and so does this."""
    from apis.ingest.parse import parse_unit_report

    return parse_unit_report(items, community, cluster, value_checks=False).records


def _check_server_skips_value_checks(bodies: list[list[bytes]]) -> None:
    from apis.ingest.report import may_hold_unusable_values

    if any(may_hold_unusable_values(body) for client in bodies for body in client):
        raise RuntimeError("the server checks every value of these reports, the baselines would not")


def _per_report(community: str, cluster: str, reports: list[list[list[dict]]]) -> float:
    from apis.unit_data.store import store_unit_data

    began = time.perf_counter()
    for client in reports:
        for items in client:
            store_unit_data(_records(community, cluster, items))
    return time.perf_counter() - began


def _bulk(community: str, cluster: str, reports: list[list[list[dict]]]) -> float:
    from apis.unit_data.store import store_unit_data

    records = [r for client in reports for items in client for r in _records(community, cluster, items)]
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
    _check_server_skips_value_checks(bodies)
    records = CLIENTS * per_client * units
    empty = [[b"[]"] * per_client for _ in range(CLIENTS)]
    # name → (measurement, records it must leave stored)
    work = {
        "http": (lambda: _post_concurrently(url, token, bodies), records),
        "per_report": (lambda: _per_report(community, cluster, reports), records),
        "bulk": (lambda: _bulk(community, cluster, reports), records),
        "empty": (lambda: _post_concurrently(url, token, empty), 0),
    }
    seconds: dict[str, list[float]] = {name: [] for name in work}
    for _ in range(REPEATS):
        for name, (measure, expected) in work.items():
            _clear(community, cluster)
            seconds[name].append(measure())
            if (stored := _stored(community, cluster)) != expected:
                raise RuntimeError(f"{stored} records stored by {name}, not {expected}")
    _clear(community, cluster)
    # "empty": as many requests as "http", each counted as if it had carried its report's records.
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
        "ceiling_bulk": rates["empty"] / rates["bulk"],
    }
