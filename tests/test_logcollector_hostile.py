"""Hostile datagrams cannot stop, wedge or delay ``apis logcollector``: texts longer than their columns are
cut, times far from the receipt are moved to the edge of the clock-skew window, a row the database still
refuses is dropped alone, and the line grammar takes linear time. Real UDP on 127.0.0.1, the real database,
and the real ``apis logcollector`` process for the end-to-end test."""

import logging
import signal
import socket
import subprocess
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from apis.apis_log.models import ApisLog
from tests.helpers import (
    ADVERSARIAL,
    APIS,
    MAIN_LINE,
    Running,
    command_env,
    free_port,
    in_thread,
    recent,
    wait_for,
)

TABLE = ApisLog._meta.db_table


def limit(column: str) -> int:
    return ApisLog._meta.get_field(column).max_length


def main_line(program="apis-main", unit="E001", thread="t", logger="a.B", message="m", offset=timedelta(0)):
    """An apis-main line dated now (plus ``offset``), and its time."""
    return recent(
        f"[[[{program}:{unit}]]] [{thread}] 2020-01-01T00:00:00Z INFO [{logger}]  {message}", offset
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("column", ["program_id", "unit_id", "thread", "loggername"])
@pytest.mark.parametrize("extra", [300, 1, 0], ids=["300 more", "one more", "exactly the limit"])
def test_a_text_longer_than_its_column_is_stored_cut_to_the_column_size(column, extra):
    length = limit(column) + extra
    value = ("x" * length) if column != "unit_id" else ("E0[0]3:" * length)[:length]
    fields = {"program_id": "program", "unit_id": "unit", "thread": "thread", "loggername": "logger"}
    running = Running()
    line, _ = main_line(**{fields[column]: value}, message="cut")
    running.send(line, MAIN_LINE)
    stats = running.stop()
    row = ApisLog.objects.get(message="cut")
    assert getattr(row, column) == value[: limit(column)]
    assert (stats.stored, stats.truncated, stats.rejected) == (2, 1 if extra else 0, 0)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("skew", [120, 3600])
def test_a_line_dated_beyond_the_clock_skew_is_stored_at_the_nearest_edge_of_the_window(settings, skew):
    settings.LOG_CLOCK_SKEW_SEC = skew
    window = timedelta(seconds=skew)
    running = Running()
    before = datetime.now(UTC)
    running.send(
        "[[[apis-main:E001]]] [t] 0001-01-01T00:00:00+14:00 INFO [x]  year 1",
        "[[[apis-main:E001]]] [t] 9999-12-31T23:59:59-12:00 INFO [x]  year 9999",
        main_line(message="a day ahead", offset=timedelta(days=1))[0],
        main_line(message="just beyond", offset=-window - timedelta(seconds=30))[0],
    )
    inside_late, late_time = main_line(message="inside, late", offset=window - timedelta(seconds=30))
    inside_early, early_time = main_line(message="inside, early", offset=timedelta(seconds=30) - window)
    running.send(inside_late, inside_early)
    wait_for(lambda: ApisLog.objects.count() == 6)
    after = datetime.now(UTC)
    stats = running.stop()
    stored = dict(ApisLog.objects.values_list("message", "datetime"))
    for message in ("year 1", "just beyond"):
        assert before - window <= stored[message] <= after - window
    for message in ("year 9999", "a day ahead"):
        assert before + window <= stored[message] <= after + window
    assert (stored["inside, late"], stored["inside, early"]) == (late_time, early_time)
    assert (stats.stored, stats.redated) == (6, 4)


@pytest.fixture
def refusing_table(transactional_db):
    """A trigger that makes the database refuse rows whose message starts with ``poison``: on PostgreSQL
    ``poison data`` with a data exception (22001) and ``poison integrity`` with a check violation (23514),
    on SQLite both with a constraint error. It stands for any row the database refuses for its data."""
    table = connection.ops.quote_name(TABLE)
    if connection.vendor == "sqlite":
        install = [
            f"CREATE TRIGGER refuse_poison BEFORE INSERT ON {table} WHEN NEW.message LIKE 'poison%' "
            "BEGIN SELECT RAISE(ABORT, 'poison refused'); END"
        ]
        remove = ["DROP TRIGGER refuse_poison"]
    else:
        install = [
            "CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "IF NEW.message = 'poison data' THEN "
            "RAISE EXCEPTION 'poison refused' USING ERRCODE = 'string_data_right_truncation'; END IF; "
            "IF NEW.message = 'poison integrity' THEN "
            "RAISE EXCEPTION 'poison refused' USING ERRCODE = 'check_violation'; END IF; "
            "RETURN NEW; END $$",
            f"CREATE TRIGGER refuse_poison BEFORE INSERT ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION refuse_poison()",
        ]
        remove = [f"DROP TRIGGER refuse_poison ON {table}", "DROP FUNCTION refuse_poison()"]
    with connection.cursor() as cursor:
        for statement in install:
            cursor.execute(statement)
    yield
    with connection.cursor() as cursor:
        for statement in remove:
            cursor.execute(statement)


def test_a_row_the_database_refuses_is_dropped_alone_and_the_rest_of_its_batch_is_stored(
    refusing_table, caplog
):
    running = Running()
    lines = [main_line(message=f"good {n}")[0] for n in range(40)]
    lines[7] = main_line(message="poison data")[0]
    lines[30] = main_line(message="poison integrity")[0]
    with caplog.at_level(logging.ERROR, logger="apis.apis_log.collector"):
        running.send(*lines)
        wait_for(lambda: running.collector.stats.stored == 38)
        running.send(main_line(message="after")[0])
        wait_for(lambda: ApisLog.objects.filter(message="after").exists())
    stats = running.stop()
    assert (stats.stored, stats.rejected, stats.dropped) == (39, 2, 0)
    assert not ApisLog.objects.filter(message__startswith="poison").exists()
    refused = [r for r in caplog.records if "the database refused a log line" in r.getMessage()]
    assert len(refused) == 1  # rate-limited: one report for both


@pytest.mark.django_db(transaction=True)
def test_a_flood_of_forged_lines_is_counted_and_logged_once_per_period(caplog):
    running = Running()
    with caplog.at_level(logging.WARNING, logger="apis.apis_log.collector"):
        running.send(*(main_line(message=f"future {n}", offset=timedelta(days=n + 1))[0] for n in range(30)))
        running.send(*(MAIN_LINE.replace(" INFO ", f" LOUD{n} ") for n in range(30)))
        stats = running.stop()
    messages = [record.getMessage() for record in caplog.records]
    assert (stats.redated, stats.filtered, stats.stored) == (30, 30, 30)
    assert len([m for m in messages if "more than 120 s from its receipt" in m]) == 1
    assert len([m for m in messages if "unknown level" in m]) == 1


# ---- the real process ---------------------------------------------------------------------------------


def hostile_datagrams() -> list[bytes]:
    """Every kind of datagram the collector was stopped, wedged or delayed by (dated now, where dated)."""
    lines = [
        main_line(thread="t" * 300, message="hostile thread")[0],
        main_line(logger="l" * 300, message="hostile logger")[0],
        main_line(unit="u" * 300, message="hostile unit")[0],
        main_line(program="p" * 300, message="hostile program")[0],
        "[[[apis-main:E001]]] [t] 0001-01-01T00:00:00+14:00 INFO [x]  hostile year 1",
        "[[[apis-main:E001]]] [t] 9999-12-31T23:59:59-12:00 INFO [x]  hostile year 9999",
        main_line(message="hostile future", offset=timedelta(days=1))[0],
        main_line(message="hostile \x00 NUL", thread="\x00")[0],
        *ADVERSARIAL.values(),
    ]
    return [b"\xff\xfe invalid \xc3\x28 UTF-8 \xed\xa0\x80", *(line.encode() for line in lines)]


def test_hostile_datagrams_cannot_stop_wedge_or_delay_the_collector_process(live_database, tmp_path):
    port = free_port(udp=True)
    command = [APIS, "logcollector", "--unicast", "--bind", f"127.0.0.1:{port}", "--community", "c"]
    env = command_env(live_database, tmp_path)
    process = subprocess.Popen([*command, "--cluster", "k"], env=env, stdout=subprocess.PIPE, text=True)
    hostile = hostile_datagrams()
    try:
        assert f"listening on 127.0.0.1:{port}" in process.stdout.readline()
        before = datetime.now(UTC)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            for payload in hostile:
                sock.sendto(payload, ("127.0.0.1", port))
                time.sleep(0.02)  # a receive buffer of the default size holds only a few 64 KB datagrams
            sent = time.monotonic()
            for n in range(20):
                sock.sendto(main_line(message=f"good {n}")[0].encode(), ("127.0.0.1", port))
        while in_thread(lambda: ApisLog.objects.filter(message__startswith="good ").count()) < 20:
            assert time.monotonic() - sent < 5, "the good lines were not stored promptly"
            assert process.poll() is None, "the collector exited"
            time.sleep(0.1)
        after = datetime.now(UTC)
        assert process.poll() is None
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            output, _ = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    total = len(hostile) + 20
    assert process.returncode == 0
    assert f"{total} received, {total} stored, 0 below level, 0 dropped, 0 refused by the database" in output
    rows = in_thread(
        lambda: {row.message: row for row in ApisLog.objects.filter(message__startswith="hostile")}
    )
    assert [len(rows["hostile thread"].thread), len(rows["hostile logger"].loggername)] == [
        limit("thread")
    ] * 2
    assert len(rows["hostile unit"].unit_id) == len(rows["hostile program"].program_id) == limit("unit_id")
    assert rows["hostile \ufffd NUL"].thread == "\ufffd"
    skew = timedelta(seconds=120)
    assert before - skew <= rows["hostile year 1"].datetime <= after - skew
    for message in ("hostile year 9999", "hostile future"):
        assert before + skew <= rows[message].datetime <= after + skew
    unparsed = in_thread(lambda: ApisLog.objects.filter(loglevel="SEVERE", program_id__isnull=True).count())
    assert unparsed == len(ADVERSARIAL) + 1  # stored whole as SEVERE, like the invalid UTF-8 datagram
