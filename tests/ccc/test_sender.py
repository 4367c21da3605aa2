"""The senders against a Service Center double on 127.0.0.1. A double, because what is tested here is the
ccc's answer to a Service Center that fails (500 on one report, 500 on all, 503, gone) or quarantines items,
and the real one must never answer 500: the double answers as the real ingest does otherwise (200
``{"stored", "skipped", "rejected"}``), and can be switched to each failure."""

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from apis.ccc.config import Endpoint
from apis.ccc.sender import Sender
from apis.ccc.spool import Spool
from tests.helpers import free_port, wait_for

TOKEN = "apis_0123456789abcdefghijklmnopqrstuvwxyz"


class ServiceCenterDouble:
    """Stores what is posted (``stored``: item → times stored); ``mode`` ``ok``, ``500`` (every report
    fails) or ``503``; an item holding ``"poison"`` makes its request fail with 500, one holding
    ``"quarantine"`` is quarantined in a 200."""

    def __init__(self, port: int = 0) -> None:
        self.mode = "ok"
        self.stored: dict[str, int] = {}
        self.requests = 0
        self.lock = threading.Lock()
        double = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                items = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                status, answer = double.answer(items)
                payload = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.port = self.server.server_address[1]

    def answer(self, items: list) -> tuple[int, dict]:
        with self.lock:
            self.requests += 1
            if self.mode != "ok":
                return int(self.mode), {"error": "down"}
            if any("poison" in json.dumps(item) for item in items):
                return 500, {"error": "server error"}
            rejected = [
                {"index": index, "field": "time", "reason": "invalid time"}
                for index, item in enumerate(items)
                if "quarantine" in json.dumps(item)
            ]
            for item in items:
                if "quarantine" not in json.dumps(item):
                    self.stored[item["name"]] = self.stored.get(item["name"], 0) + 1
            return 200, {"stored": len(items) - len(rejected), "skipped": 0, "rejected": rejected}

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def center():
    double = ServiceCenterDouble()
    yield double
    double.close()


@pytest.fixture
def run_sender(tmp_path):
    started = []

    def start(spool: Spool, port: int, uri: str = "/api/ccc/unitData", tries: int = 3) -> Sender:
        endpoint = Endpoint(f"http://127.0.0.1:{port}{uri}", 2.0, 1.0)
        stop = threading.Event()
        sender = Sender(spool, endpoint, TOKEN, backoff_max=0.2, max_server_error_tries=tries, stop=stop)
        sender.start()
        started.append((sender, stop))
        return sender

    yield start
    for sender, stop in started:
        stop.set()
        sender.spool.wake()
        sender.join(10)


def report(*names: str) -> bytes:
    return json.dumps([{"name": name} for name in names]).encode()


def test_a_poisoned_report_is_set_aside_after_n_tries_while_the_later_ones_are_stored(
    tmp_path, center, run_sender, caplog
):
    spool = Spool(tmp_path / "unitData", "unitData", 100, 10**7)
    spool.put(report("r0"))
    poisoned = spool.put(report("poison"))
    for n in range(1, 6):
        spool.put(report(f"r{n}"))  # merged with the poisoned report into one request at first
    with caplog.at_level(logging.ERROR):
        run_sender(spool, center.port, tries=3)
        cycle = 6
        while not (spool.rejected_directory / poisoned.name).exists():  # the ccc's reporting cycles go on
            assert cycle < 200, "the poisoned report is still in the spool"
            spool.put(report(f"r{cycle}"))
            cycle += 1
            threading.Event().wait(0.1)
        wait_for(lambda: len(spool) == 0, 30, "the spool drains")
    assert center.stored == {f"r{n}": 1 for n in range(cycle)}, "every later report, each once"
    assert spool.rejected == 1 and not (spool.directory / poisoned.name).exists()
    [severe] = [record for record in caplog.records if "not sent" in record.getMessage()]
    assert severe.levelname == "ERROR"  # SEVERE on the UDP log
    assert "failed on it (HTTP 500) 3 more times" in severe.getMessage()
    assert "1 unitData reports rejected so far" in severe.getMessage()


def test_a_server_failing_on_every_report_sets_none_aside(tmp_path, center, run_sender):
    spool = Spool(tmp_path / "unitData", "unitData", 100, 10**7)
    center.mode = "500"  # e.g. the database behind the Service Center is down
    for n in range(4):
        spool.put(report(f"r{n}"))
    run_sender(spool, center.port, tries=1)
    wait_for(lambda: center.requests >= 12, 30, "the sender keeps trying")
    center.mode = "ok"
    wait_for(lambda: len(spool) == 0, 30, "the spool drains once the server is back")
    assert center.stored == {f"r{n}": 1 for n in range(4)} and spool.rejected == 0


@pytest.mark.parametrize("outage", ["503", "refused"])
def test_an_outage_is_retried_with_backoff_and_nothing_is_set_aside(tmp_path, run_sender, outage):
    port = free_port()
    spool = Spool(tmp_path / "deal", "deal", 100, 10**7)
    for n in range(3):
        spool.put(report(f"d{n}"))
    center = ServiceCenterDouble(port) if outage == "503" else None
    if center:
        center.mode = "503"
    run_sender(spool, port, uri="/api/ccc/deal", tries=1)
    if center:
        wait_for(lambda: center.requests >= 5, 30, "retries during the outage")
        center.mode = "ok"
    else:
        threading.Event().wait(2)  # connection refused for a while
        center = ServiceCenterDouble(port)
    try:
        wait_for(lambda: len(spool) == 0, 30, "the spool drains after the outage")
        assert center.stored == {"d0": 1, "d1": 1, "d2": 1} and spool.rejected == 0
    finally:
        center.close()


def test_quarantined_items_are_logged_once_each_and_not_sent_again(tmp_path, center, run_sender, caplog):
    spool = Spool(tmp_path / "unitData", "unitData", 100, 10**7)
    spool.put(report("a", "quarantine-me", "b"))
    spool.put(report("c"))
    with caplog.at_level(logging.WARNING):
        sender = run_sender(spool, center.port)
        wait_for(lambda: len(spool) == 0, 30, "the spool drains")
    warnings = [record.getMessage() for record in caplog.records if "quarantined" in record.getMessage()]
    assert warnings == [
        "item 1 of the unitData report (unit None datasetId None in 000000000000.unitData.json) "
        "quarantined by the Service Center : field time : invalid time"
    ]
    assert center.requests == 1 and center.stored == {"a": 1, "b": 1, "c": 1}
    assert sender.quarantined == 1


def test_a_stuck_unit_data_spool_does_not_hold_back_the_deals(tmp_path, center, run_sender):
    units = Spool(tmp_path / "unitData", "unitData", 100, 10**7)
    deals = Spool(tmp_path / "deal", "deal", 100, 10**7)
    units.put(report("u0"))
    run_sender(units, free_port())  # nobody listens: unit data waits
    run_sender(deals, center.port, uri="/api/ccc/deal")
    for n in range(3):
        deals.put(report(f"d{n}"))
    wait_for(lambda: len(deals) == 0, 30, "the deals arrive")
    assert len(units) == 1 and center.stored == {"d0": 1, "d1": 1, "d2": 1}


def test_the_ingest_token_in_the_uri_is_never_logged(tmp_path, run_sender, caplog):
    spool = Spool(tmp_path / "unitData", "unitData", 100, 10**7)
    spool.put(report("u0"))
    with caplog.at_level(logging.ERROR):
        run_sender(spool, free_port(), uri=f"/api/ccc/t/{TOKEN}/unitData")
        wait_for(lambda: "Communication failed" in caplog.text, 30, "the failure is logged")
    assert TOKEN not in caplog.text and "/api/ccc/t/" in caplog.text


def test_a_report_deleted_by_hand_is_forgotten_and_the_others_sent(tmp_path, center, run_sender, caplog):
    spool = Spool(tmp_path / "deal", "deal", 100, 10**7)
    gone = spool.put(report("d0"))
    spool.put(report("d1"))
    gone.unlink()
    with caplog.at_level(logging.WARNING):
        run_sender(spool, center.port, uri="/api/ccc/deal")
        wait_for(lambda: len(spool) == 0, 30, "the spool drains")
    assert center.stored == {"d1": 1}
    assert f"report {gone.name} left the spool" in caplog.text
