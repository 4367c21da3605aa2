"""``apis ccc`` stops promptly on SIGTERM even while every service waits on a peer that never answers (a
connection the system cannot cancel): a service manager's stop, or the demo's Ctrl-C, never hangs on it."""

import json
import socket
import subprocess
import time
from types import SimpleNamespace

from apis.ccc.main import CLOSE_WAIT_SEC
from tests.ccc.harness import ccc_config
from tests.helpers import APIS, wait_for

HOUR_MSEC = 3_600_000


def test_sigterm_stops_the_ccc_while_its_requests_hang(tmp_path):
    with socket.socket() as silent:  # accepts connections (backlog) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(64)
        port = silent.getsockname()[1]
        url = f"http://127.0.0.1:{port}"
        peers = SimpleNamespace(port=port, token="apis_" + "x" * 40, url=url, budo_url=url, nodes=[])
        config = ccc_config(tmp_path, peers, peers, period_msec=100)
        config["source"]["requestTimeoutMsec"] = HOUR_MSEC
        for section in ("unitDataReporting", "dealReporting", "scenarioAcquisition", "policyAcquisition"):
            config[section]["requestTimeoutMsec"] = HOUR_MSEC
        path = tmp_path / "config.json"
        path.write_text(json.dumps(config))
        log = tmp_path / "ccc.log"
        process = subprocess.Popen([APIS, "ccc", "--config", str(path)], stderr=log.open("wb"), cwd=tmp_path)
        try:
            wait_for(lambda: "reports waiting" in log.read_text(), 60, "the ccc started its services")
            time.sleep(1)  # its services are now blocked on the silent peer
            stopping = time.monotonic()
            process.terminate()
            process.wait(timeout=CLOSE_WAIT_SEC + 20)
            took = time.monotonic() - stopping
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    assert process.returncode == 0
    assert took < CLOSE_WAIT_SEC + 20
    assert "stopping without waiting longer for" in log.read_text()
