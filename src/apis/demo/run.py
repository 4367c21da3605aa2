"""``apis demo``: a fresh SQLite database under ``./var/demo/`` with the demo registry, an ingest token, a
synthetic history and the six monitoring jobs active, then the whole system live (see :mod:`apis.demo.live`)
with the web server on 127.0.0.1:8000. Once ready it prints the page URL and the logins first (progress while
preparing goes to stderr), then the other URLs and the token."""

import contextlib
import os
import socket
import sys
from datetime import timedelta
from pathlib import Path

from apis.core.secretkey import installation_secret

DEMO_DIR = Path("var") / "demo"
COMMUNITY, CLUSTER = "oss_community", "oss_cluster"
UNITS = ["E001", "E002", "E003", "E004"]
LOGINS = (
    "admin/admin (staff)",
    "e001/e001",
    "e002/e002",
    "e003/e003",
    "e004/e004",
    "nonresident/nonresident",
)


def _secret_key(directory: Path) -> str:
    """The demo's secret key, generated on the first run and kept (mode 0600) in ``secret_key``."""
    return installation_secret(directory)


def _configure(directory: Path) -> Path:
    """Point the settings at a new, empty demo database; must run before ``django.setup()``."""
    directory.mkdir(parents=True, exist_ok=True)
    database = directory / "apis.sqlite3"
    for stale in (database, database.with_name("apis.sqlite3-wal"), database.with_name("apis.sqlite3-shm")):
        stale.unlink(missing_ok=True)
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "apis.settings",
            "APIS_DATABASE_URL": f"sqlite:///{database}",
            "APIS_SECRET_KEY": _secret_key(directory),
            "APIS_DEBUG": "0",
            "APIS_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "APIS_VAR_DIR": str(directory),
        }
    )
    if not os.environ.get("APIS_ESS_SITES"):
        from apis.ess.generate import demo_sites

        os.environ["APIS_ESS_SITES"] = demo_sites(directory, days=2)
    return database


def _activate_monitoring() -> None:
    """The six monitoring jobs active for the demo cluster, each first run one interval from now: by then the
    live cluster has been reporting that long (a pass before would find no log lines and report failures)."""
    from django.conf import settings
    from django.utils import timezone

    from apis.jobs.models import JobSchedule
    from apis.monitoring.models import JobSetting

    now = timezone.now()
    for job_type in settings.MONITORING_JOB_TYPES:
        JobSetting.objects.update_or_create(
            community_id=COMMUNITY, cluster_id=CLUSTER, type=job_type, defaults={"is_active": True}
        )
        first_run = now + timedelta(seconds=settings.MONITORING_INTERVALS[job_type])
        JobSchedule.objects.update_or_create(name=job_type, defaults={"next_run": first_run})


def _prepare(days: int) -> str:
    """Migrate, load ``apis-demo``, issue an ingest token, activate the monitoring jobs and generate the
    history; returns the token. Progress goes to stderr."""
    from django.core.management import call_command

    from apis.community.models import Cluster
    from apis.demo.history import HistorySpec, default_end, generate_history
    from apis.ingest.models import IngestToken

    call_command("migrate", verbosity=0)
    call_command("loaddata", "apis-demo", verbosity=0)
    cluster = Cluster.objects.get(community__code=COMMUNITY, code=CLUSTER)
    _, token = IngestToken.issue(cluster, label="apis demo")
    print(f"generating {days} day(s) of history for {COMMUNITY}/{CLUSTER} (E001…E004) …", file=sys.stderr)
    summary = generate_history(HistorySpec(end=default_end(), days=days, clusters=1, units=4))
    print(
        f"stored {summary.rows} unit-data rows and {summary.deals} deals in {summary.seconds:.1f} s",
        file=sys.stderr,
    )
    _activate_monitoring()
    return token


def _summary(bind: str, token: str, database: Path) -> str:
    """What the demo prints once ready: the page URL and the logins first, then the rest."""
    from django.conf import settings

    base = f"http://{bind}{settings.URL_PREFIX}"
    query = f"communityId={COMMUNITY}&clusterId={CLUSTER}"
    return "\n".join(
        [
            f"APIS Service Center demo: open {base}/",
            f"  logins:     {', '.join(LOGINS)}",
            f"  admin:      {base}/admin/",
            f"  outline:    {base}/api/staff/community/outline",
            f"  latestSet:  {base}/api/staff/unitData/latestSet?{query}",
            f"  liveList:   {base}/api/staff/deal/liveList?{query}",
            f"  monitoring: the six jobs are active for {COMMUNITY}/{CLUSTER}",
            f"  ingest token for {COMMUNITY}/{CLUSTER}:",
            f"    {token}",
            f"  ingest with a header ('Authorization: Bearer {token}'):",
            f"    POST {base}/api/ccc/unitData   POST {base}/api/ccc/deal",
            "  ingest with the token in the URI (for the Java apis-ccc):",
            f"    POST {base}/api/ccc/t/{token}/unitData",
            f"    POST {base}/api/ccc/t/{token}/deal",
            f"  database:   {database}",
            "",
        ]
    )


def run_demo(bind: str = "127.0.0.1:8000", days: int = 7, serve: bool = True, live: bool = True) -> int:
    """Prepare a fresh demo under ``./var/demo/``; with ``serve``, run the server (and, with ``live``, the
    emulated cluster, the ccc, the log collector and the jobs) until Ctrl-C. Returns an exit code."""
    directory = DEMO_DIR.resolve()
    database = _configure(directory)
    import django

    django.setup()
    token = _prepare(days)
    print(_summary(bind, token, database), flush=True)
    if not serve:
        return 0
    from django.db import connections

    connections.close_all()
    if live:
        from apis.demo.live import LiveDemo, free_port, run_live

        demo = LiveDemo(directory, bind, COMMUNITY, CLUSTER, token, free_port(socket.SOCK_DGRAM), free_port())
        return run_live(demo, UNITS)
    from apis.server import serve as serve_web

    with contextlib.suppress(KeyboardInterrupt):
        serve_web(bind, workers=2)
    return 0
