"""``apis manage residency list|start|end``: every subcommand and every refusal, and one run through the
real process on a freshly migrated database."""

import io
import subprocess
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from apis.community.models import Residency
from tests.helpers import APIS, sqlite_env
from tests.residency import UNIT, hour, live_in

E001 = ("oss_community", "oss_cluster", "E001")


def manage(*args: str) -> list[str]:
    out = io.StringIO()
    call_command("residency", *args, stdout=out)
    return out.getvalue().splitlines()


def periods(username: str = "e001", unit: str = "E001") -> list[tuple]:
    rows = Residency.objects.filter(user__username=username, unit__code=unit).order_by("start")
    return list(rows.values_list("start", "end"))


# ---- list -------------------------------------------------------------------------------------------------


def test_list_shows_every_period_with_its_state(demo_registry):
    live_in("e001", (hour(2), hour(4)), (timezone.now() + timedelta(days=1), None))
    lines = manage("list")
    assert lines[0].split() == ["user", "community/cluster/unit", "start", "end", "state"]
    rows = [line.split() for line in lines[1:]]
    assert len(rows) == 9
    assert [
        "e001",
        "oss_community/oss_cluster/E001",
        "2020-01-01T02:00:00Z",
        "2020-01-01T04:00:00Z",
        "former",
    ] in rows
    assert [row[0] for row in rows if row[-1] == "future"] == ["e001"]
    assert ["e002", "oss_community/oss_cluster/E002", "1900-01-01T00:00:00Z", "-", "current"] in rows


def test_list_narrows_to_a_user_and_a_unit(demo_registry):
    assert [line.split()[1] for line in manage("list", "admin")[1:]] == [
        f"oss_community/oss_cluster/E00{n}" for n in range(1, 5)
    ]
    assert [line.split()[0] for line in manage("list", "-", *E001)[1:]] == ["admin", "e001"]
    assert [line.split()[0] for line in manage("list", "-", "oss_community", "oss_cluster")[1:]].count(
        "admin"
    ) == 4
    assert manage("list", "nonresident") == ["no residency periods"]


def test_list_of_an_unknown_user_fails_clearly(demo_registry):
    with pytest.raises(CommandError, match=r"^no such user : nobody$"):
        manage("list", "nobody")


# ---- start ------------------------------------------------------------------------------------------------


def test_start_opens_a_period_at_the_given_time(demo_registry):
    lines = manage("start", "nonresident", *E001, "--at", "2024-04-01T09:00:00+09:00")
    assert lines == ["nonresident lives in oss_community/oss_cluster/E001 from 2024-04-01T00:00:00Z"]
    assert periods("nonresident") == [(datetime(2024, 4, 1, tzinfo=UTC), None)]


def test_start_without_a_time_opens_the_period_now(demo_registry, client_as):
    before = timezone.now()
    manage("start", "nonresident", *E001)
    [(start, end)] = periods("nonresident")
    assert before <= start <= timezone.now() and end is None
    assert client_as("nonresident").get("/api/resident/deal/list", UNIT).status_code == 200


def test_start_reads_a_time_without_offset_in_apis_local_time(demo_registry):
    manage("start", "nonresident", *E001, "--at", "2024-04-01T09:00:00")
    assert periods("nonresident") == [(datetime(2024, 4, 1, tzinfo=UTC), None)]


@pytest.mark.parametrize(
    ("existing", "at"),
    [
        ([(hour(2), None)], "2020-01-01T05:00:00Z"),  # inside the open period
        ([(hour(2), None)], "2020-01-01T01:00:00Z"),  # before it: the new open period would cover it
        ([(hour(2), hour(4))], "2020-01-01T03:59:59Z"),  # inside a closed one
        ([(hour(2), hour(4))], "2020-01-01T02:00:00Z"),  # at its start
        ([(hour(2), hour(4)), (hour(6), hour(8))], "2020-01-01T05:00:00Z"),  # in the gap, before a later one
    ],
)
def test_start_refuses_a_period_overlapping_another(demo_registry, existing, at):
    live_in("e001", *existing)
    with pytest.raises(CommandError, match=r"^a period from .* would overlap the period .* of e001 in "):
        manage("start", "e001", *E001, "--at", at)
    assert periods() == existing


def test_start_right_at_the_end_of_a_period_is_no_overlap(demo_registry):
    live_in("e001", (hour(2), hour(4)))
    manage("start", "e001", *E001, "--at", "2020-01-01T04:00:00Z")
    assert periods() == [(hour(2), hour(4)), (hour(4), None)]


@pytest.mark.parametrize(
    ("at", "reason"),
    [
        ("tomorrow", "not an ISO 8601 or yyyy/MM/dd-HH:mm:ss time: 'tomorrow'"),
        ("2024-13-01", "not an ISO 8601 or yyyy/MM/dd-HH:mm:ss time: '2024-13-01'"),
        ("1899-12-31T00:00:00Z", "is outside the supported range 1900-01-01 to 9999-01-01 (UTC)"),
        ("9999-06-01T00:00:00Z", "is outside the supported range 1900-01-01 to 9999-01-01 (UTC)"),
    ],
)
@pytest.mark.parametrize("action", ["start", "end"])
def test_a_bad_time_is_refused_naming_it(demo_registry, action, at, reason):
    with pytest.raises(CommandError, match=r"^invalid --at : ") as refused:
        manage(action, "nonresident", *E001, "--at", at)
    assert at in str(refused.value) and reason in str(refused.value)
    assert Residency.objects.count() == 8


@pytest.mark.parametrize("action", ["start", "end"])
def test_an_unknown_user_or_unit_is_refused(demo_registry, action):
    with pytest.raises(CommandError, match=r"^no such user : nobody$"):
        manage(action, "nobody", *E001)
    with pytest.raises(CommandError, match=r"^no such unit : oss_community/oss_cluster/E999$"):
        manage(action, "e001", "oss_community", "oss_cluster", "E999")
    with pytest.raises(CommandError, match=r"^no such unit : other/oss_cluster/E001$"):
        manage(action, "e001", "other", "oss_cluster", "E001")
    assert Residency.objects.count() == 8


# ---- end --------------------------------------------------------------------------------------------------


def test_end_closes_the_open_period_and_the_user_becomes_a_former_resident(demo_registry, client_as):
    lines = manage("end", "e001", *E001, "--at", "2024-05-01T00:00:00Z")
    assert lines == [
        "e001 lived in oss_community/oss_cluster/E001 from 1900-01-01T00:00:00Z until 2024-05-01T00:00:00Z"
    ]
    assert periods() == [(datetime(1900, 1, 1, tzinfo=UTC), datetime(2024, 5, 1, tzinfo=UTC))]
    response = client_as("e001").post("/api/resident/scenario/choose", {**UNIT, "scenarioId": "1"})
    assert (response.status_code, response.content) == (400, b"not a current resident")


def test_end_without_a_time_ends_the_period_now(demo_registry):
    manage("end", "e001", *E001)
    [(_, end)] = periods()
    assert timezone.now() - timedelta(minutes=1) < end <= timezone.now()


def test_end_without_an_open_period_is_refused(demo_registry):
    live_in("e001", (hour(2), hour(4)))
    with pytest.raises(CommandError, match=r"^e001 has no open period in oss_community/oss_cluster/E001$"):
        manage("end", "e001", *E001)
    with pytest.raises(CommandError, match=r"^nonresident has no open period in "):
        manage("end", "nonresident", *E001)
    assert periods() == [(hour(2), hour(4))]


@pytest.mark.parametrize("at", ["2020-01-01T02:00:00Z", "2020-01-01T01:00:00Z"])
def test_end_at_or_before_the_start_is_refused(demo_registry, at):
    live_in("e001", (hour(2), None))
    with pytest.raises(CommandError, match="is not after the start 2020-01-01T02:00:00Z of the open period"):
        manage("end", "e001", *E001, "--at", at)
    assert periods() == [(hour(2), None)]


# ---- the real process -------------------------------------------------------------------------------------


def test_the_command_runs_in_its_own_process_on_a_migrated_database(tmp_path):
    env = sqlite_env(
        tmp_path, APIS_SECRET_KEY="residency-test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
    )

    def apis(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([APIS, "manage", *args], env=env, capture_output=True, text=True, timeout=120)

    assert apis("migrate", "-v0").returncode == 0
    assert apis("loaddata", "apis-demo", "-v0").returncode == 0
    ended = apis("residency", "end", "e001", *E001, "--at", "2024-05-01T00:00:00Z")
    assert ended.returncode == 0, ended.stderr
    assert "until 2024-05-01T00:00:00Z" in ended.stdout
    refused = apis("residency", "end", "e001", *E001)
    assert refused.returncode == 1
    assert refused.stderr.strip() == "CommandError: e001 has no open period in oss_community/oss_cluster/E001"
    listed = apis("residency", "list", "e001")
    assert listed.stdout.splitlines()[1].split()[-1] == "former"
