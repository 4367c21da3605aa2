"""apis-main's deal-log files (apis-ecosystem §1.3, §3.6; apis-main ``DealLogging``): every node writes the
deals it takes part in to its own directory, ``<dealLogDir>/yyyy/MM/dd/<dealId>`` (the day of
``createDateTime``), one compact JSON object per file. It rewrites the file in place (truncate, then write:
a reader may see it empty or cut short) every ``mediator.dealLoggingPeriodMsec`` while the deal is
saveworthy, and once more when the grid master disposes of it. So one deal has a file on each of its two
units' nodes, and the two need not hold the same state.

**Newest** is decided from the deal's own fields, because the files' times cannot say it: the nodes' clocks
differ, a copied or re-mounted file keeps or loses its mtime, and a node's periodic rewrite may land just
after the disposal write with the older state it read a moment before. A deal only ever gains state, so the
copy that is further along wins: deactivated over not, then more life-cycle steps (activate … deactivate,
resets, aborts), then the latest of its times (``cumulateDateTime`` advances every loop), then the larger
``cumulateAmountWh``; the file's mtime decides only between copies equal in all of these."""

import logging
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from apis.ccc.fetch import describe
from apis.ccc.reports import deal_times, local_time
from apis.core import jsonlimits

log = logging.getLogger("jp.co.sony.csl.dcoes.apis.tools.ccc.DealLog")
MAX_FILE_BYTES = 1024 * 1024  # a deal is about 2 KB
MAX_DEPTH = 8  # <dealLogDir>/yyyy/MM/dd/<dealId> is depth 4
LIFE_CYCLE = (
    "activateDateTime",
    "rampUpDateTime",
    "warmUpDateTime",
    "startDateTime",
    "stopDateTime",
    "deactivateDateTime",
)


@dataclass(frozen=True)
class DealFile:
    """One deal-log file and its stat at the time of the walk."""

    path: Path
    root: Path
    mtime_ns: int
    ctime_ns: int
    size: int

    @property
    def stamp(self) -> tuple[int, int, int]:
        """What changes when the file is rewritten."""
        return self.mtime_ns, self.ctime_ns, self.size


def plausible_name(name: str) -> bool:
    """A file name that can be a dealId (apis-main names the file after it; a UUID in practice)."""
    return 0 < len(name) <= 128 and not name.startswith(".") and name.isprintable() and "~" not in name


def walk(root: Path) -> Iterator[DealFile]:
    """The plausible deal files under ``root``, at most ``MAX_DEPTH`` levels down, symbolic links not
    followed. ``OSError`` when ``root`` itself cannot be read; unreadable subdirectories are skipped."""
    stack = [(Path(root), 0)]
    while stack:
        directory, depth = stack.pop()
        try:
            entries = list(os.scandir(directory))
        except OSError:
            if depth == 0:
                raise
            continue
        for entry in entries:
            try:
                if entry.is_symlink():
                    continue
                if entry.is_dir():
                    if depth + 1 < MAX_DEPTH and not entry.name.startswith("."):
                        stack.append((Path(entry.path), depth + 1))
                elif entry.is_file() and plausible_name(entry.name):
                    stat = entry.stat()
                    yield DealFile(
                        Path(entry.path), Path(root), stat.st_mtime_ns, stat.st_ctime_ns, stat.st_size
                    )
            except OSError:
                continue  # removed while we looked


def read(file: DealFile) -> dict:
    """The deal in ``file``; ``ValueError`` naming the problem (empty or cut short while apis-main rewrites
    it, too large, not a deal, not the deal its name says)."""
    if file.size > MAX_FILE_BYTES:
        raise ValueError(f"larger than {MAX_FILE_BYTES} bytes")
    try:
        with open(file.path, "rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ValueError(f"unreadable: {describe(exc)}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise ValueError(f"larger than {MAX_FILE_BYTES} bytes")
    if not raw.strip():
        raise ValueError("empty")
    deal = jsonlimits.loads(raw)
    if not isinstance(deal, dict):
        raise ValueError("not a JSON object")
    if deal.get("dealId") != file.path.name:
        raise ValueError(f"dealId {str(deal.get('dealId'))[:40]!r} is not the file's name")
    return deal


def _is_time(value: object) -> bool:
    try:
        return local_time(value) is not None
    except ValueError:
        return False


def progress(deal: dict) -> tuple:
    """How far a deal's life cycle has come, comparable between two copies of it (see the module)."""
    steps = sum(_is_time(deal.get(key)) for key in LIFE_CYCLE)
    for key in ("reset", "abort"):
        if isinstance(deal.get(key), list):
            steps += len(deal[key])
    try:
        latest = max(deal_times(deal), default=datetime.min)
    except ValueError:
        latest = datetime.min
    amount = deal.get("cumulateAmountWh")
    amount = float(amount) if isinstance(amount, int | float) and not isinstance(amount, bool) else -1.0
    return _is_time(deal.get("deactivateDateTime")), steps, latest, amount


def newest(copies: Iterable[tuple[DealFile, dict]]) -> tuple[DealFile, dict]:
    """The copy of a deal that is furthest along (the file's mtime only as the last tie-break)."""
    return max(copies, key=lambda copy: (progress(copy[1]), copy[0].mtime_ns))


def collect(roots: Iterable[Path]) -> dict[str, dict]:
    """Every deal in the directories ``roots`` (one per node), the newest copy of each; unreadable
    directories and files are logged and left out."""
    copies: dict[str, list[tuple[DealFile, dict]]] = {}
    for root in roots:
        try:
            files = list(walk(root))
        except OSError as exc:
            log.warning("deal-log directory %s not readable : %s", root, describe(exc))
            continue
        for file in files:
            try:
                copies.setdefault(file.path.name, []).append((file, read(file)))
            except ValueError as exc:
                log.warning("deal-log file %s left out : %s", file.path, describe(exc))
    return {name: newest(found)[1] for name, found in copies.items()}
