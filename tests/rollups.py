"""Rollup test data and the oracle: unit-data histories stored as the ingest API stores them, and every
rollup bucket computed directly from the raw rows (for tests/test_rollups.py and tests/test_retention.py)."""

import dataclasses
import math
import random
from collections import defaultdict
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings as django_settings

from apis.ingest.parse import parse_unit_data
from apis.rollup.compute import rollup_pass
from apis.rollup.models import UnitRollup
from apis.unit_data import documents
from apis.unit_data.models import UnitData
from apis.unit_data.store import store_unit_data
from tests.helpers import ROLLUP_ENERGIES
from tests.payloads import CLUSTER, COMMUNITY, unit_doc

CAP = 120  # APIS_DATA_LOSS_TOLERANCE_SEC of these tests
START = datetime(2026, 3, 28, 20, 0, tzinfo=UTC)  # 30 hours from here span a DST change in Europe/Berlin

# The oracle's own reading of the metrics: the first number (not a boolean) found at the paths.
PATHS = {
    "rsoc": (("battery", "rsoc"), ("emu", "rsoc")),
    "battery_w": (("dcdc", "meter", "wb"),),
    "pv_w": (("emu", "pvc_charge_power"),),
    "dc_grid_w": (("dcdc", "meter", "wg"),),
    "dc_grid_v": (("dcdc", "meter", "vg"),),
    "ac_in_w": (("dcdc", "powermeter", "p2"),),
    "ac_out_w": (("emu", "ups_output_power"),),
}


# ---- records ---------------------------------------------------------------------------------------------


def at(seconds: float) -> datetime:
    return START + timedelta(seconds=seconds)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def doc(unit: str, moment: datetime, rng: random.Random | None = None, variant: int = 0) -> dict:
    """A ``unit_doc`` at ``moment`` with varied numbers; ``variant`` picks a missing, string, null or
    boolean metric."""
    rng = rng or random.Random(int(moment.timestamp()))
    document = unit_doc(unit, iso(moment), int(moment.timestamp() * 1000), rsoc=round(rng.uniform(5, 95), 2))
    document["dcdc"]["meter"].update(
        wb=round(rng.uniform(-500, 500), 3), wg=round(rng.uniform(-300, 300), 3), vg=rng.uniform(340, 360)
    )
    document["dcdc"]["powermeter"]["p2"] = round(rng.uniform(0, 200), 1)
    document["emu"].update(pvc_charge_power=rng.uniform(0, 900), ups_output_power=rng.randint(100, 600))
    if variant == 1:
        del document["battery"]["rsoc"]  # rsoc comes from emu.rsoc
    elif variant == 2:
        document["emu"]["pvc_charge_power"] = "n/a"
    elif variant == 3:
        del document["dcdc"]["powermeter"]
    elif variant == 4:
        document["battery"]["rsoc"], document["emu"]["rsoc"] = None, "full"  # no rsoc at all
    elif variant == 5:
        document["dcdc"]["meter"]["wb"] = True
    return document


def store(*documents: dict) -> int:
    """Store the documents as the ingest API does; returns the new rows."""
    return store_unit_data(parse_unit_data(list(documents), COMMUNITY, CLUSTER))


def store_without_time(unit: str, moment: datetime) -> None:
    """A record whose ``time`` is null (as an importer may store one)."""
    (record,) = parse_unit_data([doc(unit, moment)], COMMUNITY, CLUSTER)
    store_unit_data([dataclasses.replace(record, time=None, dataset_id=record.dataset_id + 1)])


def timeline(unit: str, steps: int, seed: int, start: datetime = START) -> list[dict]:
    """``steps`` records of ``unit`` from ``start``, 30 s to 400 s apart (some gaps beyond the cap), every
    metric varied and now and then missing or not a number."""
    rng = random.Random(seed)
    moment, documents = start, []
    for step in range(steps):
        moment += timedelta(seconds=rng.choice([30, 30, 30, 45, 90, 150, 400]))
        documents.append(doc(unit, moment, rng, variant=step % 6 if step % 4 == 1 else 0))
    return documents


def store_history(units: tuple[str, ...] = ("E001", "E002"), steps: int = 900) -> None:
    for index, unit in enumerate(units):
        documents = timeline(unit, steps, seed=index)
        for start in range(0, len(documents), 250):
            store(*documents[start : start + 250])
        store_without_time(unit, START + timedelta(hours=3))


def roll_up(**limits) -> int:
    """Passes until the backlog is done; returns the rows processed."""
    total = 0
    while count := rollup_pass(**limits):
        total += count
    return total


# ---- the oracle: every bucket computed directly from the raw rows ----------------------------------------


def number(document: dict, paths: tuple[tuple[str, ...], ...]) -> float | None:
    for path in paths:
        value = document
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    return None


def local_day(moment: datetime) -> datetime:
    zone = ZoneInfo(django_settings.APIS_TIME_ZONE)
    return datetime.combine(moment.astimezone(zone).date(), time(), tzinfo=zone).astimezone(UTC)


def buckets(moment: datetime) -> dict[int, datetime]:
    epoch = int(moment.timestamp())
    return {
        300: datetime.fromtimestamp(epoch - epoch % 300, UTC),
        3600: datetime.fromtimestamp(epoch - epoch % 3600, UTC),
        86400: local_day(moment),
    }


def new_bucket() -> dict:
    values: dict = {"records": 0} | {energy: 0.0 for energy in ROLLUP_ENERGIES}
    for metric in PATHS:
        values |= {f"{metric}_count": 0, f"{metric}_sum": None, f"{metric}_min": None, f"{metric}_max": None}
        values[f"{metric}_last"] = None
    return values


def add(values: dict, metrics: dict[str, float | None], dt: float) -> None:
    values["records"] += 1
    for metric, value in metrics.items():
        if value is None:
            continue
        values[f"{metric}_count"] += 1
        values[f"{metric}_sum"] = (values[f"{metric}_sum"] or 0.0) + value
        values[f"{metric}_min"] = min(
            value, values[f"{metric}_min"] if values[f"{metric}_min"] is not None else value
        )
        values[f"{metric}_max"] = max(
            value, values[f"{metric}_max"] if values[f"{metric}_max"] is not None else value
        )
        values[f"{metric}_last"] = value
    for energy, (metric, sign) in ROLLUP_ENERGIES.items():
        power = metrics[metric]
        if power is not None and (sign == 0 or power * sign > 0):
            values[energy] += abs(power) * dt / 3600 if sign else power * dt / 3600


def expected_rollups() -> dict[tuple, dict]:
    """Every rollup row the raw unit data calls for: (resolution, unit, bucket) → values."""
    rows = sorted(
        UnitData.objects.filter(time__isnull=False).values_list(
            "reported_unit__unit_id", "time", "id", "document"
        ),
        key=lambda row: row[:3],
    )
    result: dict[tuple, dict] = defaultdict(new_bucket)
    previous: dict[str, datetime] = {}
    for unit, moment, _, blob in rows:
        data = documents.decode(blob)
        dt = min((moment - previous[unit]).total_seconds(), CAP) if unit in previous else 0.0
        previous[unit] = moment
        metrics = {metric: number(data, paths) for metric, paths in PATHS.items()}
        for resolution, bucket in buckets(moment).items():
            add(result[(resolution, unit, bucket)], metrics, dt)
    return dict(result)


def stored_rollups() -> dict[tuple, dict]:
    values = list(new_bucket())
    rows = UnitRollup.objects.values("resolution", "unit_id", "bucket", *values)
    return {
        (row["resolution"], row["unit_id"], row["bucket"]): {name: row[name] for name in values}
        for row in rows
    }


def assert_equal_rollups(actual: dict[tuple, dict], expected: dict[tuple, dict]) -> None:
    assert sorted(actual) == sorted(expected)
    for key, values in expected.items():
        for name, value in values.items():
            got = actual[key][name]
            same = got == value or (
                None not in (got, value) and math.isclose(got, value, rel_tol=1e-9, abs_tol=1e-9)
            )
            assert same, (key, name, got, value)


def assert_rollups_are_direct() -> None:
    expected = expected_rollups()
    assert {resolution for resolution, _, _ in expected} == {300, 3600, 86400}
    assert_equal_rollups(stored_rollups(), expected)
