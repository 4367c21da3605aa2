"""The durable on-disk spool: every report is a file written (fsync, atomic rename) before it is sent, and
deleted only after the Service Center answered 200. Files are named ``<sequence>.<kind>.json`` and sent in
order; the sequence continues after a restart. The spool is bounded by ``max_files``: a report that does not
fit is refused, and every refusal is logged at SEVERE."""

import logging
import os
import threading
from pathlib import Path

log = logging.getLogger("jp.co.sony.csl.dcoes.apis.tools.ccc.Spool")
KINDS = ("unitData", "deal")


class SpoolFull(Exception):
    """The spool holds ``max_files`` reports."""


class Spool:
    def __init__(self, directory: Path, max_files: int) -> None:
        self.directory, self.max_files = Path(directory), max_files
        self.directory.mkdir(parents=True, exist_ok=True)
        for stale in self.directory.glob("*.tmp"):
            stale.unlink()
        self.lock = threading.Lock()
        self.ready = threading.Condition(self.lock)
        self.files = sorted(self.directory.glob("*.json"), key=_sequence)
        self.next = _sequence(self.files[-1]) + 1 if self.files else 0
        self.refused = 0

    def __len__(self) -> int:
        with self.lock:
            return len(self.files)

    def put(self, kind: str, body: bytes) -> Path:
        """Store one report durably; ``SpoolFull`` (logged at SEVERE) when the spool is full."""
        with self.lock:
            if len(self.files) >= self.max_files:
                self.refused += 1
                log.error(
                    "spool full (%d reports in %s): %s report dropped (%d dropped so far)",
                    len(self.files),
                    self.directory,
                    kind,
                    self.refused,
                )
                raise SpoolFull(kind)
            path = self.directory / f"{self.next:012d}.{kind}.json"
            self.next += 1
            temporary = path.with_suffix(".tmp")
            with open(temporary, "wb") as file:
                file.write(body)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, path)
            _sync_directory(self.directory)
            self.files.append(path)
            self.ready.notify_all()
            return path

    def batch(self, max_records: int, timeout: float) -> list[Path]:
        """The oldest reports of one kind, consecutive, at most ``max_records`` files (waits up to
        ``timeout`` for one)."""
        with self.lock:
            if not self.files:
                self.ready.wait(timeout)
            if not self.files:
                return []
            kind = _kind(self.files[0])
            chosen = []
            for path in self.files[:max_records]:
                if _kind(path) != kind:
                    break
                chosen.append(path)
            return chosen

    def remove(self, paths: list[Path]) -> None:
        """Delete sent reports."""
        with self.lock:
            for path in paths:
                path.unlink(missing_ok=True)
                self.files.remove(path)
            _sync_directory(self.directory)

    def wake(self) -> None:
        with self.lock:
            self.ready.notify_all()


def _sequence(path: Path) -> int:
    return int(path.name.split(".", 1)[0])


def _kind(path: Path) -> str:
    return path.name.split(".")[1]


def _sync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
