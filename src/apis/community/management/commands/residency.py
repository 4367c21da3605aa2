"""``apis manage residency list|start|end``: when which user lives in which unit."""

from datetime import datetime

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from apis.community.models import Residency, Unit
from apis.community.residency import ResidencyError, end_period, start_period, unit_path
from apis.core.timeparse import iso_z, parse_query_datetime

COLUMNS = ("user", "community/cluster/unit", "start", "end", "state")
ANY_USER = "-"


class Command(BaseCommand):
    help = (
        "List, start and end the residency periods of users in units. A resident sees the unit's data "
        "recorded within their periods only."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{list,start,end}")
        listing = actions.add_parser("list", help="list periods, optionally of one user (- for any) and unit")
        listing.add_argument("username", nargs="?", default=ANY_USER)
        for name in ("community_id", "cluster_id", "unit_id"):
            listing.add_argument(name, nargs="?")
        for action, text in (
            ("start", "open a period of the user in the unit at --at"),
            ("end", "close the user's open period in the unit at --at"),
        ):
            change = actions.add_parser(action, help=text)
            for name in ("username", "community_id", "cluster_id", "unit_id"):
                change.add_argument(name)
            change.add_argument(
                "--at",
                default="",
                help="ISO 8601 time (without an offset: APIS_TIME_ZONE); default: now",
            )

    def handle(self, *args, **options) -> None:
        ids = (options["community_id"], options["cluster_id"], options["unit_id"])
        if options["action"] == "list":
            self._list(options["username"], ids)
            return
        at = _moment(options["at"])
        user, unit = _user(options["username"]), _unit(ids)
        try:
            if options["action"] == "start":
                period = start_period(user, unit, at)
                self.stdout.write(f"{user.username} lives in {unit_path(unit)} from {iso_z(period.start)}")
            else:
                period = end_period(user, unit, at)
                self.stdout.write(
                    f"{user.username} lived in {unit_path(unit)} "
                    f"from {iso_z(period.start)} until {iso_z(period.end)}"
                )
        except ResidencyError as exc:
            raise CommandError(str(exc)) from None

    def _list(self, username: str, ids: tuple[str | None, ...]) -> None:
        periods = Residency.objects.select_related("user", "unit__cluster__community")
        if username != ANY_USER:
            periods = periods.filter(user=_user(username))
        for lookup, value in zip(
            ("unit__cluster__community__code", "unit__cluster__code", "unit__code"), ids, strict=True
        ):
            if value is not None:
                periods = periods.filter(**{lookup: value})
        now = timezone.now()
        rows = [
            (
                period.user.username,
                unit_path(period.unit),
                iso_z(period.start),
                iso_z(period.end) or "-",
                _state(period, now),
            )
            for period in periods.order_by("user__username", "unit", "start")
        ]
        if not rows:
            self.stdout.write("no residency periods")
            return
        table = [COLUMNS, *rows]
        widths = [max(len(line[column]) for line in table) for column in range(len(COLUMNS))]
        for line in table:
            cells = (cell.ljust(width) for cell, width in zip(line, widths, strict=True))
            self.stdout.write("  ".join(cells).rstrip())


def _state(period: Residency, now: datetime) -> str:
    if period.start > now:
        return "future"
    return "current" if period.end is None or period.end > now else "former"


def _moment(text: str) -> datetime:
    if not text:
        return timezone.now()
    try:
        return parse_query_datetime(text)
    except ValueError as exc:
        raise CommandError(f"invalid --at : {text} ({exc})") from None


def _user(username: str):
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise CommandError(f"no such user : {username}")
    return user


def _unit(ids: tuple[str, str, str]) -> Unit:
    community_id, cluster_id, unit_id = ids
    unit = (
        Unit.objects.select_related("cluster__community")
        .filter(cluster__community__code=community_id, cluster__code=cluster_id, code=unit_id)
        .first()
    )
    if unit is None:
        raise CommandError(f"no such unit : {community_id}/{cluster_id}/{unit_id}")
    return unit
