"""The watchdog kick: an HTTP GET to a real loopback server; anything but 200 is logged at SEVERE."""

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from apis.ccc.config import parse_config
from apis.ccc.main import Ccc

EXAMPLE = Path(__file__).parents[2] / "docs" / "ccc-config.example.json"


@pytest.fixture
def watchdog():
    """A watchdog daemon answering 200 on ``/restart`` and 404 elsewhere; ``kicks`` lists the paths."""
    kicks: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            kicks.append(self.path)
            self.send_response(200 if self.path == "/restart" else 404)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1], kicks
    server.shutdown()
    server.server_close()


def ccc_with_watchdog(tmp_path, port: int, uri: str) -> Ccc:
    data = json.loads(EXAMPLE.read_text())
    data["spool"]["directory"] = str(tmp_path / "spool")
    data["source"]["dealLogDirectories"] = [str(tmp_path / "dealLog")]
    data["watchdog"] = {"enabled": True, "periodMsec": 1000, "host": "127.0.0.1", "port": port, "uri": uri}
    return Ccc(parse_config(data))


def test_a_kick_is_a_get_of_the_configured_uri(tmp_path, watchdog, caplog):
    port, kicks = watchdog
    ccc = ccc_with_watchdog(tmp_path, port, "/restart")
    with caplog.at_level(logging.ERROR):
        ccc.kick_watchdog()
    ccc.close()
    assert kicks == ["/restart"] and not caplog.records


def test_a_refused_kick_is_severe(tmp_path, watchdog, caplog):
    port, _ = watchdog
    ccc = ccc_with_watchdog(tmp_path, port, "/elsewhere")
    with caplog.at_level(logging.ERROR):
        ccc.kick_watchdog()
    ccc.close()
    assert "http get failed : 404" in caplog.text
