"""Deal reporting without the event bus: deals come from apis-main's deal-log files of every node (see
``dealfiles``), merged by ``dealId`` keeping the newest copy; only without deal-log directories does the ccc
fall back to apis-web's ``/deals``, which lists the live deals in a reduced form.

A deal is reported when its newest content changed since it was last reported, never with content older
than what was reported already (a node's stale copy), and, while it is not deactivated and its files are
still being rewritten, again every ``LIVE_REFRESH_SEC`` even if unchanged, so that the Service Center, which
counts a deal live while its ``reportTime`` is recent (300 s by default), keeps showing it.

The scan stats every file and reads only those that changed: each directory keeps a watermark, the newest
inode change time (``st_ctime``, which a copy or a restore cannot set back) of its files; files older than
the watermark less ``WINDOW_SEC`` are not read again. The watermarks are kept in
``<spool>/deal-log-state.json`` and advance only once a round's deals are in the spool, so a restart
re-reads at most the last window."""

import hashlib
import json
import logging
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import httpx

from apis.ccc.dealfiles import DealFile, newest, progress, read, walk
from apis.ccc.fetch import describe, get_json, printable
from apis.ccc.reports import deal_problem, saveworthy
from apis.ccc.spool import write_atomically

log = logging.getLogger("jp.co.sony.csl.dcoes.apis.tools.ccc.DealReporting")
LIVE_REFRESH_SEC = 60.0
WINDOW_SEC = 120
DEALS_PER_REPORT = 50
MAX_DEALS_ANSWER_BYTES = 8 * 1024 * 1024
STATE_FILE = "deal-log-state.json"
# apis-web's /deals has no dealId: a reduced deal gets a stable one derived from what identifies it.
REDUCED_NAMESPACE = uuid.UUID("5f0c7f2e-3a51-4f4e-9b7a-6c1d2e9a4b10")
REDUCED_FIELDS = {
    "chargingUnit": "chargeUnitId",
    "dischargingUnit": "dischargeUnitId",
    "requester": "requestUnitId",
    "responder": "acceptUnitId",
    "startTime": "createDateTime",
}

SpoolDeals = Callable[[list[dict]], bool]


def digest(deal: dict) -> str:
    return hashlib.sha256(json.dumps(deal, sort_keys=True).encode()).hexdigest()


@dataclass
class _Reported:
    digest: str
    progress: tuple
    final: bool
    at: float


class ReportTracker:
    """What was last reported of each deal, to decide whether a deal is due again."""

    def __init__(self) -> None:
        self.reported: dict[str, _Reported] = {}

    def due(self, deal_id: str, content: dict, refreshable: bool = True) -> bool:
        """Whether ``content`` should be reported (see the module)."""
        previous = self.reported.get(deal_id)
        if previous is None:
            return True
        if digest(content) == previous.digest:
            return refreshable and not previous.final and time.monotonic() - previous.at >= LIVE_REFRESH_SEC
        return progress(content) >= previous.progress

    def mark(self, deal_id: str, content: dict) -> None:
        state = progress(content)
        self.reported[deal_id] = _Reported(digest(content), state, state[0], time.monotonic())

    def keep_only(self, deal_ids: Iterable[str]) -> None:
        keep = set(deal_ids)
        self.reported = {deal_id: entry for deal_id, entry in self.reported.items() if deal_id in keep}


class DealLogScanner:
    """The deal-log directories of every node, scanned for deals to report."""

    def __init__(self, roots: Iterable[Path], state_path: Path) -> None:
        self.roots = [Path(root) for root in roots]
        self.state_path = state_path
        self.watermarks = self._load()
        self.seen: dict[Path, DealFile] = {}  # as last read
        self.broken: dict[Path, tuple[tuple[int, int, int], bool]] = {}  # unreadable at stamp, warned
        self.invalid: dict[str, str] = {}  # dealId → digest of content the Service Center would refuse
        self.unreadable_roots: set[Path] = set()
        self.tracker = ReportTracker()

    def _load(self) -> dict[str, int]:
        try:
            state = json.loads(self.state_path.read_text())
            marks = state["watermarks"]
            return {str(root): int(marks[str(root)]) for root in self.roots if str(root) in marks}
        except (OSError, ValueError, KeyError, TypeError):
            return {}

    def _save(self) -> None:
        write_atomically(self.state_path, json.dumps({"watermarks": self.watermarks}).encode())

    def _walk(self) -> dict[str, list[DealFile]]:
        """Every deal file of every readable directory, by name (= dealId)."""
        index: dict[str, list[DealFile]] = {}
        for root in self.roots:
            try:
                files = list(walk(root))
            except OSError as exc:
                if root not in self.unreadable_roots:
                    log.warning("deal-log directory %s not readable : %s", root, describe(exc))
                    self.unreadable_roots.add(root)
                continue
            if root in self.unreadable_roots:
                log.info("deal-log directory %s readable again", root)
                self.unreadable_roots.discard(root)
            for file in files:
                index.setdefault(file.path.name, []).append(file)
        return index

    def _candidate(self, file: DealFile) -> bool:
        """Changed since it was last read, and not older than the directory's window."""
        last = self.seen.get(file.path)
        return self._within_window(file) and (last is None or last.stamp != file.stamp)

    def _merge(self, files: list[DealFile]) -> tuple[dict | None, bool]:
        """``(newest content or None, settled)``. A copy unreadable for the first time at its stamp may be in
        the middle of a rewrite: the deal is not settled and waits a round. Unreadable a round later at the
        same stamp, it is broken: warned about once and left out."""
        copies, settled = [], True
        for file in files:
            try:
                copies.append((file, read(file)))
                self.broken.pop(file.path, None)
            except ValueError as exc:
                stamp, warned = self.broken.get(file.path, (None, False))
                if stamp != file.stamp:
                    self.broken[file.path] = (file.stamp, False)
                    settled = False
                elif not warned:
                    log.warning("deal-log file %s left out : %s", file.path, describe(exc))
                    self.broken[file.path] = (file.stamp, True)
        return (newest(copies)[1] if copies else None), settled

    def cycle(self, spool: SpoolDeals) -> int:
        """One round; ``spool`` stores a list of deals and answers whether it could. Returns how many deals
        were spooled; stops (to try again next round) when the spool could not take them."""
        index = self._walk()
        touched = [name for name, files in index.items() if any(self._candidate(file) for file in files)]
        touched.sort(key=lambda name: max(file.ctime_ns for file in index[name]))
        count = 0
        for start in range(0, len(touched), DEALS_PER_REPORT):
            chunk = touched[start : start + DEALS_PER_REPORT]
            due, settled = [], []
            for name in chunk:
                deal, done = self._merge(index[name])
                if not done:
                    continue
                settled.append(name)
                if deal is not None and self._reportable(name, deal) and self.tracker.due(name, deal):
                    due.append(deal)
            if due and not spool(due):
                return count
            for deal in due:
                self.tracker.mark(deal["dealId"], deal)
            for name in settled:
                self.seen.update((file.path, file) for file in index[name])
            count += len(due)
        self._advance(index)
        return count

    def _reportable(self, name: str, deal: dict) -> bool:
        if not saveworthy(deal):
            return False
        problem = deal_problem(deal)
        if problem is None:
            self.invalid.pop(name, None)
            return True
        if self.invalid.get(name) != digest(deal):
            log.warning("deal %s not reported : %s", printable(name), problem)
            self.invalid[name] = digest(deal)
        return False

    def _advance(self, index: dict[str, list[DealFile]]) -> None:
        """Raise each directory's watermark to its newest file and forget what falls below the window."""
        present = [file for files in index.values() for file in files]
        before = dict(self.watermarks)
        for root in self.roots:
            changes = [file.ctime_ns for file in present if file.root == root]
            if changes:
                self.watermarks[str(root)] = max(self.watermarks.get(str(root), 0), *changes)
        if self.watermarks != before:
            self._save()
        self.seen = {path: file for path, file in self.seen.items() if self._within_window(file)}
        paths = {file.path for file in present}
        self.broken = {path: entry for path, entry in self.broken.items() if path in paths}
        self.tracker.keep_only(path.name for path in self.seen)
        self.invalid = {name: value for name, value in self.invalid.items() if name in index}

    def _within_window(self, file: DealFile) -> bool:
        mark = self.watermarks.get(str(file.root))
        return mark is None or file.ctime_ns >= mark - WINDOW_SEC * 1_000_000_000


def reduced_deal(item: object) -> dict | None:
    """A deal of apis-web's reduced ``/deals`` form in the fields of the full deal, with a ``dealId``
    derived from its units, type and creation time (apis-web does not give apis-main's dealId); ``None``
    for an item that is not of that form."""
    if not isinstance(item, dict):
        return None
    deal = {}
    for reduced, full in REDUCED_FIELDS.items():
        value = item.get(reduced)
        if not isinstance(value, str) or not value:
            return None
        deal[full] = value
    request = item.get("request")
    if request not in ("CHARGE", "DISCHARGE"):
        return None
    deal["type"] = request.lower()
    if isinstance(item.get("isMasterDeal"), bool):
        deal["isMaster"] = item["isMasterDeal"]
    key = "|".join((deal["createDateTime"], deal["requestUnitId"], deal["acceptUnitId"], deal["type"]))
    deal["dealId"] = str(uuid.uuid5(REDUCED_NAMESPACE, key))
    return deal


class LiveDealsFallback:
    """Live deals from apis-web's ``/deals`` (reduced form; no amounts, no final state), for a ccc that
    cannot read the nodes' deal-log directories."""

    def __init__(self, client: httpx.Client, budo_url: str) -> None:
        self.client, self.url = client, f"{budo_url}/deals"
        self.tracker = ReportTracker()

    def cycle(self, spool: SpoolDeals) -> int:
        try:
            answer = get_json(self.client, self.url, MAX_DEALS_ANSWER_BYTES)
        except (httpx.HTTPError, ValueError) as exc:
            log.error("Communication failed with apis-web ; %s : %s", self.url, describe(exc))
            return 0
        if not isinstance(answer, list):
            log.warning("result is not a JSON array : %s", self.url)
            return 0
        log.info("size of result : %d", len(answer))
        deals = [
            deal for deal in map(reduced_deal, answer) if deal is not None and deal_problem(deal) is None
        ]
        if len(deals) < len(answer):
            log.warning("%d items of %s are not deals of apis-web's form", len(answer) - len(deals), self.url)
        self.tracker.keep_only(deal["dealId"] for deal in deals)
        due = [deal for deal in deals if self.tracker.due(deal["dealId"], deal)]
        if due and not spool(due):
            return 0
        for deal in due:
            self.tracker.mark(deal["dealId"], deal)
        return len(due)
