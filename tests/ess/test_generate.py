"""``apis manage generate_ess``: deterministic, plausible site data in SQLite files and PostgreSQL databases,
the extended columns of site 2, and clear refusals of bad arguments."""

import io
import json
import sqlite3

import psycopg
import pytest
from django.core.management import CommandError, call_command

from tests.helpers import ESS_ENGINES, site_databases

ARGS = {"days": 1, "banks": 2, "racks": 3, "step": 300, "start": "2022-09-01"}
ROWS_PER_DAY = 86_400 // ARGS["step"]


@pytest.fixture(params=ESS_ENGINES)
def site_urls(request, tmp_path, settings):
    """Three empty site databases of one vendor: sites 1 and 3 (basic columns) and 2 (extended)."""
    with site_databases(request.param, tmp_path, "gen", (1, 2, 3)) as urls:
        settings.ESS_SITES = {str(k): {"name": f"site {k}", "url": url} for k, url in urls.items()}
        yield urls


def _read(url: str, sql: str) -> list[tuple]:
    if url.startswith("postgresql://"):
        with psycopg.connect(url) as connection:
            return connection.execute(sql).fetchall()
    with sqlite3.connect(url) as connection:
        return connection.execute(sql).fetchall()


def _tables(url: str) -> list[str]:
    if url.startswith("postgresql://"):
        return [row[0] for row in _read(url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
    return [row[0] for row in _read(url, "SELECT name FROM sqlite_master WHERE type = 'table'")]


def _table(url: str, table: str) -> tuple[list[str], list[tuple]]:
    """Column names and every row of a table in key order."""
    if url.startswith("postgresql://"):
        names = [
            row[0]
            for row in _read(
                url,
                "SELECT column_name FROM information_schema.columns"
                f" WHERE table_name = '{table}' ORDER BY ordinal_position",
            )
        ]
    else:
        names = [row[1] for row in _read(url, f'PRAGMA table_info("{table}")')]
    keys = ", ".join(f'"{name}"' for name in names if name in ("TIMESTAMP", "BANK_ID", "RACK_ID"))
    return names, _read(url, f'SELECT * FROM "{table}" ORDER BY {keys}')


def _generate(site: int, **overrides) -> str:
    """``apis manage generate_ess --site N --days … `` with ``ARGS`` and ``overrides``, as typed by hand."""
    argv = [f"--{name}={value}" for name, value in {**ARGS, **overrides}.items()]
    out = io.StringIO()
    call_command("generate_ess", f"--site={site}", *argv, stdout=out)
    return out.getvalue()


def test_two_runs_write_identical_rows_and_a_rerun_adds_nothing(site_urls):
    first, second = _generate(1), _generate(3)
    expected = ROWS_PER_DAY * (1 + 2 + 2 * 3 + 1)  # pcs, bank × 2, rack × 2 × 3, etc
    assert f"{expected} rows added (basic schema) from 2022-09-01" in first
    assert f"{expected} rows added" in second
    for table in ("bank", "rack", "pcs", "etc"):
        assert _table(site_urls[1], table) == _table(site_urls[3], table)
    assert "0 rows added" in _generate(1)
    assert len(_table(site_urls[1], "rack")[1]) == ROWS_PER_DAY * 6


def _column(url: str, table: str, name: str) -> list:
    names, rows = _table(url, table)
    index = names.index(name)
    return [row[index] for row in rows]


def test_values_are_plausible_and_soc_cycles_over_the_day(site_urls):
    _generate(1)
    url = site_urls[1]
    soc = _column(url, "rack", "RACK_SOC")
    assert all(0 <= value <= 100 for value in soc)
    assert min(soc) < 20 and max(soc) > 85  # discharged in the evening, charged at night
    assert len(set(soc)) > 20
    assert all(600 < value < 800 for value in _column(url, "rack", "RACK_VOLTAGE"))
    assert all(3.0 < value < 3.8 for value in _column(url, "rack", "RACK_MAX_CELL_VOLTAGE"))
    current = _column(url, "rack", "RACK_CURRENT")
    assert all(-130 < value < 130 for value in current) and min(current) < -100 and max(current) > 100
    for table, name in (("rack", "RACK_MAX_CELL_TEMPERATURE"), ("etc", "SENSOR1_TEMPERATURE")):
        assert all(10 < value < 45 for value in _column(url, table, name))
    assert all(0 <= value <= 100 for value in _column(url, "bank", "BANK_SOC"))


def test_site_2_has_the_extended_columns_with_json_faults(site_urls):
    assert "(extended schema)" in _generate(2)
    _generate(1)
    extra = set(_table(site_urls[2], "rack")[0]) - set(_table(site_urls[1], "rack")[0])
    assert {"RACK_MAX_MODULE_TEMPERATURE", "RACK_STATUS_FOR_Online", "RACK_MODULE_FAULT"} <= extra
    assert {"MASTER_RACK_COMMUNICATION_FAULT", "MAX_MODULE_HUMIDITY"} <= set(_table(site_urls[2], "bank")[0])
    for table, name in (("rack", "RACK_MODULE_FAULT"), ("bank", "MASTER_RACK_COMMUNICATION_FAULT")):
        values = _column(site_urls[2], table, name)
        faults = [value if isinstance(value, dict) else json.loads(value) for value in values]
        assert all(set(fault) == {"rack", "code"} for fault in faults)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"site": 9}, "unknown operating_site_id 9; configured: ['1', '2', '3']"),
        ({"site": "one"}, "argument --site: invalid int value: 'one'"),
        ({"days": "2.5"}, "argument --days: invalid int value: '2.5'"),
        ({"days": 0}, "--days, --banks, --racks and --step must be at least 1"),
        ({"racks": -1}, "--days, --banks, --racks and --step must be at least 1"),
        ({"start": "2022-13-01"}, "--start must be YYYY-MM-DD"),
        ({"schema": "huge"}, "argument --schema: invalid choice: 'huge'"),
    ],
)
def test_bad_arguments_are_refused_with_a_clear_message(site_urls, overrides, message):
    options = dict(overrides)
    site = options.pop("site", 1)
    with pytest.raises(CommandError) as refused:
        _generate(site, **options)
    assert message in str(refused.value)
    assert _tables(site_urls[1]) == []  # nothing written
