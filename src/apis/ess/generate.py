"""Deterministic, plausible ESS operating data for a site database (``apis manage generate_ess``).

Every value is a function of the time and the ids only (daily SoC cycling: charge at night, discharge in the
evening; voltage following SoC; current and power from the cycle; temperatures with the day and the load).
Site schema ``basic`` has the columns of site 1 of the specification, ``extended`` those of site 2 (module
temperatures and humidity, warnings, JSON-valued fault columns). Rows already present are kept.
"""

import json
import math
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import psycopg

BASIC = {
    "bank": [
        "BANK_SOC",
        "BANK_SOH",
        "BANK_DC_VOLT",
        "BANK_DC_CURRENT",
        "BANK_POWER",
        "MAX_CELL_VOLTAGE_OF_BANK",
        "MIN_CELL_VOLTAGE_OF_BANK",
        "MAX_CELL_TEMPERATURE_OF_BANK",
        "MIN_CELL_TEMPERATURE_OF_BANK",
    ],
    "rack": [
        "RACK_SOC",
        "RACK_SOH",
        "RACK_CURRENT",
        "RACK_VOLTAGE",
        "RACK_MAX_CELL_VOLTAGE",
        "RACK_MAX_CELL_VOLTAGE_POSITION",
        "RACK_MIN_CELL_VOLTAGE",
        "RACK_MIN_CELL_VOLTAGE_POSITION",
        "RACK_CELL_VOLTAGE_GAP",
        "RACK_CELL_VOLTAGE_AVERAGE",
        "RACK_MAX_CELL_TEMPERATURE",
        "RACK_MIN_CELL_TEMPERATURE",
        "RACK_CELL_TEMPERATURE_GAP",
    ],
    "pcs": [
        "AI_VDC",
        "AI_DC",
        "AI_PDC",
        "AI_FREQ",
        "AI_VAB_RMS",
        "AI_VBC_RMS",
        "AI_VCA_RMS",
        "AI_PAC",
        "AI_QAC",
    ],
    "etc": ["SENSOR1_TEMPERATURE", "SENSOR1_HUMIDITY"],
}
EXTRA = {
    "bank": [
        "MAX_MODULE_TEMPERATURE",
        "MIN_MODULE_TEMPERATURE",
        "MAX_MODULE_HUMIDITY",
        "MIN_MODULE_HUMIDITY",
        "RACK_OVER_TEMPERATURE_WARNING:int",
        "MASTER_RACK_COMMUNICATION_FAULT:json",
    ],
    "rack": [
        "RACK_MAX_MODULE_TEMPERATURE",
        "RACK_MIN_MODULE_TEMPERATURE",
        "RACK_MAX_MODULE_HUMIDITY",
        "RACK_STATUS_FOR_Online:int",
        "RACK_MODULE_FAULT:json",
    ],
    "pcs": [],
    "etc": ["SENSOR2_TEMPERATURE", "SENSOR2_HUMIDITY", "ACTIVE_POWER_TOTAL", "ACTIVE_ENERGY_TOTAL_HIGH"],
}
IDS = {"bank": ["BANK_ID"], "rack": ["BANK_ID", "RACK_ID"], "pcs": [], "etc": []}
TYPES = {
    "sqlite": {"time": "TEXT", "float": "REAL", "int": "INTEGER", "json": "JSON"},
    "postgresql": {"time": "timestamptz", "float": "double precision", "int": "integer", "json": "jsonb"},
}


@dataclass(frozen=True)
class Spec:
    """What to generate: schema, start (local midnight), days, step, banks and racks per bank."""

    schema: str
    start: datetime
    days: int
    step_sec: int
    banks: int
    racks: int


def columns(table: str, schema: str) -> list[tuple[str, str]]:
    """(name, kind) of a table of the schema, the time and id columns first."""
    names = [("TIMESTAMP", "time"), *((name, "int") for name in IDS[table])]
    values = BASIC[table] + (EXTRA[table] if schema == "extended" else [])
    return names + [(name.split(":")[0], name.split(":")[1] if ":" in name else "float") for name in values]


def _soc(hours: float) -> float:
    """State of charge over a day: charge 01–06 h to 90 %, hold, discharge 17–22 h to 15 %."""
    if hours < 1:
        return 15.0
    if hours < 6:
        return 15 + 75 * (hours - 1) / 5
    if hours < 17:
        return 90.0
    if hours < 22:
        return 90 - 75 * (hours - 17) / 5
    return 15.0


def _values(moment: datetime, bank: int, rack: int) -> dict[str, float]:
    hours = moment.hour + moment.minute / 60 + moment.second / 3600
    wiggle = math.sin(moment.timestamp() / 97.0 + bank * 1.3 + rack * 0.7)
    soc = round(_soc(hours) + 0.3 * wiggle, 2)
    current = 120.0 if 1 <= hours < 6 else -120.0 if 17 <= hours < 22 else 0.0
    current = round(current + 0.4 * wiggle, 2)
    cell = 3.25 + 0.0018 * soc + 0.0004 * wiggle
    ambient = 24 + 3 * math.sin((hours - 9) / 24 * 2 * math.pi)
    temperature = round(ambient + abs(current) / 40 + 0.2 * wiggle, 2)
    return {
        "soc": soc,
        "current": current,
        "cell": round(cell, 4),
        "temperature": temperature,
        "voltage": round(cell * 204, 1),
        "wiggle": wiggle,
        "hours": hours,
    }


def _row(table: str, schema: str, moment: datetime, bank: int, rack: int) -> list:
    v = _values(moment, bank, rack)
    row: dict[str, object] = {"BANK_ID": bank, "RACK_ID": rack}
    power = round(v["voltage"] * v["current"] / 1000, 2)
    fault = {"rack": rack or bank, "code": 0 if v["wiggle"] < 0.995 else 17}
    row.update(
        {
            "BANK_SOC": v["soc"],
            "BANK_SOH": 94.4,
            "BANK_DC_VOLT": v["voltage"],
            "BANK_DC_CURRENT": v["current"] * 8,
            "BANK_POWER": power * 8,
            "MAX_CELL_VOLTAGE_OF_BANK": round(v["cell"] + 0.006, 4),
            "MIN_CELL_VOLTAGE_OF_BANK": round(v["cell"] - 0.006, 4),
            "MAX_CELL_TEMPERATURE_OF_BANK": round(v["temperature"] + 1.5, 2),
            "MIN_CELL_TEMPERATURE_OF_BANK": round(v["temperature"] - 1.5, 2),
            "MAX_MODULE_TEMPERATURE": round(v["temperature"] + 1.0, 2),
            "MIN_MODULE_TEMPERATURE": round(v["temperature"] - 1.0, 2),
            "MAX_MODULE_HUMIDITY": round(45 + 5 * v["wiggle"], 1),
            "MIN_MODULE_HUMIDITY": round(40 + 5 * v["wiggle"], 1),
            "RACK_OVER_TEMPERATURE_WARNING": int(v["temperature"] > 32),
            "MASTER_RACK_COMMUNICATION_FAULT": json.dumps(fault),
            "RACK_MODULE_FAULT": json.dumps(fault),
            "RACK_SOC": v["soc"],
            "RACK_SOH": round(94.4 + 0.1 * rack, 1),
            "RACK_CURRENT": v["current"],
            "RACK_VOLTAGE": v["voltage"],
            "RACK_MAX_CELL_VOLTAGE": round(v["cell"] + 0.006, 4),
            "RACK_MAX_CELL_VOLTAGE_POSITION": float((rack * 37 + bank) % 200 + 1),
            "RACK_MIN_CELL_VOLTAGE": round(v["cell"] - 0.006, 4),
            "RACK_MIN_CELL_VOLTAGE_POSITION": float((rack * 53 + bank) % 200 + 1),
            "RACK_CELL_VOLTAGE_GAP": 0.012,
            "RACK_CELL_VOLTAGE_AVERAGE": v["cell"],
            "RACK_MAX_CELL_TEMPERATURE": round(v["temperature"] + 1.5, 2),
            "RACK_MIN_CELL_TEMPERATURE": round(v["temperature"] - 1.5, 2),
            "RACK_CELL_TEMPERATURE_GAP": 3.0,
            "RACK_MAX_MODULE_TEMPERATURE": round(v["temperature"] + 1.0, 2),
            "RACK_MIN_MODULE_TEMPERATURE": round(v["temperature"] - 1.0, 2),
            "RACK_MAX_MODULE_HUMIDITY": round(45 + 5 * v["wiggle"], 1),
            "RACK_STATUS_FOR_Online": 1,
            "AI_VDC": v["voltage"],
            "AI_DC": v["current"] * 8,
            "AI_PDC": power * 8,
            "AI_FREQ": round(60 + 0.02 * v["wiggle"], 3),
            "AI_VAB_RMS": round(380 + 2 * v["wiggle"], 1),
            "AI_VBC_RMS": round(380 - 2 * v["wiggle"], 1),
            "AI_VCA_RMS": 380.0,
            "AI_PAC": round(power * 8 * 0.97, 2),
            "AI_QAC": round(3 * v["wiggle"], 2),
            "SENSOR1_TEMPERATURE": round(v["temperature"] - 2, 2),
            "SENSOR1_HUMIDITY": round(50 + 5 * v["wiggle"], 1),
            "SENSOR2_TEMPERATURE": round(v["temperature"] - 1, 2),
            "SENSOR2_HUMIDITY": round(48 + 5 * v["wiggle"], 1),
            "ACTIVE_POWER_TOTAL": round(power * 8 * 0.97, 2),
            "ACTIVE_ENERGY_TOTAL_HIGH": round(moment.timestamp() / 3600 % 100000, 1),
        }
    )
    return [row.get(name) for name, _ in columns(table, schema)[1:]]


def rows(table: str, spec: Spec) -> Iterator[tuple[datetime, list]]:
    """(local time, other column values) of every row of ``table``, in time order."""
    banks = range(1, spec.banks + 1) if IDS[table] else [0]
    racks = range(1, spec.racks + 1) if "RACK_ID" in IDS[table] else [0]
    steps = spec.days * 86_400 // spec.step_sec
    for step in range(steps):
        moment = spec.start + timedelta(seconds=step * spec.step_sec)
        for bank in banks:
            for rack in racks:
                yield moment, _row(table, spec.schema, moment, bank, rack)


def create_table(cursor, vendor: str, table: str, schema: str) -> None:
    """``CREATE TABLE IF NOT EXISTS`` of a component table of the schema, keyed by time and ids."""
    definitions = ", ".join(f'"{name}" {TYPES[vendor][kind]}' for name, kind in columns(table, schema))
    keys = ", ".join(f'"{name}"' for name in ["TIMESTAMP", *IDS[table]])
    cursor.execute(f'CREATE TABLE IF NOT EXISTS "{table}" ({definitions}, PRIMARY KEY ({keys}))')


def _sqlite_write(path: str, spec: Spec) -> int:
    count = 0
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA journal_mode=WAL")
        for table in BASIC:
            create_table(connection, "sqlite", table, spec.schema)
            names = ", ".join(f'"{name}"' for name, _ in columns(table, spec.schema))
            marks = ", ".join("?" for _ in columns(table, spec.schema))
            batch = ((moment.strftime("%Y-%m-%d %H:%M:%S"), *values) for moment, values in rows(table, spec))
            cursor = connection.executemany(
                f'INSERT OR IGNORE INTO "{table}" ({names}) VALUES ({marks})', batch
            )
            count += cursor.rowcount
    return count


def _pg_write(url: str, spec: Spec) -> int:
    count = 0
    with psycopg.connect(url) as connection, connection.cursor() as cursor:
        for table in BASIC:
            create_table(cursor, "postgresql", table, spec.schema)
            names = ", ".join(f'"{name}"' for name, _ in columns(table, spec.schema))
            cursor.execute(f'CREATE TEMP TABLE ess_load (LIKE "{table}") ON COMMIT DROP')
            with cursor.copy(f"COPY ess_load ({names}) FROM STDIN") as copy:
                for moment, values in rows(table, spec):
                    copy.write_row((moment, *values))
            cursor.execute(f'INSERT INTO "{table}" SELECT * FROM ess_load ON CONFLICT DO NOTHING')
            count += cursor.rowcount
            cursor.execute("DROP TABLE ess_load")
    return count


def generate(url: str, spec: Spec) -> int:
    """Write the data into the site database at ``url`` (SQLite path/URL or PostgreSQL URL); rows added."""
    if url.startswith(("postgres://", "postgresql://")):
        return _pg_write(url, spec)
    return _sqlite_write(url.removeprefix("sqlite:///"), spec)


def default_start(days: int, zone: str) -> datetime:
    """Local midnight ``days`` days before today in ``zone``."""
    today = datetime.now(ZoneInfo(zone)).replace(hour=0, minute=0, second=0, microsecond=0)
    return (today - timedelta(days=days)).replace(tzinfo=ZoneInfo(zone))


def demo_sites(directory, days: int) -> str:
    """Two demo sites as SQLite files in ``directory`` (site 2 with the extended columns); the
    ``APIS_ESS_SITES`` JSON pointing at them."""
    sites = {}
    for site_id, schema in ((1, "basic"), (2, "extended")):
        path = directory / f"ess-site{site_id}.sqlite3"
        path.unlink(missing_ok=True)
        generate(str(path), Spec(schema, default_start(days, "Asia/Seoul"), days, 60, 1, 4 * site_id))
        sites[str(site_id)] = {"name": f"demo site {site_id}", "url": str(path)}
    return json.dumps(sites)
