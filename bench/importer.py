"""MongoDB importer speed: 200,000 unitData, 50,000 deal and 200,000 apisLog documents of the original's
shape written as ``mongodump`` BSON files, imported with ``apis manage import_mongodump``, then imported
again (everything already present). Baseline in the same run: the same documents, validated beforehand
(not timed) and handed straight to the stores in batches of the same size, without BSON files."""

import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from django_env import setup_django, standalone

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

COMMUNITY, CLUSTER = "bench-import", "k0"
SIZES = {"unitData": 200_000, "deal": 50_000, "apisLog": 200_000}
QUICK_SIZES = {"unitData": 10_000, "deal": 2_500, "apisLog": 10_000}
UNITS = 100
BATCH = 2_000
START = datetime(2020, 1, 1, tzinfo=UTC)
ID_PREFIX = b"bench"  # the first bytes of every ObjectId the benchmark makes, to delete its ledger rows


def _object_id(number: int):
    from bson import ObjectId

    return ObjectId(ID_PREFIX + number.to_bytes(12 - len(ID_PREFIX), "big"))


def _documents(collection: str, count: int) -> Iterator[dict]:
    """``count`` documents as the original stored them (tests/importer/documents.py shapes)."""
    from tests.importer import documents as mongo

    cluster = {"community": COMMUNITY, "cluster": CLUSTER}
    for n in range(count):
        if collection == "unitData":
            document = mongo.unit_data(
                f"U{n % UNITS:03d}", START + timedelta(seconds=30 * (n // UNITS)), **cluster
            )
        elif collection == "deal":
            local = (START + timedelta(seconds=31 * n)).astimezone(ZoneInfo("Asia/Tokyo"))
            document = mongo.deal(f"deal-{n:07d}", create=local.strftime("%Y/%m/%d-%H:%M:%S"), **cluster)
        else:
            at = START + timedelta(milliseconds=150 * n)
            document = mongo.log(f"uri : /dcdc/get {n}", at, communityId=COMMUNITY, clusterId=CLUSTER)
        yield {**document, "_id": _object_id(n)}


def _write_dump(directory: Path, collection: str, count: int) -> int:
    """Write ``<collection>.bson``; returns its size in bytes."""
    import bson

    path = directory / f"{collection}.bson"
    with path.open("wb") as file:
        for document in _documents(collection, count):
            file.write(bson.encode(document))
    return path.stat().st_size


def _delete_bench_rows() -> None:
    from apis.apis_log.models import ApisLog
    from apis.deal.models import Deal
    from apis.importer.models import ImportedLog
    from apis.unit_data.models import ReportedUnit, UnitData

    for model in (UnitData, ReportedUnit, Deal, ApisLog):
        model.objects.filter(community_id=COMMUNITY).delete()
    ImportedLog.objects.filter(source_id__startswith=ID_PREFIX.hex()).delete()


def _baseline_store(collection: str) -> Callable[[list], int]:
    from apis.apis_log.collector import COLUMNS
    from apis.apis_log.models import ApisLog
    from apis.core.sql import append_rows
    from apis.deal.store import store_deals
    from apis.unit_data.store import store_unit_data

    if collection == "unitData":
        return store_unit_data
    if collection == "deal":
        return store_deals
    return lambda records: append_rows(ApisLog, COLUMNS, [row for _, row in records])


def _baseline(collection: str, count: int) -> float:
    """Seconds spent in the stores alone for the same documents, validated beforehand."""
    from django.db import transaction

    from apis.importer.handlers import HANDLERS

    parse, store = HANDLERS[collection].parse, _baseline_store(collection)
    seconds = 0.0
    batch: list = []
    for number, document in enumerate(_documents(collection, count), start=1):
        batch.append(parse(document))
        if len(batch) == BATCH or number == count:
            start = time.perf_counter()
            with transaction.atomic():
                store(batch)
            seconds += time.perf_counter() - start
            batch = []
    return seconds


def _import(directory: Path, collection: str) -> tuple[float, str]:
    """Seconds of one ``import_mongodump`` run and its report line."""
    import io

    from django.core.management import call_command

    out = io.StringIO()
    start = time.perf_counter()
    call_command(
        "import_mongodump", str(directory), "--collections", collection, "--batch", str(BATCH), stdout=out
    )
    return time.perf_counter() - start, out.getvalue().splitlines()[0]


def run_benchmark(database_url: str, quick: bool = False) -> str:
    """Measure and return a markdown section."""
    setup_django(database_url)
    from django.db import connection

    sizes = QUICK_SIZES if quick else SIZES
    rows = [
        "| database | collection | documents | BSON MB | import docs/s | re-import (all skipped) docs/s "
        "| baseline: stores only docs/s | import / baseline |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    reports = []
    with tempfile.TemporaryDirectory(prefix="bench-import-") as folder:
        directory = Path(folder)
        for collection, count in sizes.items():
            size = _write_dump(directory, collection, count)
            _delete_bench_rows()
            baseline = _baseline(collection, count)
            _delete_bench_rows()
            first, report = _import(directory, collection)
            again, report_again = _import(directory, collection)
            _delete_bench_rows()
            (directory / f"{collection}.bson").unlink()
            reports += [report, report_again]
            rows.append(
                f"| {connection.vendor} | {collection} | {count:,} | {size / 1e6:,.1f} "
                f"| {count / first:,.0f} | {count / again:,.0f} | {count / baseline:,.0f} "
                f"| {baseline / first:.2f} |"
            )
    return "\n".join(
        [
            *rows,
            "",
            f"Batches of {BATCH:,} documents, one transaction each; unitData from {UNITS} units every 30 s. "
            "The baseline skips reading and decoding the BSON file and the validation (done before, not "
            "timed): unitData `store_unit_data`, deal `store_deals`, apisLog `append_rows` (no `_id` "
            "ledger). "
            "The importer's own reports:",
            "",
            *(f"- `{line}`" for line in reports),
        ]
    )


if __name__ == "__main__":
    standalone(run_benchmark, __doc__)
