"""``apis manage generate_ess --site N --days D --banks B --racks R``: demo data into a site database."""

from datetime import datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from apis.ess.generate import Spec, default_start, generate
from apis.ess.sites import get_site


class Command(BaseCommand):
    help = "Write deterministic, plausible ESS operating data into the database of a site of APIS_ESS_SITES."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--site", type=int, required=True, help="site id in APIS_ESS_SITES")
        parser.add_argument("--days", type=int, default=2)
        parser.add_argument("--banks", type=int, default=1)
        parser.add_argument("--racks", type=int, default=8)
        parser.add_argument("--step", type=int, default=60, help="seconds between rows (default 60)")
        parser.add_argument("--start", help="first local day YYYY-MM-DD (default: DAYS days before today)")
        parser.add_argument(
            "--schema",
            choices=("basic", "extended"),
            help="columns of site 1 or of site 2 (default by site id)",
        )

    def handle(self, *args, **options) -> None:
        from apis.ess.errors import EssError

        try:
            site = get_site(options["site"])
        except EssError as exc:
            raise CommandError(f"{exc.message}; configured: {sorted(settings.ESS_SITES)}") from None
        if min(options["days"], options["banks"], options["racks"], options["step"]) < 1:
            raise CommandError("--days, --banks, --racks and --step must be at least 1")
        if options["start"]:
            try:
                start = datetime.strptime(options["start"], "%Y-%m-%d").replace(tzinfo=site.zone)
            except ValueError:
                raise CommandError("--start must be YYYY-MM-DD") from None
        else:
            start = default_start(options["days"], site.zone_name)
        schema = options["schema"] or ("extended" if site.id == 2 else "basic")
        spec = Spec(schema, start, options["days"], options["step"], options["banks"], options["racks"])
        added = generate(site.url, spec)
        self.stdout.write(
            f"site {site.id} ({site.name}): {added} rows added ({schema} schema) from {start:%Y-%m-%d}"
        )
