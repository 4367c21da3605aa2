"""``apis manage generate_history``: store a deterministic synthetic history (the demo and the benchmarks)."""

from datetime import datetime

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apis.core.timeparse import parse_apis_time
from apis.demo.history import HistorySpec, default_end, generate_history


def positive(value: str) -> int:
    """An argparse type: an integer ≥ 1."""
    number = int(value)
    if number < 1:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = (
        "Generate D days of 30-second unit data and deals for K clusters of U units (oss_community/"
        "oss_cluster, cluster_002, …) through the ingest parser. Deterministic for a seed and an end; "
        "idempotent."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=positive, default=7, help="days of history (7)")
        parser.add_argument("--clusters", type=positive, default=1, help="clusters (1: oss_cluster)")
        parser.add_argument("--units", type=positive, default=4, help="units per cluster, E001… (4)")
        parser.add_argument("--end", help="last reporting cycle, ISO 8601 (default: now, down to 30 s)")
        parser.add_argument("--seed", type=int, default=0, help="random seed (0)")

    def handle(self, *args, **options) -> None:
        spec = HistorySpec(
            end=self._end(options["end"]),
            days=options["days"],
            clusters=options["clusters"],
            units=options["units"],
            seed=options["seed"],
        )
        self.stdout.write(
            f"generating {spec.days} day(s) for {spec.clusters} cluster(s) × {spec.units} unit(s) "
            f"ending {spec.end.isoformat()} (seed {spec.seed})"
        )
        summary = generate_history(spec, progress=self.stdout.write)
        self.stdout.write(
            self.style.SUCCESS(
                f"stored {summary.rows} new unit-data rows and wrote {summary.deals} deals "
                f"in {summary.seconds:.1f} s"
            )
        )

    @staticmethod
    def _end(text: str | None) -> datetime:
        if not text:
            return default_end()
        try:
            end = parse_apis_time(text)
        except ValueError as exc:
            raise CommandError(f"--end: {exc}") from None
        if end is None:
            raise CommandError("--end: empty time")
        return default_end(end)
