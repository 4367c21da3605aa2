"""``apis serve`` as a subprocess on a free loopback port, and logged-in staff sessions against it."""

import logging
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

APIS = str(Path(sys.executable).with_name("apis"))
logging.getLogger("httpx").setLevel(logging.WARNING)  # one INFO line per request otherwise


def failure(answer: httpx.Response) -> str:
    """A one-line description of an unexpected answer (HTML error pages reduced to their status)."""
    if answer.headers.get("content-type", "").startswith("text/html"):
        return f"HTTP {answer.status_code}"
    return f"HTTP {answer.status_code}: {' '.join(answer.text.split())[:120]}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """Context manager: starts ``apis serve --bind 127.0.0.1:<port> --workers N``, waits until it answers,
    stops it (SIGTERM, then kill after 30 s) on exit. ``url`` is its base URL."""

    def __init__(self, env: dict[str, str], workers: int, log: Path) -> None:
        self.env, self.workers, self.log = env, workers, log
        self.url = f"http://127.0.0.1:{_free_port()}"
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "Server":
        bind = self.url.removeprefix("http://")
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [APIS, "serve", "--bind", bind, "--workers", str(self.workers)],
                env=self.env,
                stdout=log,
                stderr=log,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"apis serve exited with {self.process.returncode}; see {self.log}")
            try:
                if httpx.get(self.url + "/api/core/csrftoken", timeout=2).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        self.__exit__()
        raise RuntimeError(f"apis serve did not answer within 60 s; see {self.log}")

    def __exit__(self, *exc: object) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def staff_session(url: str, username: str, password: str) -> httpx.Client:
    """A client logged in through ``/api/core/csrftoken`` and ``/api/core/login``."""
    client = httpx.Client(base_url=url, timeout=120)
    token = client.get("/api/core/csrftoken").json()["csrfmiddlewaretoken"]
    answer = client.post(
        "/api/core/login", data={"username": username, "password": password, "csrfmiddlewaretoken": token}
    )
    if answer.status_code != 200:
        raise RuntimeError(f"login failed: {failure(answer)}")
    return client
