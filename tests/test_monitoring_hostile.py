"""Forged log lines cannot break monitoring: the message rules of the original (the ccc polling noise, the
stack element strip) give the original regular expressions' results in linear time, and a real ``apis jobs
--once`` process exits 0 and reports the right failures with a forged blocked-thread number and lines dated
in the future present."""

import re
import subprocess
import time
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from hypothesis import example, given, settings
from hypothesis import strategies as st

from apis.community.models import Cluster, Unit
from apis.monitoring.checks import ccc_noise, strip_stack_element
from apis.monitoring.models import Failure
from tests.helpers import APIS, BLOCKED_LOGGER, UNITS, activate, blocked, in_thread, log, runner_env
from tests.payloads import CLUSTER, COMMUNITY

# The original's expressions (reference §7.3), kept here as the oracle.
CCC_IGNORED = re.compile(r"(NO_HANDLERS|TIMEOUT).* apis.GridMaster.data.all")
STACK_ELEMENT = re.compile(r"(^.*)(?: \[.*\]$)")

_PIECES = st.sampled_from(
    [
        *("NO_HANDLERS", "TIMEOUT", " apis.GridMaster.data.all", " apis_GridMaster-data/all", "apis."),
        *("\n", "\r", " [", "]", " ", "x", "[a.b.C.m(C.java:10)]", "\n]"),
    ]
)
_MESSAGES = st.one_of(st.lists(_PIECES, max_size=12).map("".join), st.text(max_size=60))
_ORACLE = settings(max_examples=1000, deadline=None, database=None)


@_ORACLE
@given(_MESSAGES)
@example("TIMEOUT (30000) Timed out on apis.GridMaster.data.all")
@example("NO_HANDLERS\n apis.GridMaster.data.all")
def test_the_ccc_polling_noise_is_recognised_as_the_original_regex_recognised_it(message):
    assert ccc_noise(message) == bool(CCC_IGNORED.search(message))


@_ORACLE
@given(_MESSAGES)
@example("(HARDWARE:LOCAL:ERROR:E001) dcdc failed [a.b.C.m(C.java:10)]")
@example(" []")
@example("a [b]\n")
def test_the_stack_element_is_stripped_as_the_original_regex_stripped_it(message):
    match = STACK_ELEMENT.fullmatch(message)
    assert strip_stack_element(message) == (match.group(1) if match else message)


ADVERSARIAL_MESSAGES = {
    "TIMEOUT repeated": "TIMEOUT" * 9300,
    "NO_HANDLERS repeated": "NO_HANDLERS" * 5900,
    "' [' repeated": " [" * 32_500,
    "' [a' repeated": " [a" * 21_600,
}


@pytest.mark.parametrize("message", ADVERSARIAL_MESSAGES.values(), ids=ADVERSARIAL_MESSAGES.keys())
def test_a_64_kb_forged_severe_message_is_decorated_in_a_fraction_of_a_second(message):
    began = time.perf_counter()
    ccc_noise(message)
    strip_stack_element(message)
    assert time.perf_counter() - began < 1.0


def forged_clusters() -> bool:
    """Two clusters with forged lines among the real ones, as of now.

    ``oss_cluster``: every unit alive, E002 with a 5,000-digit blocked-thread warning, the GridMaster line
    only dated a day ahead. ``k2`` (U1, U2): U1 alive, U2 alive only by a line dated a day ahead, no ccc."""
    now = datetime.now(UTC)
    call_command("loaddata", "apis-demo", verbosity=0)
    activate("apis_main_alive", "grid_master_alive")
    for unit in UNITS:
        log("apis-main", unit, f"uri : /get/unit/{unit}", ago=5, now=now)
    log("apis-main", "E002", blocked("9" * 5000), "WARNING", logger=BLOCKED_LOGGER, ago=5, now=now)
    log("apis-main", "E001", "gridMasterUnitId : E001", ago=-86_400, now=now)
    cluster = Cluster.objects.create(
        community=Cluster.objects.get(code=CLUSTER).community, code="k2", name="k2"
    )
    Unit.objects.bulk_create([Unit(cluster=cluster, code=code, name=code) for code in ("U1", "U2")])
    activate("apis_main_alive", "apis_ccc_alive", cluster="k2")
    log("apis-main", "U1", "uri : /get/unit/U1", ago=5, now=now, cluster="k2")
    log("apis-main", "U2", "uri : /get/unit/U2", ago=-86_400, now=now, cluster="k2")
    return True


def test_jobs_once_exits_0_with_forged_lines_and_reports_the_right_failures(
    live_database, mail_server, tmp_path
):
    in_thread(forged_clusters)
    env = runner_env(live_database, mail_server.port, tmp_path)
    runner = subprocess.run([APIS, "jobs", "--once"], env=env, capture_output=True, text=True, timeout=120)
    assert runner.returncode == 0, runner.stderr
    assert not re.search(r"job \S+ failed", runner.stderr)
    failures = in_thread(
        lambda: set(Failure.objects.filter(closed__isnull=True).values_list("type", "cluster_id", "unit_id"))
    )
    assert failures == {
        ("apis_main_alive", CLUSTER, "E002"),
        ("grid_master_alive", CLUSTER, None),
        ("apis_main_alive", "k2", "U2"),
        ("apis_ccc_alive", "k2", None),
    }
    assert in_thread(lambda: set(Failure.objects.values_list("community_id", flat=True))) == {COMMUNITY}
