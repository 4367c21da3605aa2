"""``apis jobs [--once]``: the background job runner, as its own process (never inside web workers)."""

import threading

from django.core.management.base import BaseCommand, CommandError

from apis.core.shutdown import stop_on_signals
from apis.jobs.runner import run_forever, run_once


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
        stop_on_signals(stop.set)
        run_forever(stop)
