"""``apis demo --no-serve``: a fresh demo database under ./var/demo/ with registry, history, live deals and a
working ingest token, prepared in a subprocess exactly as a user runs it."""

import hashlib
import re
import sqlite3
import stat
import subprocess
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.helpers import APIS, apis_env
from tests.payloads import JOB_TYPES

TOKEN = re.compile(r"\bapis_[A-Za-z0-9_-]{20,}")


def run_demo(cwd: Path, days: int = 3, **variables: str) -> str:
    result = subprocess.run(
        [APIS, "demo", "--no-serve", "--days", str(days)],
        cwd=cwd,
        env=apis_env(**variables),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Path, str, sqlite3.Connection]:
    cwd = tmp_path_factory.mktemp("demo")
    output = run_demo(cwd)
    database = sqlite3.connect(cwd / "var" / "demo" / "apis.sqlite3")
    yield cwd, output, database
    database.close()


def test_demo_database_holds_the_registry(demo):
    _, _, database = demo

    units = database.execute(
        "SELECT c.code, u.code FROM community_unit u"
        " JOIN community_cluster c ON c.id = u.cluster_id ORDER BY 2"
    ).fetchall()
    assert units == [("oss_cluster", f"E00{n}") for n in range(1, 5)]
    users = {name for (name,) in database.execute("SELECT username FROM core_user")}
    assert {"admin", "nonresident", "e001", "e002", "e003", "e004"} <= users


def test_demo_database_holds_three_days_of_30_second_history_for_four_units(demo):
    _, _, database = demo

    rows = database.execute(
        "SELECT r.unit_id, COUNT(*), MAX(dataset_id) - MIN(dataset_id) "
        "FROM unit_data_unitdata d JOIN unit_data_reportedunit r ON r.id = d.reported_unit_id "
        "GROUP BY r.unit_id"
    ).fetchall()
    cycles = 3 * 2880
    assert rows == [(f"E00{n}", cycles, (cycles - 1) * 30_000) for n in range(1, 5)]
    newest = database.execute("SELECT MAX(dataset_id) FROM unit_data_unitdata").fetchone()[0]
    assert time.time() - newest / 1000 < 300


def test_demo_has_finished_and_live_deals(demo):
    _, _, database = demo

    finished, live = database.execute(
        "SELECT SUM(deactivate_datetime IS NOT NULL), SUM(deactivate_datetime IS NULL AND report_time > ?)"
        " FROM deal_deal",
        (time.time() - 300,),
    ).fetchone()
    assert finished > 0
    assert live >= 1


def test_printed_token_is_an_active_ingest_token_of_the_demo_cluster(demo):
    _, output, database = demo

    tokens = set(TOKEN.findall(output))
    assert len(tokens) == 1
    (token,) = tokens
    assert f"/api/ccc/t/{token}/unitData" in output
    row = database.execute(
        "SELECT c.code, t.revoked FROM ingest_ingesttoken t JOIN community_cluster c ON c.id = t.cluster_id"
        " WHERE t.token_hash = ?",
        (hashlib.sha256(token.encode()).hexdigest(),),
    ).fetchone()
    assert row == ("oss_cluster", None)


def test_summary_names_the_urls_logins_and_database(demo):
    cwd, output, _ = demo

    for text in (
        "http://127.0.0.1:8000/admin/",
        "/api/staff/community/outline",
        "/api/staff/unitData/latestSet?communityId=oss_community&clusterId=oss_cluster",
        "/api/staff/deal/liveList?",
        "Authorization: Bearer",
        "admin/admin",
        "e004/e004",
        str((cwd / "var" / "demo" / "apis.sqlite3").resolve()),
    ):
        assert text in output


def test_the_page_url_and_the_logins_are_printed_first(demo):
    _, output, _ = demo

    first, logins, *_ = output.splitlines()
    assert first == "APIS Service Center demo: open http://127.0.0.1:8000/"
    assert logins.split()[0] == "logins:"
    assert logins.split(maxsplit=1)[1].split(", ") == [
        "admin/admin (staff)",
        "e001/e001",
        "e002/e002",
        "e003/e003",
        "e004/e004",
        "nonresident/nonresident",
    ]


def test_the_six_monitoring_jobs_are_active_for_the_demo_cluster_and_first_run_after_an_interval(demo):
    _, _, database = demo
    types = set(JOB_TYPES)

    active = database.execute(
        "SELECT community_id, cluster_id, type FROM monitoring_jobsetting WHERE is_active"
    ).fetchall()
    assert sorted(active) == sorted(("oss_community", "oss_cluster", job_type) for job_type in types)
    # Not due at once: the live cluster reports for one interval (60 s) before the first pass looks for it
    # (the token is issued a few seconds before, ahead of the history).
    due = dict(database.execute("SELECT name, next_run FROM monitoring_jobschedule").fetchall())
    assert set(due) == types
    issued = database.execute("SELECT MAX(created) FROM ingest_ingesttoken").fetchone()[0]
    for next_run in due.values():
        delay = datetime.fromisoformat(next_run) - datetime.fromisoformat(issued)
        assert timedelta(seconds=60) < delay < timedelta(minutes=5)


def test_under_a_url_prefix_the_demo_prints_every_url_with_it(tmp_path):
    output = run_demo(tmp_path, days=1, APIS_URL_PREFIX="/sc")

    assert output.splitlines()[0] == "APIS Service Center demo: open http://127.0.0.1:8000/sc/"
    urls = re.findall(r"http://\S+", output)
    assert len(urls) >= 8
    assert [url for url in urls if not url.startswith("http://127.0.0.1:8000/sc/")] == []


def test_secret_key_is_private_and_kept_while_the_database_is_recreated(demo):
    cwd, _, database = demo
    key_file = cwd / "var" / "demo" / "secret_key"
    key = key_file.read_text()

    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(key) >= 50
    database.execute("CREATE TABLE leftover (x)")
    database.commit()
    run_demo(cwd)

    assert key_file.read_text() == key
    fresh = sqlite3.connect(cwd / "var" / "demo" / "apis.sqlite3")
    assert fresh.execute("SELECT COUNT(*) FROM sqlite_master WHERE name = 'leftover'").fetchone() == (0,)
    fresh.close()
