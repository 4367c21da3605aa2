"""``apis manage storage_report [--units N] [--format json]``: per table, rows, bytes, bytes per record and
the projected size in one year with the current number of units and the retention settings
(:mod:`apis.rollup.storage`)."""

import json
from argparse import ArgumentTypeError

from django.core.management.base import BaseCommand, CommandParser

from apis.rollup.storage import report_dict, report_text, storage_report


def _units(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ArgumentTypeError(f"not a whole number: {text}") from None
    if value < 0:
        raise ArgumentTypeError(f"must be 0 or more: {text}")
    return value


class Command(BaseCommand):
    help = (
        "Per table: rows, bytes on disk (indexes included), bytes per record, and the projected rows and "
        "bytes in one year with the current number of units (or --units) and the APIS_RETENTION_* settings."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--units", type=_units, default=None, metavar="N", help="project for N units (default: current)"
        )
        parser.add_argument(
            "--format", choices=("text", "json"), default="text", help="text table (default) or JSON"
        )

    def handle(self, *args, **options) -> None:
        report = storage_report(units=options["units"])
        if options["format"] == "json":
            self.stdout.write(json.dumps(report_dict(report), indent=2))
        else:
            self.stdout.write(report_text(report))
