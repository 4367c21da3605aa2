"""``apis jobs``: the schedule claims, log retention, a failing job, and real runner processes side by side
giving exactly one failure and one mail per transition."""

import logging
import signal
import subprocess
import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command

from apis.apis_log.models import ApisLog
from apis.apis_log.retention import delete_expired_logs
from apis.jobs.registry import Job
from apis.jobs.runner import claim, ensure_schedule, run_due
from apis.monitoring.models import Failure, JobSetting, Notification
from tests.helpers import APIS, in_thread, log, runner_env
from tests.payloads import CLUSTER, COMMUNITY

T0 = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.mark.django_db
def test_a_due_run_is_claimed_by_one_runner_only():
    job = Job("apis_main_alive", 60, lambda now: None)
    ensure_schedule([job], T0)
    ensure_schedule([job], T0 + timedelta(hours=1))
    assert [claim(job, T0), claim(job, T0), claim(job, T0 + timedelta(seconds=59))] == [True, False, False]
    assert claim(job, T0 + timedelta(seconds=60)) is True


@pytest.mark.django_db
def test_a_failing_job_is_logged_and_the_others_still_run(caplog):
    ran: list[datetime] = []

    def broken(now: datetime) -> None:
        raise RuntimeError("database on fire")

    jobs = [Job("broken", 60, broken), Job("fine", 60, ran.append)]
    ensure_schedule(jobs, T0)
    with caplog.at_level(logging.INFO, logger="apis.jobs.runner"):
        assert run_due(jobs, T0) == ["broken", "fine"]
    assert len(ran) == 1
    failed = [record for record in caplog.records if record.getMessage() == "job broken failed"]
    assert failed and "database on fire" in caplog.text and failed[0].exc_info
    assert run_due(jobs, T0 + timedelta(seconds=30)) == []


@pytest.mark.django_db
def test_retention_deletes_only_records_older_than_the_retention_period(settings):
    settings.LOG_RETENTION_DAYS = 30
    for days in (31, 32, 33, 40, 400):
        log("apis-main", "E001", f"old {days}", ago=days * 86400, now=T0)
    log("apis-main", "E001", "recent", ago=29 * 86400, now=T0)
    assert delete_expired_logs(T0, batch=2) == 5
    assert list(ApisLog.objects.values_list("message", flat=True)) == ["recent"]


def broken_cluster() -> bool:
    """The demo cluster with every job active, no program alive and one SEVERE line from E001."""
    call_command("loaddata", "apis-demo", verbosity=0)
    for job_type in ("apis_main_alive", "apis_ccc_alive", "grid_master_alive", "apis_main_severe"):
        JobSetting.objects.create(community_id=COMMUNITY, cluster_id=CLUSTER, type=job_type)
    log("apis-main", "E001", "dcdc failed", "SEVERE", ago=5, now=datetime.now(UTC))
    return True


EXPECTED_FAILURES = [
    ("apis_main_alive", "E001"),
    ("apis_main_alive", "E002"),
    ("apis_main_alive", "E003"),
    ("apis_main_alive", "E004"),
    ("apis_ccc_alive", None),
    ("grid_master_alive", None),
    ("apis_main_severe", "E001"),
]


def test_two_runners_side_by_side_open_each_failure_once_and_mail_it_once(
    live_database, mail_server, tmp_path
):
    in_thread(broken_cluster)
    env = runner_env(live_database, mail_server.port, tmp_path)
    runners = [
        subprocess.Popen([APIS, "jobs", "--once"], env=env, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [runner.communicate(timeout=120)[1] for runner in runners]
    assert [runner.returncode for runner in runners] == [0, 0], outputs
    failures = in_thread(lambda: list(Failure.objects.values_list("type", "unit_id", "closed")))
    assert sorted(failures, key=str) == sorted(((t, u, None) for t, u in EXPECTED_FAILURES), key=str)
    assert in_thread(lambda: Notification.objects.filter(sent__isnull=False).count()) == len(
        EXPECTED_FAILURES
    )
    subjects = mail_server.subjects()
    assert len(subjects) == len(set(subjects)) == len(EXPECTED_FAILURES)
    assert "[apis_main_severe] failure detected : oss_community > oss_cluster > apis-main > E001" in subjects
    assert {tuple(to) for _, to, _ in mail_server.received} == {("ops@example.org",)}


def test_the_long_running_runner_works_until_it_is_told_to_stop(live_database, mail_server, tmp_path):
    in_thread(broken_cluster)
    env = runner_env(live_database, mail_server.port, tmp_path)
    runner = subprocess.Popen([APIS, "jobs"], env=env, stderr=subprocess.PIPE, text=True)
    timer = threading.Timer(120, runner.kill)
    timer.start()
    try:
        seen = []
        for line in runner.stderr:
            seen.append(line)
            if "job mail: " in line:
                break
        runner.send_signal(signal.SIGTERM)
        rest = runner.communicate(timeout=60)[1]
    finally:
        timer.cancel()
    assert runner.returncode == 0
    assert "job runner stopped" in rest
    assert any("job apis_main_alive: 4 watched, 4 NG, 4 opened, 0 closed" in line for line in seen)
    assert in_thread(lambda: Failure.objects.count()) == len(EXPECTED_FAILURES)
