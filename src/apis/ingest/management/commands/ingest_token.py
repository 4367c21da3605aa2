"""``apis manage ingest_token create|list|revoke``: the tokens apis-ccc reporters authenticate with."""

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from apis.community.models import Cluster
from apis.core.timeparse import iso_z
from apis.ingest.models import IngestToken

COLUMNS = ("id", "hint", "community/cluster", "label", "created", "last used", "revoked")


class Command(BaseCommand):
    help = "Create, list and revoke the per-cluster ingest tokens of /api/ccc/unitData and /api/ccc/deal."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{create,list,revoke}")
        create = actions.add_parser("create", help="issue a token; it is printed once, as the last line")
        create.add_argument("community_id")
        create.add_argument("cluster_id")
        create.add_argument("--label", default="", help="a note telling what the token is for")
        listing = actions.add_parser("list", help="list the active tokens")
        listing.add_argument("--all", action="store_true", help="include revoked tokens")
        revoke = actions.add_parser("revoke", help="revoke a token by its id")
        revoke.add_argument("id", type=int)

    def handle(self, *args, **options) -> None:
        action = options["action"]
        if action == "create":
            self._create(options["community_id"], options["cluster_id"], options["label"])
        elif action == "list":
            self._list(options["all"])
        else:
            self._revoke(options["id"])

    def _create(self, community_id: str, cluster_id: str, label: str) -> None:
        cluster = Cluster.objects.filter(community__code=community_id, code=cluster_id).first()
        if cluster is None:
            raise CommandError(f"no cluster {community_id}/{cluster_id}")
        row, token = IngestToken.issue(cluster, label)
        self.stdout.write(
            f"ingest token {row.pk} for {community_id}/{cluster_id} (shown only once, only its hash is kept):"
        )
        self.stdout.write(token)

    def _list(self, include_revoked: bool) -> None:
        rows = IngestToken.objects.select_related("cluster__community").order_by("pk")
        if not include_revoked:
            rows = rows.active()
        table = [COLUMNS] + [
            (
                str(row.pk),
                row.hint,
                f"{row.cluster.community.code}/{row.cluster.code}",
                row.label,
                iso_z(row.created),
                iso_z(row.last_used) or "-",
                iso_z(row.revoked) or "-",
            )
            for row in rows
        ]
        widths = [max(len(line[column]) for line in table) for column in range(len(COLUMNS))]
        for line in table:
            cells = (cell.ljust(width) for cell, width in zip(line, widths, strict=True))
            self.stdout.write("  ".join(cells).rstrip())

    def _revoke(self, pk: int) -> None:
        row = IngestToken.objects.filter(pk=pk).first()
        if row is None:
            raise CommandError(f"no ingest token with id {pk}")
        if row.revoked is not None:
            self.stdout.write(f"ingest token {pk} was already revoked at {iso_z(row.revoked)}")
            return
        IngestToken.objects.filter(pk=pk, revoked__isnull=True).update(revoked=timezone.now())
        self.stdout.write(f"ingest token {pk} ({row.hint}…) revoked")
