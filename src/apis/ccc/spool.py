"""The durable on-disk spools, one per report kind (``<directory>/unitData``, ``<directory>/deal``), so that
a report of one kind the Service Center does not take never holds back the other kind.

Every report is a file written (fsync, atomic rename, directory fsync) before it is sent, and deleted only
after the Service Center answered 200. Files are named ``<sequence>.<kind>.json``; the sequence continues
after a restart. A spool is bounded by ``max_files`` and ``max_bytes``: a report that does not fit is refused,
and every refusal is logged at SEVERE. Reports the Service Center cannot take are moved to ``rejected/``,
kept for inspection within the same bounds: beyond them the oldest rejected reports are deleted (logged).

``open_spools`` moves the files of the old single-spool layout (every kind in ``<directory>`` itself) into
their kind's spool, keeping their sequence and so their order.
"""

import logging
import os
import re
import threading
from collections.abc import Iterable
from pathlib import Path

log = logging.getLogger("jp.co.sony.csl.dcoes.apis.tools.ccc.Spool")
KINDS = ("unitData", "deal")
REJECTED = "rejected"
OBSOLETE_FILES = ("completed-deals.cursor",)  # the old layout's cursor of a deal endpoint apis-web lacks


class SpoolFull(Exception):
    """The spool holds ``max_files`` reports or ``max_bytes`` bytes."""


class Spool:
    """The spool of one report kind in ``directory``; thread-safe."""

    def __init__(self, directory: Path, kind: str, max_files: int, max_bytes: int) -> None:
        self.directory, self.kind = Path(directory), kind
        self.max_files, self.max_bytes = max_files, max_bytes
        self.directory.mkdir(parents=True, exist_ok=True)
        for stale in self.directory.glob("*.tmp"):
            stale.unlink()
        self.lock = threading.Lock()
        self.ready = threading.Condition(self.lock)
        self.files = report_files(self.directory, kind)
        self.sizes = {path: path.stat().st_size for path in self.files}
        self.bytes = sum(self.sizes.values())
        self.next = sequence(self.files[-1]) + 1 if self.files else 0
        self.refused = 0
        self.rejected = 0

    def __len__(self) -> int:
        with self.lock:
            return len(self.files)

    @property
    def rejected_directory(self) -> Path:
        return self.directory / REJECTED

    def put(self, body: bytes) -> Path:
        """Store one report durably; ``SpoolFull`` (logged at SEVERE) when it does not fit."""
        with self.lock:
            if len(self.files) >= self.max_files or self.bytes + len(body) > self.max_bytes:
                self.refused += 1
                log.error(
                    "spool full (%d reports, %d bytes in %s): %s report dropped (%d dropped so far)",
                    len(self.files),
                    self.bytes,
                    self.directory,
                    self.kind,
                    self.refused,
                )
                raise SpoolFull(self.kind)
            path = self.directory / f"{self.next:012d}.{self.kind}.json"
            self.next += 1
            temporary = path.with_suffix(".tmp")
            with open(temporary, "wb") as file:
                file.write(body)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, path)
            sync_directory(self.directory)
            self.files.append(path)
            self.sizes[path] = len(body)
            self.bytes += len(body)
            self.ready.notify_all()
            return path

    def pending(self, timeout: float, count: int | None = None) -> list[Path]:
        """The oldest ``count`` waiting reports (all without ``count``), oldest first; waits up to ``timeout``
        while there is none."""
        with self.lock:
            if not self.files:
                self.ready.wait(timeout)
            return self.files[:count]

    def remove(self, paths: Iterable[Path]) -> None:
        """Delete sent reports."""
        with self.lock:
            for path in paths:
                path.unlink(missing_ok=True)
                self._forget(path)
            sync_directory(self.directory)

    def reject(self, path: Path) -> Path:
        """Move a report the Service Center cannot take to ``rejected/``; returns its new path."""
        with self.lock:
            self.rejected_directory.mkdir(exist_ok=True)
            target = self.rejected_directory / path.name
            os.replace(path, target)
            self._bound_rejected()
            sync_directory(self.rejected_directory)
            sync_directory(self.directory)
            self._forget(path)
            self.rejected += 1
            return target

    def _bound_rejected(self) -> None:
        """Delete the oldest rejected reports while ``rejected/`` holds more than the spool's bounds."""
        kept = report_files(self.rejected_directory, self.kind)
        sizes = [path.stat().st_size for path in kept]
        total, deleted = sum(sizes), 0
        while len(kept) - deleted > self.max_files or total > self.max_bytes:
            kept[deleted].unlink(missing_ok=True)
            total -= sizes[deleted]
            deleted += 1
        if deleted:
            log.warning(
                "%s holds at most %d reports and %d bytes: %d oldest rejected %s reports deleted",
                self.rejected_directory,
                self.max_files,
                self.max_bytes,
                deleted,
                self.kind,
            )

    def wake(self) -> None:
        with self.lock:
            self.ready.notify_all()

    def _forget(self, path: Path) -> None:
        if path in self.sizes:
            self.files.remove(path)
            self.bytes -= self.sizes.pop(path)


def open_spools(directory: Path, max_files: int, max_bytes: int) -> dict[str, Spool]:
    """The spool of every kind under ``directory``, after moving in what the old layout left there."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    spools = {}
    for kind in KINDS:
        target = directory / kind
        target.mkdir(exist_ok=True)
        moved = _move(report_files(directory, kind), target)
        moved += _move(report_files(directory / REJECTED, kind), target / REJECTED)
        if moved:
            log.info("%d %s reports of the old spool layout moved to %s", moved, kind, target)
        spools[kind] = Spool(target, kind, max_files, max_bytes)
    for name in OBSOLETE_FILES:
        (directory / name).unlink(missing_ok=True)
    for stale in directory.glob("*.tmp"):
        stale.unlink()
    if (directory / REJECTED).is_dir() and not any((directory / REJECTED).iterdir()):
        (directory / REJECTED).rmdir()
    return spools


def _move(paths: Iterable[Path], target: Path) -> int:
    """Rename ``paths`` into ``target`` (same file system, each rename atomic); returns how many."""
    paths = list(paths)
    if not paths:
        return 0
    target.mkdir(exist_ok=True)
    for path in paths:
        os.replace(path, target / path.name)
    sync_directory(target)
    sync_directory(paths[0].parent)
    return len(paths)


def report_files(directory: Path, kind: str) -> list[Path]:
    """The spool files ``<sequence>.<kind>.json`` in ``directory``, in sequence order (other files are not
    the spool's and stay where they are)."""
    name = re.compile(rf"^\d{{1,18}}\.{kind}\.json$")
    if not directory.is_dir():
        return []
    return sorted((path for path in directory.iterdir() if name.match(path.name)), key=sequence)


def sequence(path: Path) -> int:
    """The sequence number of a spool file."""
    return int(path.name.split(".", 1)[0])


def write_atomically(path: Path, content: bytes) -> None:
    """Write ``content`` to ``path`` through a temporary file, fsync and rename (readers see old or new)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    with open(temporary, "wb") as file:
        file.write(content)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, path)
    sync_directory(path.parent)


def sync_directory(directory: Path) -> None:
    """fsync a directory, so that a rename or unlink in it survives a power loss."""
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
