"""``docs/benchmarks.md``: the machine, the command and one table per benchmark and database."""

import os
import platform
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

INGEST_TARGET = 0.25
P95_GROWTH_TARGET = 1.5
NAMES = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _ram_gib() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 1024**2
    return 0.0


def _os_name() -> str:
    for line in Path("/etc/os-release").read_text().splitlines():
        if line.startswith("PRETTY_NAME="):
            return f"{line.split('=', 1)[1].strip(chr(34))}, Linux {platform.release()}"
    return platform.platform()


def machine(postgres_version: str) -> list[str]:
    """The machine section, as markdown lines."""
    return [
        f"- CPU: {_cpu_model()}, {os.cpu_count()} cores; RAM {_ram_gib():.1f} GiB",
        f"- OS: {_os_name()}",
        f"- Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"PostgreSQL {postgres_version}",
    ]


def _missing(error: str) -> str:
    """A table cell for a figure that could not be measured."""
    return "not measured: " + error.replace("|", "\\|")


def _verdict(ok: bool) -> str:
    return "pass" if ok else "**FAIL**"


def _ingest(results: dict) -> list[str]:
    lines = [
        "| report | reports | records | HTTP, 8 clients (rec/s) | per-report transactions (rec/s) "
        "| one bulk insert (rec/s) | ratio to per-report | ratio to bulk | target ≥ 0.25 (vs bulk) "
        "| empty reports (req/s) | ceiling: ratio if storing were free |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|",
    ]
    for units, result in results.items():
        if "error" in result:
            lines.append(f"| {units} units | {_missing(result['error'])} |||||||| **FAIL** |||")
            continue
        rates = result["rates"]
        lines.append(
            f"| {units} units | {result['reports']:,} | {result['records']:,} | {rates['http']:,.0f} "
            f"| {rates['per_report']:,.0f} | {rates['bulk']:,.0f} | {result['ratio_per_report']:.2f} "
            f"| {result['ratio_bulk']:.2f} | {_verdict(result['ratio_bulk'] >= INGEST_TARGET)} "
            f"| {rates['empty'] / result['units']:,.0f} | {result['ceiling_bulk']:.2f} |"
        )
    return lines


def _ms(result: dict, key: str) -> str:
    return f"{result[key]:.1f}" if key in result else "–"


def _unit_queries(results: dict) -> list[str]:
    if "error" in results:
        return [_missing(results["error"])]
    small, big = results["small"], results["big"]
    lines = [
        f"| endpoint | p50 at {small['rows']:,} rows (ms) | p95 at {small['rows']:,} (ms) "
        f"| p50 at {big['rows']:,} (ms) | p95 at {big['rows']:,} (ms) | p95 ratio | target ≤ 1.5 |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for endpoint, before in small["endpoints"].items():
        after = big["endpoints"][endpoint]
        error = before.get("error") or after.get("error")
        if error:
            lines.append(f"| `{endpoint}` | {_missing(error)} |||||| **FAIL** |")
            continue
        ratio = after["p95_ms"] / before["p95_ms"]
        lines.append(
            f"| `{endpoint}` | {_ms(before, 'p50_ms')} | {_ms(before, 'p95_ms')} | {_ms(after, 'p50_ms')} "
            f"| {_ms(after, 'p95_ms')} | {ratio:.2f} | {_verdict(ratio <= P95_GROWTH_TARGET)} |"
        )
    lines += [
        "",
        f"{results['requests']} sequential requests per endpoint and size, one cluster of 4 units queried; "
        "loading took "
        f"{small['load_seconds']:,.0f} s and {big['load_seconds']:,.0f} s.",
    ]
    return lines


def _deal_queries(results: dict) -> list[str]:
    if "error" in results:
        return [_missing(results["error"])]
    lines = ["| endpoint | requests | p50 (ms) | p95 (ms) |", "|---|---:|---:|---:|"]
    for endpoint, result in results["endpoints"].items():
        if "error" in result:
            lines.append(f"| `{endpoint}` | {_missing(result['error'])} |||")
            continue
        lines.append(
            f"| `{endpoint}` | {result['requests']} | {_ms(result, 'p50_ms')} | {_ms(result, 'p95_ms')} |"
        )
    lines += ["", f"{results['deals']:,} deals in one cluster (loaded in {results['load_seconds']:,.0f} s)."]
    return lines


def render(machine_lines: list[str], command: str, seconds: float, runs: list[dict], notes: list[str]) -> str:
    """The whole document."""
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Benchmarks",
        "",
        f"Written by `bench/run.py` on {when} in {seconds / 60:.0f} min. Command: `{command}`",
        "",
        *machine_lines,
        "",
        *notes,
    ]
    for run in runs:
        name = NAMES[run["vendor"]]
        lines += [
            "",
            f"## {name}",
            "",
            f"### Ingest through `apis serve` ({run['workers']} workers)",
            "",
            *_ingest(run["ingest"]),
            "",
            "### `latestSet`, `liveList`, `unitIdList` (staff)",
            "",
            *_unit_queries(run["unit_queries"]),
            "",
            "### `sumOfCumulateAmountWhsByHour` (timezone `+09:00`) and `datetimeRange` (staff)",
            "",
            *_deal_queries(run["deal_queries"]),
        ]
        for title, markdown in run["sections"]:
            lines += ["", f"### {title}", "", markdown]
    return "\n".join(lines) + "\n"
