"""``apis logcollector``: real UDP datagrams on loopback, stored in the real database."""

import signal
import socket
import subprocess
import time
from datetime import UTC, datetime

import pytest
from django.db import connection

from apis.apis_log.models import ApisLog
from apis.apis_log.parse import level_value, parse_line
from tests.helpers import APIS, MAIN_LINE, Running, command_env, free_port, recent, wait_for

CCC_LINE = (
    "[[[apis-ccc]]] [vert.x-eventloop-thread-1] 2020-11-24T12:16:10+09:00 INFO "
    "[jp.co.sony.csl.dcoes.apis.tools.ccc.UnitDataReporting]  reporting unit data ..."
)
SEVERE_TRACE = (
    "[[[apis-main:E002]]] [vert.x-worker-thread-3] 2020-11-24T12:16:11.5+09:00 SEVERE [a.b.Controller]  "
    "(HARDWARE:LOCAL:ERROR:E002) dcdc failed [a.b.C.m(C.java:10)]"
    "\njava.io.IOException: boom\n\tat a.b.C.m(C.java:10)"
)


def test_apis_main_line_gives_program_unit_and_message():
    line = parse_line(MAIN_LINE)
    assert (line.program, line.unit, line.thread, line.level) == (
        "apis-main",
        "E001",
        "vert.x-eventloop-thread-0",
        "INFO",
    )
    assert line.logger == "jp.co.sony.csl.dcoes.apis.main.controller.DataAcquisition"
    assert line.message == "uri : /get/unit/E001"
    assert line.datetime == datetime(2020, 11, 24, 3, 16, 9, 437000, tzinfo=UTC)


def test_tool_line_has_a_program_and_no_unit():
    line = parse_line(CCC_LINE)
    assert (line.program, line.unit) == ("apis-ccc", None)
    assert line.message == "reporting unit data ..."


def test_unit_ids_may_contain_brackets_and_colons_and_may_be_empty():
    tail = " [t] 2020-01-01T00:00:00+09:00 INFO [x]  m"
    assert (parse_line("[[[apis-main:E0[0]3]]]" + tail).unit) == "E0[0]3"
    assert (parse_line("[[[apis-main:a:b]]]" + tail).unit) == "a:b"
    empty = parse_line("[[[]]]" + tail)
    assert (empty.program, empty.unit) == ("", None)
    colon = parse_line("[[[:]]]" + tail)
    assert (colon.program, colon.unit) == ("", "")


def test_legacy_and_plain_vertx_lines_are_parsed():
    legacy = parse_line("[[E003]] [main] 2020-01-01T00:00:00+09:00 WARNING [x.Y]  careful")
    assert (legacy.program, legacy.unit, legacy.level, legacy.message) == (None, "E003", "WARNING", "careful")
    plain = parse_line("[main] 2020-01-01T00:00:00Z INFO [x.Y]  plain")
    assert (plain.program, plain.unit, plain.message) == (None, None, "plain")


def test_multi_line_message_keeps_the_stack_trace():
    line = parse_line(SEVERE_TRACE)
    assert line.level == "SEVERE"
    assert line.message.splitlines()[1:] == ["java.io.IOException: boom", "\tat a.b.C.m(C.java:10)"]


@pytest.mark.parametrize(
    ("prefix", "program", "unit"),
    [("[[[apis-ccc]]] ", "apis-ccc", None), ("[[E004]] ", None, "E004"), ("", None, None)],
    ids=["tool", "legacy", "plain"],
)
def test_a_stack_trace_keeps_its_program_unit_and_every_line_in_every_format(prefix, program, unit):
    trace = "failed [x]  again\njava.io.IOException: [[E009]] boom\n\tat a.b.C.m(C.java:10)\n"
    line = parse_line(f"{prefix}[worker-1] 2020-01-01T00:00:00+09:00 SEVERE [a.b.C]  {trace}")
    assert (line.program, line.unit, line.thread, line.logger) == (program, unit, "worker-1", "a.b.C")
    assert line.message == trace


@pytest.mark.parametrize(
    "text",
    [
        "hello world",
        "[[[apis-main:E001]]] [t] yesterday INFO [x]  m",
        "[t] 2020-01-01T00:00:00 INFO [x]  no offset",
    ],
)
def test_lines_of_no_known_format_are_not_parsed(text):
    assert parse_line(text) is None


@pytest.mark.django_db(transaction=True)
def test_unicast_datagrams_are_stored_with_the_collectors_community_and_cluster():
    running = Running()
    main_line, sent_at = recent(MAIN_LINE)
    running.send(main_line, CCC_LINE, SEVERE_TRACE, "garbage that is no log line")
    stats = running.stop()
    assert stats.stored == 4
    rows = {row.message.splitlines()[0]: row for row in ApisLog.objects.all()}
    main = rows["uri : /get/unit/E001"]
    assert (main.community_id, main.cluster_id, main.program_id, main.unit_id) == (
        "c1",
        "k1",
        "apis-main",
        "E001",
    )
    assert main.datetime == sent_at
    assert main.address.startswith("127.0.0.1:")
    raw = rows["garbage that is no log line"]
    assert (raw.loglevel, raw.program_id, raw.unit_id) == ("SEVERE", None, None)


@pytest.mark.django_db(transaction=True)
def test_a_datagram_with_a_nul_byte_is_stored_without_blocking_the_others():
    running = Running()
    running.send(MAIN_LINE.replace("uri : ", "uri : \x00"), CCC_LINE)
    stats = running.stop()
    assert stats.stored == 2
    assert ApisLog.objects.filter(message="uri : \ufffd/get/unit/E001").exists()


@pytest.mark.django_db(transaction=True)
def test_lines_below_the_level_and_mongodb_driver_lines_are_dropped():
    running = Running(level="WARNING")
    fine = MAIN_LINE.replace(" INFO ", " FINE ")
    mongo = "[[[apis-log]]] [t] 2020-01-01T00:00:00Z SEVERE [org.mongodb.driver.cluster]  loop"
    warning = MAIN_LINE.replace(" INFO ", " WARNING ")
    running.send(MAIN_LINE, fine, mongo, warning)
    stats = running.stop()
    assert list(ApisLog.objects.values_list("loglevel", flat=True)) == ["WARNING"]
    assert (stats.received, stats.stored, stats.filtered) == (4, 1, 3)


@pytest.mark.django_db(transaction=True)
def test_multicast_group_members_receive_and_store_lines():
    running = Running(host="0.0.0.0", group="224.2.2.4")
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sender.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 0)  # never leaves this host
    sender.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 1)
    running.send(MAIN_LINE, sender=sender, to=("224.2.2.4", running.collector.address[1]))
    wait_for(lambda: ApisLog.objects.exists())
    running.stop()
    assert ApisLog.objects.get().unit_id == "E001"


def _rename_log_table(old: str, new: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"ALTER TABLE {connection.ops.quote_name(old)} RENAME TO {connection.ops.quote_name(new)}"
        )


@pytest.mark.django_db(transaction=True)
def test_lines_received_while_the_table_is_unavailable_are_stored_once_it_returns():
    table = ApisLog._meta.db_table
    running = Running()
    _rename_log_table(table, "apislog_away")
    try:
        running.send(*(MAIN_LINE.replace("uri : ", f"uri : {n} ") for n in range(50)))
        wait_for(lambda: running.collector.stats.received == 50)
        time.sleep(1.5)  # at least one failed flush happens while the table is away
    finally:
        _rename_log_table("apislog_away", table)
    wait_for(lambda: ApisLog.objects.count() == 50)
    stats = running.stop()
    assert stats.dropped == 0
    assert ApisLog.objects.values("message").distinct().count() == 50


@pytest.mark.django_db(transaction=True)
def test_a_full_buffer_drops_and_counts_the_excess_lines():
    table = ApisLog._meta.db_table
    running = Running(buffer_lines=5)
    _rename_log_table(table, "apislog_away")
    try:
        running.send(*[MAIN_LINE] * 20)
        wait_for(lambda: running.collector.stats.received == 20)
    finally:
        _rename_log_table("apislog_away", table)
    stats = running.stop()
    assert (stats.dropped, stats.stored) == (15, 5)
    assert ApisLog.objects.count() == 5


def test_the_command_stores_lines_and_reports_counts_when_stopped(tmp_path):
    env = command_env(f"sqlite:///{tmp_path / 'log.sqlite3'}", tmp_path)
    subprocess.run([APIS, "manage", "migrate", "-v", "0"], env=env, check=True)
    port = free_port(udp=True)
    command = [
        APIS,
        "logcollector",
        "--unicast",
        "--bind",
        f"127.0.0.1:{port}",
        "--community",
        "c",
        "--cluster",
        "k",
    ]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
    assert f"listening on 127.0.0.1:{port}" in process.stdout.readline()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for _ in range(3):
            sock.sendto(MAIN_LINE.encode(), ("127.0.0.1", port))
    time.sleep(1.5)  # let the datagrams arrive before asking it to stop
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=30)
    assert process.returncode == 0
    assert "3 received, 3 stored" in output


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--bind", "nowhere", "--community", "c", "--cluster", "k"], "expected HOST:PORT"),
        (["--bind", "127.0.0.1:²", "--community", "c", "--cluster", "k"], "expected HOST:PORT"),
        (["--level", "LOUD", "--community", "c", "--cluster", "k"], "unknown log level 'LOUD'"),
        (["--cluster", "k"], "--community"),
    ],
)
def test_bad_arguments_are_refused_with_a_clear_message(tmp_path, arguments, message):
    env = command_env(f"sqlite:///{tmp_path / 'log.sqlite3'}", tmp_path)
    result = subprocess.run(
        [APIS, "logcollector", *arguments], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert message in result.stderr


def test_an_unknown_level_name_is_refused_with_the_names_it_could_be():
    with pytest.raises(ValueError) as refused:
        level_value("LOUD")
    assert str(refused.value) == (
        "unknown log level 'LOUD' "
        "(expected one of OFF, SEVERE, WARNING, INFO, CONFIG, FINE, FINER, FINEST, ALL)"
    )
