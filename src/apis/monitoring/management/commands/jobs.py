"""``apis jobs [--once]``: the background job runner, as its own process (never inside web workers)."""

import signal
import threading

from django.core.management.base import BaseCommand, CommandError

from apis.monitoring.scheduler import run_forever, run_once


class Command(BaseCommand):
    help = "Monitoring, downtime extraction, mail delivery and log retention (--once: one round, then exit)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--once", action="store_true", help="run every job once now and exit")

    def handle(self, *args, once: bool = False, **options) -> None:
        if once:
            if not run_once():
                raise CommandError("some jobs failed (see the log)")
            return
        stop = threading.Event()
        for number in (signal.SIGINT, signal.SIGTERM):
            signal.signal(number, lambda *_: stop.set())
        run_forever(stop)
