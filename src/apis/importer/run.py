"""The import loop: stream a file's documents, validate each, store them batch by batch.

Every batch is one transaction, so an interrupted import keeps whole batches only; as every store is
idempotent, running the import again finishes the work and counts what is already there as skipped.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction

from apis.importer.handlers import Handler
from apis.importer.sources import Refused, Source, SourceError
from apis.importer.values import Rejected

REASONS_KEPT = 5


@dataclass
class Tally:
    """What happened to the documents of one collection."""

    files: int = 0
    read: int = 0
    imported: int = 0
    skipped: int = 0
    rejected: int = 0
    reasons: list[str] = field(default_factory=list)

    def reject(self, reason: str) -> None:
        self.rejected += 1
        if len(self.reasons) < REASONS_KEPT:
            self.reasons.append(reason)


def import_source(
    source: Source, handler: Handler, tally: Tally, batch_size: int, progress: Callable[[], None]
) -> None:
    """Import every document of ``source`` into ``tally``; ``progress`` is called after each batch.

    Raises ``SourceError`` when the file cannot be read on, after storing the documents read before.
    """
    tally.files += 1
    batch: list = []
    try:
        for number, document in enumerate(source.documents(), start=1):
            tally.read += 1
            try:
                if isinstance(document, Refused):
                    raise Rejected(document.reason)
                batch.append(handler.parse(document))
            except Rejected as reason:
                tally.reject(f"{source.path.name} document {number}: {reason}")
            if len(batch) >= batch_size:
                _store(handler, batch, tally)
                batch = []
                progress()
    except SourceError:  # the file breaks off: keep what was read before
        _store(handler, batch, tally)
        raise
    _store(handler, batch, tally)
    progress()


def _store(handler: Handler, batch: list, tally: Tally) -> None:
    if not batch:
        return
    with transaction.atomic():
        imported = handler.store(batch)
    tally.imported += imported
    tally.skipped += len(batch) - imported
