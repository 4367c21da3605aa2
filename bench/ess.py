"""ESS dataset service speed on PostgreSQL: a site database of rack rows generated inside the database, the
CSV download through ``apis serve`` against ``COPY … TO STDOUT`` of the same query and against the
specification's own approach (page-number pagination and ``csv.DictWriter``), the peak memory of the serving
worker, the latency of the first and of a deep JSON page, and concurrent resampled pages (which need a
bounded time range).

The site database ``apis_bench_ess`` is created on the server of the given URL and dropped at the end."""

import csv
import json
import os
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import httpx
import psycopg
from psycopg.rows import dict_row

from django_env import setup_django, standalone
from server import Server, failure

SITE_DATABASE = "apis_bench_ess"
ROWS, QUICK_ROWS = 5_000_000, 100_000
RACKS = 10  # one bank of 10 racks, one row per rack and second
ZONE = ZoneInfo("Asia/Seoul")
START = datetime(2022, 9, 1, tzinfo=ZONE)
WORKERS = 2
SPEC_PAGE_ROWS = 10_000
SPEC_MAX_PAGES, QUICK_SPEC_MAX_PAGES = 50, 10
JSON_REQUESTS, QUICK_JSON_REQUESTS = 50, 20
DEEP_NUMBER_REQUESTS = 3
RESAMPLED_CLIENTS = 4
COPY_TARGET, MEMORY_TARGET_MB, LATENCY_TARGET = 0.5, 150, 1.5
WORK = Path(__file__).resolve().parent.parent / "var" / "bench"
RACK_PATH = "/api/ess/operating-sites/1/banks/1/racks/"


def _log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] ess: {message}", file=sys.stderr, flush=True)


def _verdict(ok: bool) -> str:
    return "pass" if ok else "**FAIL**"


def _server_database(database_url: str, statement: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as connection:
        connection.execute(statement)


def _fill_site(site_url: str, rows: int) -> float:
    """The basic ``rack`` table with ``rows`` rows (one INSERT … SELECT over generate_series, in key
    order), vacuumed and analysed; returns the seconds it took."""
    from apis.ess.generate import columns, create_table

    values = [name for name, _ in columns("rack", "basic")[3:]]
    # Plausible magnitudes with three decimals, each column its own phase: SoC, SoH, current, voltage, …
    scale = {"SOC": (55, 35), "SOH": (94, 1), "CURRENT": (0, 120), "VOLTAGE": (3.4, 0.1), "GAP": (0.02, 0.01)}
    expressions = []
    for number, name in enumerate(values):
        base, amplitude = next((v for k, v in scale.items() if k in name), (25, 5))
        expressions.append(
            f"round(({base} + {amplitude} * sin(n / {RACKS} / 900.0 + mod(n, {RACKS}) + {number}))"
            f"::numeric, 3)::float8"
        )
    start = time.perf_counter()
    with psycopg.connect(site_url, autocommit=True) as connection:
        with connection.cursor() as cursor:
            create_table(cursor, "postgresql", "rack", "basic")
            cursor.execute(
                "INSERT INTO rack SELECT %s::timestamptz + (n / %s) * INTERVAL '1 second', 1, n %% %s + 1, "
                + ", ".join(expressions)
                + " FROM generate_series(0, %s) AS n",
                [START, RACKS, RACKS, rows - 1],
            )
        connection.execute("VACUUM ANALYZE rack")
        connection.execute("SELECT count(*) FROM rack")  # every page read once: all runs read a warm cache
    return time.perf_counter() - start


def _api_key() -> str:
    """A staff user with an ESS API key in the application database; the key."""
    from django.contrib.auth import get_user_model

    from apis.ess.models import ApiKey

    user, _ = get_user_model().objects.update_or_create(
        username="ess-bench", defaults={"is_staff": True, "is_active": True}
    )
    key = ApiKey(user=user, label="bench")
    secret = key.issue()
    key.save()
    return secret


def _time_params(end: datetime) -> dict[str, str]:
    return {"start-time": START.isoformat(), "end-time": end.isoformat()}


def _copy_rate(end: datetime) -> dict:
    """``COPY (the service's own download query) TO STDOUT WITH CSV`` read by psycopg: rows/s."""
    from django.http import QueryDict

    from apis.ess.params import parse_selection
    from apis.ess.query import build
    from apis.ess.sites import connect

    query_dict = QueryDict(mutable=True)
    query_dict.update(_time_params(end))
    selection = parse_selection("1", "rack", {}, query_dict, time_required=True)
    connection = connect(selection.site)
    sql = psycopg.ClientCursor(connection).mogrify(*build(selection).stream())
    lines = size = 0
    start = time.perf_counter()
    with (
        connection.cursor() as cursor,
        cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, HEADER)") as copy,
    ):
        for data in copy:
            lines += bytes(data).count(b"\n")
            size += len(data)
    seconds = time.perf_counter() - start
    connection.rollback()
    return {"rows": lines - 1, "seconds": seconds, "bytes": size}


def _spec_rate(site_url: str, end: datetime, max_pages: int) -> dict:
    """The specification's approach: ``count`` once, then LIMIT/OFFSET pages of dict rows written by
    ``csv.DictWriter``, for at most ``max_pages`` pages."""
    names = ["TIMESTAMP", "BANK_ID", "RACK_ID"]
    sink = open(os.devnull, "w", newline="")  # noqa: SIM115 — closed below
    rows = pages = 0
    start = time.perf_counter()
    with psycopg.connect(site_url, row_factory=dict_row) as connection, connection.cursor() as cursor:
        where = 'WHERE "TIMESTAMP" >= %s AND "TIMESTAMP" < %s'
        cursor.execute(f"SELECT count(*) AS n FROM rack {where}", [START, end])
        total = cursor.fetchone()["n"]
        writer = None
        while pages < max_pages and rows < total:
            cursor.execute(
                f"SELECT * FROM rack {where} ORDER BY {', '.join(f'{chr(34)}{n}{chr(34)}' for n in names)}"
                f" LIMIT {SPEC_PAGE_ROWS} OFFSET {pages * SPEC_PAGE_ROWS}",
                [START, end],
            )
            page = [{key.lower(): value for key, value in row.items()} for row in cursor.fetchall()]
            if writer is None:
                writer = csv.DictWriter(sink, fieldnames=list(page[0]))
                writer.writeheader()
            writer.writerows(page)
            rows += len(page)
            pages += 1
    sink.close()
    return {"rows": rows, "pages": pages, "total": total, "seconds": time.perf_counter() - start}


def _workers(server_pid: int) -> list[int]:
    """The gunicorn worker processes: the children of the server process."""
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == server_pid:
                children.append(int(entry.name))
    return children


def _status_mb(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def _download(client: httpx.Client, end: datetime, encoding: str) -> dict:
    """The whole range as CSV through HTTP, read as it arrives; rows (or where the stream broke) and time."""
    lines = size = 0
    start = time.perf_counter()
    headers = {"Accept-Encoding": encoding}
    try:
        with client.stream(
            "GET", "/api/ess/download/operating-sites/1/rack/", params=_time_params(end), headers=headers
        ) as answer:
            if answer.status_code != 200:
                answer.read()
                return {"error": failure(answer)}
            for data in answer.iter_raw():
                size += len(data)
                if encoding == "identity":
                    lines += data.count(b"\n")
    except httpx.HTTPError as exc:
        seconds = time.perf_counter() - start
        return {"error": f"stream broken after {seconds:,.0f} s, {size / 1e6:,.0f} MB: {type(exc).__name__}"}
    return {"rows": lines - 1, "seconds": time.perf_counter() - start, "bytes": size}


def _latencies(client: httpx.Client, url: str, params: dict, requests: int) -> dict:
    """p50/p95 of ``requests`` sequential GETs, each checked to answer a full page."""
    times = []
    for _ in range(requests):
        start = time.perf_counter()
        answer = client.get(url, params=params)
        times.append((time.perf_counter() - start) * 1000)
        if answer.status_code != 200 or not answer.json()["results"]:
            return {"error": failure(answer)}
    times.sort()
    return {
        "p50_ms": statistics.median(times),
        "p95_ms": times[max(0, round(0.95 * len(times)) - 1)],
        "requests": requests,
    }


def _json_pages(client: httpx.Client, end: datetime, rows: int, quick: bool) -> dict:
    """First page and a page near the end, by cursor (keyset) and, for contrast, by page number."""
    from apis.ess.paging import encode_cursor

    requests = QUICK_JSON_REQUESTS if quick else JSON_REQUESTS
    near_end = end - timedelta(seconds=60)
    deep = encode_cursor("n", [near_end.isoformat(), 1, 1])
    for _ in range(4 * WORKERS):  # warm-up of every worker: schema discovery, site connection
        client.get(RACK_PATH, params={"cursor": ""})
    last_page = rows // 100
    return {
        "cursor, first page": _latencies(client, RACK_PATH, {"cursor": ""}, requests),
        f"cursor, deep (row ≈ {rows - 600:,})": _latencies(client, RACK_PATH, {"cursor": deep}, requests),
        "page number, first page": _latencies(client, RACK_PATH, {"page": "1"}, DEEP_NUMBER_REQUESTS),
        f"page number, page {last_page:,}": _latencies(
            client, RACK_PATH, {"page": str(last_page)}, DEEP_NUMBER_REQUESTS
        ),
    }


def _resampled(client: httpx.Client, end: datetime) -> dict:
    """``RESAMPLED_CLIENTS`` concurrent first pages of ``interval=1min`` over at most a day of the data,
    and the same without a time range (refused: resampling needs a bounded range)."""
    span_end = min(end, START + timedelta(days=1))
    params = {"interval": "1min", "agg": "avg", **_time_params(span_end)}

    def one(_: int) -> tuple[int, float]:
        start = time.perf_counter()
        answer = client.get(RACK_PATH, params=params)
        return answer.status_code, time.perf_counter() - start

    start = time.perf_counter()
    with ThreadPoolExecutor(RESAMPLED_CLIENTS) as pool:
        answers = list(pool.map(one, range(RESAMPLED_CLIENTS)))
    unbounded = client.get(RACK_PATH, params={"interval": "1min"})
    return {
        "raw_rows": int((span_end - START).total_seconds()) * RACKS,
        "statuses": sorted({status for status, _ in answers}),
        "slowest": max(seconds for _, seconds in answers),
        "wall": time.perf_counter() - start,
        "unbounded": unbounded.status_code,
    }


def _serve(site_url: str, database_url: str, end: datetime, rows: int, quick: bool) -> dict:
    """Downloads, memory and JSON pages through ``apis serve``."""
    env = dict(os.environ)
    env.update(
        APIS_DATABASE_URL=database_url,
        APIS_ESS_SITES=json.dumps({"1": {"name": "bench site", "url": site_url}}),
        APIS_ESS_THROTTLE_RATE="100000/min",
        APIS_ALLOWED_HOSTS="127.0.0.1",
        APIS_DEBUG="",
    )
    WORK.mkdir(parents=True, exist_ok=True)
    result: dict = {}
    with Server(env, WORKERS, WORK / "ess-server.log") as server:
        headers = {"Authorization": f"Api-Key {_api_key()}"}
        with httpx.Client(base_url=server.url, headers=headers, timeout=600) as client:
            client.get(RACK_PATH, params={"cursor": "", "page_size": "1"})
            workers = _workers(server.process.pid)
            result["rss_before_mb"] = max(_status_mb(pid, "VmRSS") for pid in workers)
            _log("CSV download through HTTP …")
            result["http"] = _download(client, end, "identity")
            result["peak_mb"] = max(_status_mb(pid, "VmHWM") for pid in workers)
            _log("gzip download …")
            result["gzip"] = _download(client, end, "gzip")
            result["peak_gzip_mb"] = max(_status_mb(pid, "VmHWM") for pid in workers)
            _log("JSON pages …")
            result["pages"] = _json_pages(client, end, rows, quick)
            _log("resampled pages …")
            result["resampled"] = _resampled(client, end)
    return result


def _rate(result: dict) -> float:
    return result["rows"] / result["seconds"]


def _download_lines(copy: dict, spec: dict, served: dict) -> list[str]:
    http, gzipped = served["http"], served["gzip"]
    lines = [
        "| CSV of the whole range | rows | MB | seconds | rows/s | ratio of HTTP to it | target |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    copy_rate = _rate(copy)
    if "error" in http:
        lines.append(f"| `apis serve` download (HTTP) | not measured: {http['error']} |||||| **FAIL** |")
    else:
        lines.append(
            f"| `apis serve` download (HTTP) | {http['rows']:,} | {http['bytes'] / 1e6:,.0f} "
            f"| {http['seconds']:,.1f} | {_rate(http):,.0f} | | |"
        )
    if "error" not in gzipped and "error" not in http:
        lines.append(
            f"| same, `Accept-Encoding: gzip` | {http['rows']:,} | {gzipped['bytes'] / 1e6:,.0f} "
            f"| {gzipped['seconds']:,.1f} | {http['rows'] / gzipped['seconds']:,.0f} | | |"
        )
    elif "error" in gzipped:
        lines.append(f"| same, `Accept-Encoding: gzip` | not measured: {gzipped['error']} |||||||")
    ratio_copy = _rate(http) / copy_rate if "error" not in http else 0.0
    lines.append(
        f"| `COPY (same query) TO STDOUT` via psycopg | {copy['rows']:,} | {copy['bytes'] / 1e6:,.0f} "
        f"| {copy['seconds']:,.1f} | {copy_rate:,.0f} | {ratio_copy:.2f} "
        f"| ≥ {COPY_TARGET}: {_verdict(ratio_copy >= COPY_TARGET)} |"
    )
    ratio_spec = _rate(http) / _rate(spec) if "error" not in http else 0.0
    lines.append(
        f"| spec's approach: pages of {SPEC_PAGE_ROWS:,} (OFFSET) + `csv.DictWriter` "
        f"(first {spec['pages']} pages only) | {spec['rows']:,} | | {spec['seconds']:,.1f} "
        f"| {_rate(spec):,.0f} | {ratio_spec:.1f} | |"
    )
    return lines


def _memory_lines(served: dict) -> list[str]:
    peak = served["peak_mb"]
    return [
        "| worker memory (VmRSS before, VmHWM after) | before (MB) | peak, plain CSV (MB) "
        f"| peak after gzip too (MB) | target < {MEMORY_TARGET_MB} MB |",
        "|---|---:|---:|---:|---|",
        f"| largest of the {WORKERS} gunicorn workers | {served['rss_before_mb']:,.0f} | {peak:,.0f} "
        f"| {served['peak_gzip_mb']:,.0f} "
        f"| {_verdict(peak < MEMORY_TARGET_MB and 'error' not in served['http'])} |",
    ]


def _latency_lines(pages: dict) -> list[str]:
    lines = ["| JSON page (100 rows) | requests | p50 (ms) | p95 (ms) |", "|---|---:|---:|---:|"]
    for name, result in pages.items():
        if "error" in result:
            lines.append(f"| {name} | not measured: {result['error']} |||")
        else:
            lines.append(
                f"| {name} | {result['requests']} | {result['p50_ms']:,.1f} | {result['p95_ms']:,.1f} |"
            )
    first, deep = (pages[name] for name in list(pages)[:2])
    if "error" in first or "error" in deep:
        return [*lines, "", "Cursor ratio: **FAIL** (not measured)."]
    ratio = deep["p95_ms"] / first["p95_ms"]
    return [
        *lines,
        "",
        f"Cursor p95 deep / first: {ratio:.2f} "
        f"(target ≤ {LATENCY_TARGET}: {_verdict(ratio <= LATENCY_TARGET)}).",
    ]


def _resampled_lines(result: dict) -> list[str]:
    return [
        f"| {RESAMPLED_CLIENTS} concurrent `interval=1min` first pages | raw rows aggregated | statuses "
        "| slowest (s) | without a time range |",
        "|---|---:|---|---:|---|",
        f"| `apis serve` | {result['raw_rows']:,} | {', '.join(map(str, result['statuses']))} "
        f"| {result['slowest']:,.2f} | {result['unbounded']} (resampling needs a bounded range) |",
    ]


def run_benchmark(database_url: str, quick: bool = False) -> str:
    """Measure and return a markdown section."""
    rows = QUICK_ROWS if quick else ROWS
    site_url = urlsplit(database_url)._replace(path=f"/{SITE_DATABASE}").geturl()
    os.environ["APIS_ESS_SITES"] = json.dumps({"1": {"name": "bench site", "url": site_url}})
    setup_django(database_url)
    _server_database(database_url, f"DROP DATABASE IF EXISTS {SITE_DATABASE} WITH (FORCE)")
    _server_database(database_url, f"CREATE DATABASE {SITE_DATABASE}")
    try:
        _log(f"generating {rows:,} rack rows …")
        fill_seconds = _fill_site(site_url, rows)
        end = START + timedelta(seconds=rows // RACKS)
        _log("COPY (twice, the faster counts) …")
        copy = min((_copy_rate(end) for _ in range(2)), key=lambda result: result["seconds"])
        _log("spec's approach …")
        spec = _spec_rate(site_url, end, QUICK_SPEC_MAX_PAGES if quick else SPEC_MAX_PAGES)
        served = _serve(site_url, database_url, end, rows, quick)
        all_pages = -(-spec["total"] // SPEC_PAGE_ROWS)
    finally:
        from apis.ess.sites import discard, sites

        for site in sites().values():
            discard(site)
        _server_database(database_url, f"DROP DATABASE IF EXISTS {SITE_DATABASE} WITH (FORCE)")
    return "\n".join(
        [
            *_download_lines(copy, spec, served),
            "",
            *_memory_lines(served),
            "",
            *_latency_lines(served["pages"]),
            "",
            *_resampled_lines(served["resampled"]),
            "",
            f"Site database: {rows:,} `rack` rows (1 bank × {RACKS} racks, one row a second, "
            "13 value columns) generated inside PostgreSQL by one `INSERT … SELECT` over `generate_series` "
            f"({fill_seconds:,.0f} s with `VACUUM ANALYZE`). `apis serve` with {WORKERS} workers, API-key "
            "authentication; the client reads each download as it arrives and counts its lines. COPY runs "
            "the service's own download query in the benchmark process (the faster of two runs); the "
            f"spec's approach counts the rows, then reads `LIMIT {SPEC_PAGE_ROWS:,} OFFSET k` pages as dicts "
            f"and writes them with `csv.DictWriter`, stopped after {spec['pages']} of {all_pages:,} "
            "pages (its rate only falls with depth, so the figure flatters it). Memory: VmHWM (peak "
            "resident set) of the gunicorn workers from `/proc`. JSON pages: sequential requests, the deep "
            "cursor made for a time 60 s before the end.",
        ]
    )


if __name__ == "__main__":
    standalone(run_benchmark, __doc__)
