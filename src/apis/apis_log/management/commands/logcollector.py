"""``apis logcollector``: receive APIS log lines over UDP (multicast or unicast) and store them."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apis.apis_log.collector import Collector, CollectorConfig
from apis.apis_log.parse import level_value
from apis.apis_log.rows import column_limit
from apis.core.numbers import host_port
from apis.core.shutdown import stop_on_signals


def parse_bind(value: str) -> tuple[str, int]:
    address = host_port(value)
    if address is None:
        raise CommandError(f"--bind {value!r}: expected HOST:PORT, e.g. 0.0.0.0:8888")
    return address


class Command(BaseCommand):
    help = "Receive APIS log lines over UDP and store them (the apis-log equivalent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default="0.0.0.0:8888", help="HOST:PORT to listen on (0.0.0.0:8888)")
        parser.add_argument("--group", default="224.2.2.4", help="multicast group to join (224.2.2.4)")
        parser.add_argument("--unicast", action="store_true", help="only bind, join no multicast group")
        parser.add_argument(
            "--interface", default="0.0.0.0", help="interface (address or name) for the group"
        )
        parser.add_argument("--community", required=True, help="communityId stamped on every record")
        parser.add_argument("--cluster", required=True, help="clusterId stamped on every record")
        parser.add_argument("--level", default="INFO", help="lowest level stored (INFO)")
        parser.add_argument(
            "--buffer-lines", type=int, default=200_000, help="lines held while the DB is down"
        )

    def handle(self, *args, **options) -> None:
        host, port = parse_bind(options["bind"])
        try:
            level_value(options["level"])
        except ValueError as exc:
            raise CommandError(f"--level: {exc}") from None
        for option, column in (("community", "community_id"), ("cluster", "cluster_id")):
            if not 0 < len(options[option]) <= column_limit(column):
                raise CommandError(f"--{option}: expected 1 to {column_limit(column)} characters")
        if options["buffer_lines"] < 1:
            raise CommandError("--buffer-lines: expected a positive number of lines")
        config = CollectorConfig(
            host=host,
            port=port,
            group=None if options["unicast"] else options["group"],
            interface=options["interface"],
            community_id=options["community"],
            cluster_id=options["cluster"],
            level=options["level"].upper(),
            buffer_lines=options["buffer_lines"],
        )
        try:
            collector = Collector(config)
        except OSError as exc:
            raise CommandError(
                f"cannot listen on {options['bind']} ({config.group or 'unicast'}): {exc}"
            ) from None
        stop_on_signals(collector.stop)  # before run() starts the receiving thread
        host, port = collector.address
        listening = f"{host}:{port}"
        mode = f"group {config.group} on {config.interface}" if config.group else "unicast"
        self.stdout.write(
            f"logcollector listening on {listening} ({mode}) for {config.community_id}/{config.cluster_id}"
        )
        self.stdout.flush()
        stats = collector.run()
        self.stdout.write(
            f"logcollector stopped: {stats.received} received, {stats.stored} stored, "
            f"{stats.filtered} below level, {stats.dropped} dropped, {stats.rejected} refused by the "
            f"database, {stats.truncated} truncated, {stats.redated} re-dated"
        )
