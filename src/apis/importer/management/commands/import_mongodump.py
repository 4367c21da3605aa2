"""``apis manage import_mongodump DIR``: move the original's MongoDB history into the Service Center."""

import argparse
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from apis.importer.handlers import HANDLERS
from apis.importer.run import Tally, import_source
from apis.importer.sources import Source, SourceError, find_sources

MAX_BATCH = 10_000


def batch_size(value: str) -> int:
    """An argparse type: documents per transaction, 1 to ``MAX_BATCH``."""
    number = int(value)
    if not 1 <= number <= MAX_BATCH:
        raise argparse.ArgumentTypeError(f"expected 1 to {MAX_BATCH}, got {number}")
    return number


class Command(BaseCommand):
    help = (
        "Import the unitData, deal, apisLog, downtime and downtimeStatus collections from a mongodump "
        "directory (<collection>.bson[.gz], also in DIR/<db>/) or mongoexport files "
        "(<collection>.json[.gz]). "
        "Idempotent: documents already present are skipped; invalid ones are rejected and reported."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", type=Path, help="the mongodump/mongoexport output directory")
        parser.add_argument(
            "--collections",
            nargs="+",
            choices=list(HANDLERS),
            help="only these collections (default: every one that has a file)",
        )
        parser.add_argument(
            "--batch", type=batch_size, default=2_000, help="documents per transaction (2000)"
        )

    def handle(self, *args, **options) -> None:
        wanted = options["collections"]
        names = [name for name in HANDLERS if not wanted or name in wanted]
        try:
            sources = find_sources(options["directory"], names)
        except SourceError as error:
            raise CommandError(str(error)) from None
        missing = [name for name in names if not sources[name]]
        if (wanted and missing) or not any(sources.values()):
            raise CommandError(
                f"{options['directory']}: no export file for {', '.join(missing)} "
                f"(expected <collection>.bson, .bson.gz, .json or .json.gz, also in a subdirectory)"
            )
        tallies = {name: Tally() for name in names if sources[name]}
        errors = self._import(sources, tallies, options["batch"])
        self._report(tallies)
        if errors:
            raise CommandError("\n".join(errors))

    def _import(self, sources: dict[str, list[Path]], tallies: dict[str, Tally], batch: int) -> list[str]:
        """Import every file; returns the errors of files that could not be read to their end."""
        errors = []
        console = Console(file=sys.stderr)
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TextColumn("{task.fields[records]:>10,} documents"),
            TimeRemainingColumn(),
        )
        with Progress(*columns, console=console) as progress:
            for name, tally in tallies.items():
                for path in sources[name]:
                    try:
                        source = Source(path)
                    except SourceError as error:
                        errors.append(str(error))
                        continue
                    task = progress.add_task(str(path.name), total=source.size, records=0)

                    def advance(source: Source = source, task: int = task, tally: Tally = tally) -> None:
                        progress.update(task, completed=source.position, records=tally.read)

                    try:
                        import_source(source, HANDLERS[name], tally, batch, advance)
                    except SourceError as error:
                        errors.append(str(error))
                    except DatabaseError as error:
                        self._report(tallies)
                        raise CommandError(
                            f"{path}: the database refused a batch ({error}); the batches before it are "
                            "stored, run the import again to go on"
                        ) from None
                    finally:
                        source.close()
        return errors

    def _report(self, tallies: dict[str, Tally]) -> None:
        for name, tally in tallies.items():
            self.stdout.write(
                f"{name}: {tally.read} read from {tally.files} file(s), {tally.imported} imported, "
                f"{tally.skipped} skipped (already present), {tally.rejected} rejected"
            )
            for reason in tally.reasons:
                self.stdout.write(f"  rejected: {reason}")
            if tally.rejected > len(tally.reasons):
                self.stdout.write(f"  … and {tally.rejected - len(tally.reasons)} more rejected")
