"""``apis manage rebuild_rollups [--from ISO] [--to ISO] [--unit community/cluster/unit]``: delete and
recompute the rollups of unit data from the raw rows and the deal rollups from the deals."""

from datetime import datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from apis.core.models import ID_MAX_LENGTH
from apis.core.timeparse import iso_z, parse_query_datetime
from apis.rollup.compute import Key
from apis.rollup.deals import Cluster, deal_rollup_clusters, rebuild_cluster
from apis.rollup.rebuild import rebuild_unit, rebuildable_from, rollup_units

# A progress line every this many days of one unit.
PROGRESS_DAYS = 30


class Command(BaseCommand):
    help = (
        "Delete and recompute the rollups of unit data from the raw rows, one unit and one local day "
        "(APIS_TIME_ZONE) per transaction; the range is widened to whole local days, and starts no earlier "
        "than the first whole day after the raw retention bound (APIS_RETENTION_RAW_DAYS). The deal rollups "
        "of the range are rebuilt too (first), from the deals, one cluster and local day per transaction; "
        "deals are kept, so their range is not narrowed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--from",
            dest="start",
            default="",
            metavar="ISO",
            help="first time (without an offset: APIS_TIME_ZONE); default: the beginning",
        )
        parser.add_argument(
            "--to", dest="end", default="", metavar="ISO", help="end time, exclusive; default: no end"
        )
        parser.add_argument(
            "--unit",
            default="",
            metavar="COMMUNITY/CLUSTER/UNIT",
            help="only this unit (and the deal rollups of its cluster)",
        )

    def handle(self, *args, **options) -> None:
        start, end = _moment("--from", options["start"]), _moment("--to", options["end"])
        if start is not None and end is not None and start >= end:
            raise CommandError(f"--from must be before --to : {options['start']} / {options['end']}")
        unit = _unit(options["unit"])
        units = rollup_units(unit)
        if unit is not None and not units:
            raise CommandError(f"no unit data nor rollups of {options['unit']}")
        self._rebuild_deals(None if unit is None else (unit[0], unit[1]), start, end)
        now = timezone.now()
        floor = rebuildable_from(now)
        if floor is not None and (start is None or start < floor):
            self.stdout.write(
                f"rebuild starts at {iso_z(floor)}, the first whole local day after the raw retention bound "
                f"(APIS_RETENTION_RAW_DAYS={settings.RETENTION_RAW_DAYS}): the older rollups are kept"
            )
        days = records = 0
        for key in units:
            unit_days, unit_records = self._rebuild(key, start, end, now)
            days, records = days + unit_days, records + unit_records
        self.stdout.write(f"rollups rebuilt: {len(units)} units, {days} days, {records} records")

    def _rebuild(
        self, unit: Key, start: datetime | None, end: datetime | None, now: datetime
    ) -> tuple[int, int]:
        path = "/".join(unit)
        days = records = 0
        for day, count in rebuild_unit(unit, start, end, now=now):
            days, records = days + 1, records + count
            if days % PROGRESS_DAYS == 0:
                self.stdout.write(f"{path}: {days} days rebuilt, up to the day of {iso_z(day)}")
        self.stdout.write(f"{path}: {days} days, {records} records rebuilt")
        return days, records

    def _rebuild_deals(self, cluster: Cluster | None, start: datetime | None, end: datetime | None) -> None:
        """Rebuild the deal rollups of every cluster with deals or deal rollups (only ``cluster``); nothing
        is written to the output without any."""
        clusters = deal_rollup_clusters(cluster)
        days = deals = 0
        for key in clusters:
            path, cluster_days, cluster_deals = "/".join(key), 0, 0
            for day, count in rebuild_cluster(key, start, end):
                cluster_days, cluster_deals = cluster_days + 1, cluster_deals + count
                if cluster_days % PROGRESS_DAYS == 0:
                    self.stdout.write(
                        f"deals of {path}: {cluster_days} days rebuilt, up to the day of {iso_z(day)}"
                    )
            self.stdout.write(f"deals of {path}: {cluster_days} days, {cluster_deals} deals rebuilt")
            days, deals = days + cluster_days, deals + cluster_deals
        if clusters:
            self.stdout.write(f"deal rollups rebuilt: {len(clusters)} clusters, {days} days, {deals} deals")


def _moment(option: str, text: str) -> datetime | None:
    if not text:
        return None
    try:
        return parse_query_datetime(text)
    except ValueError as exc:
        raise CommandError(f"invalid {option} : {text} ({exc})") from None


def _unit(text: str) -> Key | None:
    if not text:
        return None
    parts = text.split("/")
    if len(parts) != 3 or not all(parts) or any(len(part) > ID_MAX_LENGTH for part in parts):
        raise CommandError(f"invalid --unit : {text} (expected community/cluster/unit)")
    return parts[0], parts[1], parts[2]
