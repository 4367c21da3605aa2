"""The spool's sender thread: posts the oldest reports (consecutive reports of one kind merged into one JSON
array), deletes them after a 200, and retries everything else with exponential backoff. A report the
Service Center rejects as invalid (400/413/422, alone in its request), or of a kind whose reporting is now
disabled, is moved to ``rejected/`` and logged at SEVERE so that it cannot block the spool."""

import logging
import threading
from pathlib import Path

import httpx

from apis.ccc.spool import Spool

log = logging.getLogger("jp.co.sony.csl.dcoes.apis.tools.ccc.Sender")
MAX_FILES_PER_POST = 50
MAX_BODY_BYTES = 2 * 1024 * 1024
INVALID = (400, 413, 422)
FIRST_BACKOFF = 0.5


def merged_body(paths: list[Path]) -> tuple[bytes, list[Path]]:
    """One JSON array of the reports in ``paths`` (each a JSON array), stopping before ``MAX_BODY_BYTES``."""
    parts, used, size = [], [], 2
    for path in paths:
        inner = path.read_bytes().strip()[1:-1].strip()
        if used and size + len(inner) + 1 > MAX_BODY_BYTES:
            break
        used.append(path)
        if inner:
            parts.append(inner)
            size += len(inner) + 1
    return b"[" + b",".join(parts) + b"]", used


class Sender(threading.Thread):
    """``urls`` maps a report kind to its endpoint URL."""

    def __init__(
        self,
        spool: Spool,
        urls: dict[str, str],
        token: str,
        timeout: float,
        backoff_max: float,
        stop: threading.Event,
    ) -> None:
        super().__init__(name="ccc-sender", daemon=True)
        self.spool, self.urls, self.stop = spool, urls, stop
        self.backoff_max = backoff_max
        self.client = httpx.Client(timeout=timeout, headers={"Authorization": f"Bearer {token}"})
        self.sent_records = 0

    def run(self) -> None:
        backoff, single = FIRST_BACKOFF, False
        while not self.stop.is_set():
            paths = self.spool.batch(1 if single else MAX_FILES_PER_POST, timeout=1.0)
            if not paths:
                continue
            url = self.urls.get(paths[0].name.split(".")[1])
            if url is None:  # left by a run where this reporting was enabled
                self._reject(paths[0], "its reporting is disabled")
                continue
            body, paths = merged_body(paths)
            outcome = self._post(url, body)
            if outcome == 200:
                self.spool.remove(paths)
                backoff, single = FIRST_BACKOFF, False
            elif outcome in INVALID and len(paths) > 1:
                single = True  # find the invalid report by sending one at a time
            elif outcome in INVALID:
                self._reject(paths[0], f"rejected by the Service Center (HTTP {outcome})")
            else:
                self.stop.wait(backoff)
                backoff = min(backoff * 2, self.backoff_max)
        self.client.close()

    def _post(self, url: str, body: bytes) -> int | None:
        try:
            answer = self.client.post(url, content=body, headers={"Content-Type": "application/json"})
        except httpx.HTTPError as exc:
            log.error("Communication failed with ServiceCenter ; %s", exc or type(exc).__name__)
            return None
        if answer.status_code != 200:
            log.error(
                "Communication failed with ServiceCenter ; http post failed : %d : %s",
                answer.status_code,
                answer.text[:200],
            )
        return answer.status_code

    def _reject(self, path: Path, reason: str) -> None:
        rejected = self.spool.directory / "rejected"
        rejected.mkdir(exist_ok=True)
        path.replace(rejected / path.name)
        self.spool.remove([path])
        log.error("report %s not sent: %s; moved to %s", path.name, reason, rejected)
