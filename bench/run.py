"""``make bench``: the speed targets of every issue on PostgreSQL and on SQLite, written to
docs/benchmarks.md.

Each database is created fresh for the run (PostgreSQL ``apis_bench`` on the given server, SQLite
``var/bench/apis-bench.sqlite3``) and migrated with ``apis manage migrate``. ``bench/suite.py`` measures the
core API in its own process (it starts ``apis serve`` on a free loopback port and stops it); then each
standalone benchmark of ``SECTIONS`` runs in its own process against the same database and prints a markdown
section. The database is dropped at the end. Traffic goes only to 127.0.0.1.
"""

import argparse
import json
import os
import secrets
import shlex
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import psycopg

import report

ROOT = Path(__file__).resolve().parent.parent
APIS = str(Path(sys.executable).with_name("apis"))
BENCH_DATABASE = "apis_bench"
WORK = ROOT / "var" / "bench"

# (title, script under bench/, databases it runs on): each script prints one markdown section.
SECTIONS = [
    ("Log collector (`apis logcollector`, UDP on loopback)", "logcollector.py", ("postgresql", "sqlite")),
    ("Monitoring pass (`apis jobs`)", "monitoring.py", ("postgresql", "sqlite")),
    ("Downtime extraction", "downtime.py", ("postgresql", "sqlite")),
    ("apis-ccc (emulator → `apis ccc` → `apis serve`, 100 units)", "ccc.py", ("postgresql", "sqlite")),
    ("MongoDB importer (`import_mongodump`)", "importer.py", ("postgresql", "sqlite")),
    ("ESS dataset downloads", "ess.py", ("postgresql",)),
]

NOTES = [
    "How it is measured:",
    "",
    "- **Ingest**: 8 client threads each post a fixed number of reports (documents of the apis-ccc shape, "
    "every report its own `datasetId`) to `POST /api/ccc/unitData` with a Bearer token, one after another "
    "on a keep-alive connection (lean clients: requests built in advance, answers read from the socket, so "
    "that they take little of the CPU the server shares with them); "
    "rate = records stored / time from the common start to the last answer (after a warm-up round). "
    "Baselines on the same database in the same run, without HTTP: *per-report transactions* = the same "
    "reports stored one by one by one process (`parse_unit_report` + `store_unit_data`, one transaction "
    "each, parsing included); *one bulk insert* = all rows already parsed, stored by one "
    "`store_unit_data` call "
    "(multi-row INSERTs, one transaction). The three are measured in 3 interleaved rounds and each rate "
    "is the median round. The target (issue 2) is the ratio to the bulk insert. *Empty reports*: the same "
    "number of requests carrying `[]` (authenticated, read and answered, nothing parsed or stored); counted "
    "as if each carried its report's records, their ratio to the bulk insert is the ceiling of the HTTP "
    "ratio that this server reaches on this machine whatever the parsing and storing cost.",
    "- **Reads**: one logged-in staff session sends sequential GETs; unit data is generated inside the "
    "database (clusters × 4 units × 30-second cycles, one deal per 40 cycles, `ReportedUnit` rows, 3 live "
    "deals in the queried cluster), first the small table, measured, then grown to the large one and "
    "measured again; statistics refreshed after each load (`ANALYZE`).",
    "- The clients, the server workers and the database share the same machine.",
]


def _postgres_url(server_url: str, name: str) -> str:
    return urlsplit(server_url)._replace(path=f"/{name}").geturl()


def _postgres(server_url: str, statement: str) -> str:
    with psycopg.connect(server_url, autocommit=True) as connection:
        row = connection.execute(statement).fetchone() if statement.startswith("SHOW") else None
        if row is None:
            connection.execute(statement)
        return row[0] if row else ""


def _sqlite_files(path: Path) -> list[Path]:
    return [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]


def _section(script: str, env: dict[str, str], quick: bool) -> str:
    """The markdown a standalone benchmark prints, or why it could not be measured."""
    command = [sys.executable, str(ROOT / "bench" / script), env["APIS_DATABASE_URL"]]
    done = subprocess.run(command + (["--quick"] if quick else []), env=env, capture_output=True, text=True)
    sys.stderr.write(done.stderr)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return f"**Not measured**: `{script}` exited with {done.returncode}: {last}"
    return done.stdout.strip()


def _run_suite(database_url: str, quick: bool) -> dict:
    env = dict(os.environ)
    env.update(
        APIS_DATABASE_URL=database_url,
        APIS_SECRET_KEY=secrets.token_urlsafe(40),
        APIS_ALLOWED_HOSTS="127.0.0.1",
        APIS_DEBUG="",
    )
    subprocess.run([APIS, "manage", "migrate", "--verbosity", "0"], env=env, check=True)
    vendor = urlsplit(database_url).scheme
    result = WORK / f"{vendor}.json"
    command = [sys.executable, str(ROOT / "bench" / "suite.py"), "--result", str(result)]
    subprocess.run(command + (["--quick"] if quick else []), env=env, check=True)
    run = json.loads(result.read_text())
    run["sections"] = []
    for title, script, vendors in SECTIONS:
        if run["vendor"] in vendors:
            print(f"[{time.strftime('%H:%M:%S')}] {run['vendor']}: {script} …", file=sys.stderr, flush=True)
            run["sections"].append((title, _section(script, env, quick)))
    return run


def main() -> None:
    """Run the suite on each database and write the report."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--postgres", required=True, help="URL of a PostgreSQL server database (to connect to)"
    )
    parser.add_argument("--only", choices=("postgresql", "sqlite"), help="one database only")
    parser.add_argument("--quick", action="store_true", help="small sizes, to try the script out")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmarks.md")
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    began = time.perf_counter()
    runs = []
    if args.only in (None, "postgresql"):
        _postgres(args.postgres, f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)")
        _postgres(args.postgres, f"CREATE DATABASE {BENCH_DATABASE}")
        try:
            runs.append(_run_suite(_postgres_url(args.postgres, BENCH_DATABASE), args.quick))
        finally:
            _postgres(args.postgres, f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)")
    if args.only in (None, "sqlite"):
        path = WORK / "apis-bench.sqlite3"
        for file in _sqlite_files(path):
            file.unlink(missing_ok=True)
        try:
            runs.append(_run_suite(f"sqlite:///{path}", args.quick))
        finally:
            for file in _sqlite_files(path):
                file.unlink(missing_ok=True)
    command = shlex.join([".venv/bin/python", "bench/run.py", *sys.argv[1:]])
    machine = report.machine(_postgres(args.postgres, "SHOW server_version"))
    notes = NOTES + (
        ["", "**Quick run (`--quick`): small sizes, figures not meaningful.**"] if args.quick else []
    )
    args.output.write_text(report.render(machine, command, time.perf_counter() - began, runs, notes))
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
