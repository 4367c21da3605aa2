"""``apis jobs``: the jobs the apps register, the order of a ``--once`` round and its exit status."""

import logging
import subprocess

import pytest
from django.core.management import CommandError, call_command

from apis.jobs import registry
from apis.jobs.registry import Job, Phase, registered_jobs
from tests.helpers import APIS, command_env
from tests.payloads import JOB_TYPES

MONITORING_JOBS = list(JOB_TYPES)
ONCE_ORDER = [*MONITORING_JOBS, "downtime", "rollup", "deal_rollup", "log_retention", "mail"]


def job_lines(caplog) -> list[str]:
    """The runner's log lines of a round, in order."""
    return [record.getMessage() for record in caplog.records if record.name == "apis.jobs.runner"]


@pytest.mark.django_db
def test_jobs_once_runs_every_registered_job_once_checks_first_and_mail_last(caplog):
    with caplog.at_level(logging.INFO, logger="apis.jobs.runner"):
        call_command("jobs", once=True)
    lines = job_lines(caplog)
    assert [line.split(":")[0].removeprefix("job ") for line in lines] == ONCE_ORDER
    retention = lines[ONCE_ORDER.index("log_retention")]
    assert "job log_retention: 0 log records deleted, 0 quarantined ingest items deleted, " in retention
    assert retention.endswith(
        "0 ended throttle windows deleted, 0 raw unit-data rows deleted, "
        "0 5-minute, 0 hourly, 0 daily rollups deleted"
    )


@pytest.mark.django_db
def test_a_failing_job_makes_jobs_once_fail_after_every_other_job_has_run(caplog, monkeypatch):
    def broken(now) -> None:
        raise RuntimeError("disk full")

    failing = [Job("broken_check", 60, broken, Phase.CHECK)]
    monkeypatch.setattr(registry, "_sources", [*registry._sources, lambda: failing])
    runner_log = caplog.at_level(logging.INFO, logger="apis.jobs.runner")
    with runner_log, pytest.raises(CommandError, match="some jobs failed"):
        call_command("jobs", once=True)
    lines = job_lines(caplog)
    assert lines[len(MONITORING_JOBS)] == "job broken_check failed"
    assert [line.split(":")[0] for line in lines[-5:]] == [
        "job downtime",
        "job rollup",
        "job deal_rollup",
        "job log_retention",
        "job mail",
    ]


def test_jobs_once_exits_non_zero_when_its_jobs_fail(tmp_path):
    """Without a migrated database every job fails: each is logged and the exit status says so."""
    env = command_env(f"sqlite:///{tmp_path / 'empty.sqlite3'}", tmp_path)
    result = subprocess.run([APIS, "jobs", "--once"], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "some jobs failed (see the log)" in result.stderr
    assert all(f"job {name} failed" in result.stderr for name in ONCE_ORDER)


def test_the_intervals_come_from_the_settings_when_the_runner_starts(settings):
    settings.DOWNTIME_INTERVAL_SEC = 42
    settings.MONITORING_INTERVALS = {**settings.MONITORING_INTERVALS, "apis_log_severe": 7}
    intervals = {job.name: job.interval_sec for job in registered_jobs()}
    assert (intervals["downtime"], intervals["apis_log_severe"]) == (42, 7)
    assert (intervals["log_retention"], intervals["mail"]) == (3600, 10)
