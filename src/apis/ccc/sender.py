"""The sender of one spool: posts the oldest reports (several merged into one JSON array), deletes them after
a 200 and retries the rest, so that an outage loses nothing and one bad report cannot block those behind it.

* An **outage** (no connection, a timeout, 502/503/504 from a proxy, 401/403/429 and the like) is retried,
  head first, with exponential backoff up to ``backoff_max``, for as long as it lasts.
* An **invalid** report (400/413/422 for it alone) is moved to ``rejected/`` at once.
* A **poisoned** report, one the Service Center itself fails on (500, 501, 505, …), is set aside: it waits
  (its own backoff) while the reports behind it are sent, and once it has failed ``max_server_error_tries``
  more times, each after the server had stored another report since its previous try, it is moved to
  ``rejected/``. When every report fails, as in a database outage behind the server, none of them counts
  as poisoned; a report alone in the spool waits, as it holds nothing back.
* A merged batch that fails with a 4xx of the invalid kind or a 5xx is halved until the culprit is alone.
* A 200 may list items the Service Center quarantined (``"rejected": [{"index", "field", "reason"}]``):
  each is logged at WARNING, and the report is done (they are not sent again).

Every rejection is logged at SEVERE and counted (``Spool.rejected``, ``quarantined``)."""

import json
import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from apis.ccc.config import Endpoint
from apis.ccc.fetch import TooLarge, describe, printable, read_limited
from apis.ccc.spool import Spool
from apis.core import jsonlimits

log = logging.getLogger("jp.co.sony.csl.dcoes.apis.tools.ccc.Sender")
MAX_FILES_PER_POST = 50
MAX_BODY_BYTES = 2 * 1024 * 1024
MAX_ANSWER_BYTES = 1024 * 1024
MAX_LOGGED_QUARANTINED = 100  # per answer; the rest is summed up in one line
INVALID = (400, 413, 422)
OUTAGE = (502, 503, 504)
FIRST_BACKOFF = 0.5


def merged_body(paths: list[Path]) -> tuple[bytes, list[Path]]:
    """One JSON array of the reports in ``paths`` (each a JSON array), stopping before ``MAX_BODY_BYTES``.
    ``FileNotFoundError`` names a report that is gone (deleted by hand)."""
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


def is_server_error(status: int | None) -> bool:
    """A 5xx of the Service Center itself (not a proxy's 502/503/504)."""
    return status is not None and 500 <= status < 600 and status not in OUTAGE


@dataclass
class _Suspect:
    """A report the server failed on: how often, how often after storing others, when to retry."""

    stored_before: int
    tries: int = 0
    strikes: int = 0
    due: float = 0.0


@dataclass(frozen=True)
class _Answer:
    """The status (``None`` without an answer) and the body (at most ``MAX_ANSWER_BYTES``)."""

    status: int | None
    body: bytes = b""


class Sender(threading.Thread):
    """Sends ``spool`` to ``endpoint`` until ``stop`` is set."""

    def __init__(
        self,
        spool: Spool,
        endpoint: Endpoint,
        token: str | None,
        backoff_max: float,
        max_server_error_tries: int,
        stop: threading.Event,
    ) -> None:
        super().__init__(name=f"ccc-sender-{spool.kind}", daemon=True)
        self.spool, self.endpoint, self.stop = spool, endpoint, stop
        self.backoff_max, self.max_tries = backoff_max, max_server_error_tries
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.client = httpx.Client(timeout=endpoint.timeout, verify=endpoint.verify, headers=headers)
        self.suspects: dict[Path, _Suspect] = {}
        self.quarantined = 0
        self.stored = 0  # requests the server answered with 200

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                self._send()
            except Exception:  # a bug or an unreadable spool: loud, and the sender goes on
                log.exception("sending the %s spool failed", self.spool.kind)
                self.stop.wait(self.backoff_max)
        self.client.close()

    def _send(self) -> None:
        limit, failures = MAX_FILES_PER_POST, 0
        while not self.stop.is_set():
            paths = self._due(limit)
            if not paths:
                continue
            try:
                body, paths = merged_body(paths)
            except FileNotFoundError as exc:
                gone = Path(exc.filename)
                log.warning("report %s left the spool %s by other means", gone.name, self.spool.directory)
                self.spool.remove([gone])
                self.suspects.pop(gone, None)
                continue
            answer = self._post(body)
            if answer.status == 200:
                self._stored(paths, answer.body)
                limit, failures = min(limit * 2, MAX_FILES_PER_POST), 0
                continue
            failures += 1
            if len(paths) > 1 and (answer.status in INVALID or is_server_error(answer.status)):
                limit = max(1, len(paths) // 2)  # halve the batch until the culprit is alone
                continue
            if answer.status in INVALID:
                self._reject(paths[0], f"rejected by the Service Center (HTTP {answer.status})")
                continue
            if is_server_error(answer.status):
                self._server_error(paths[0], answer.status)
                if failures == 1:
                    continue
            self.stop.wait(min(FIRST_BACKOFF * 2 ** (failures - 1), self.backoff_max))

    def _due(self, limit: int) -> list[Path]:
        """The next reports to post: up to ``limit`` consecutive ones that were not set aside, oldest first;
        only when there are none, a set-aside report that is due again, alone."""
        # The head holds ``limit`` reports not set aside, unless the spool is shorter.
        pending = self.spool.pending(timeout=1.0, count=limit + len(self.suspects))
        fresh = [path for path in pending if path not in self.suspects]
        if fresh:
            batch = []
            for path in pending:
                if path in self.suspects:
                    if batch:
                        break
                    continue
                batch.append(path)
                if len(batch) == limit:
                    break
            return batch
        now = time.monotonic()
        due = [path for path in pending if self.suspects[path].due <= now]
        if due:
            return due[:1]
        if pending:
            self.stop.wait(min(1.0, min(self.suspects[path].due for path in pending) - now))
        return []

    def _post(self, body: bytes) -> _Answer:
        try:
            with self.client.stream("POST", self.endpoint.url, content=body) as answer:
                try:
                    content = read_limited(answer, MAX_ANSWER_BYTES)
                except TooLarge:
                    content = b""
                status = answer.status_code
        except httpx.HTTPError as exc:
            log.error("Communication failed with ServiceCenter ; %s : %s", self.endpoint.shown, describe(exc))
            return _Answer(None)
        if status != 200:
            log.error(
                "Communication failed with ServiceCenter ; http post failed : %d : %s : %s",
                status,
                self.endpoint.shown,
                printable(content.decode("utf-8", "replace").strip()),
            )
        return _Answer(status, content)

    def _stored(self, paths: list[Path], answer: bytes) -> None:
        quarantined = _quarantined(answer)
        if quarantined:
            self._log_quarantined(paths, quarantined)
        self.spool.remove(paths)
        for path in paths:
            self.suspects.pop(path, None)
        self.stored += 1

    def _server_error(self, path: Path, status: int) -> None:
        suspect = self.suspects.setdefault(path, _Suspect(stored_before=self.stored))
        suspect.tries += 1
        if self.stored > suspect.stored_before:  # the server stored others since: this one is the problem
            suspect.strikes += 1
        suspect.stored_before = self.stored
        if suspect.strikes >= self.max_tries:
            self._reject(
                path,
                f"the Service Center failed on it (HTTP {status}) {suspect.strikes} more times, each after "
                "storing other reports",
            )
            return
        suspect.due = time.monotonic() + min(FIRST_BACKOFF * 2**suspect.tries, self.backoff_max)

    def _reject(self, path: Path, reason: str) -> None:
        target = self.spool.reject(path)
        self.suspects.pop(path, None)
        log.error(
            "report %s not sent: %s; moved to %s (%d %s reports rejected so far)",
            path.name,
            reason,
            target.parent,
            self.spool.rejected,
            self.spool.kind,
        )

    def _log_quarantined(self, paths: list[Path], items: list[dict]) -> None:
        """One WARNING per item the Service Center quarantined, naming its report file and the item."""
        located = []
        for path in paths:
            try:
                located += [(path.name, item) for item in json.loads(path.read_bytes())]
            except ValueError:
                continue
        for entry in items[:MAX_LOGGED_QUARANTINED]:
            index = entry.get("index")
            name, item = located[index] if isinstance(index, int) and 0 <= index < len(located) else ("?", {})
            log.warning(
                "item %s of the %s report (%s in %s) quarantined by the Service Center : field %s : %s",
                index,
                self.spool.kind,
                _item_name(item),
                name,
                printable(str(entry.get("field", ""))),
                printable(str(entry.get("reason", ""))),
            )
        if len(items) > MAX_LOGGED_QUARANTINED:
            log.warning("… and %d more items quarantined in that answer", len(items) - MAX_LOGGED_QUARANTINED)
        self.quarantined += len(items)


def _quarantined(answer: bytes) -> list[dict]:
    """The ``rejected`` items of a 200 answer (an answer without them, or not JSON, has none)."""
    try:
        document = jsonlimits.loads(answer) if answer else {}
    except ValueError:
        return []
    items = document.get("rejected") if isinstance(document, dict) else None
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []


def _item_name(item: object) -> str:
    """``deal <dealId>`` or ``unit <id> datasetId <n>`` of a reported item."""
    if not isinstance(item, dict):
        return "?"
    if "dealId" in item:
        return printable(f"deal {item['dealId']}")
    unit = item.get("oesunit", {}).get("id") if isinstance(item.get("oesunit"), dict) else None
    return printable(f"unit {unit} datasetId {item.get('datasetId')}")
