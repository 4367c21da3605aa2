"""The ``apis`` command: ``demo``, ``serve``, ``manage`` (Django's manage.py) and long-running programs."""

import argparse
import os
import sys

from apis.core import logsetup
from apis.server import serve


def manage(argv: list[str]) -> None:
    """Run a Django management command, e.g. ``apis manage migrate``."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "apis.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    logsetup.set_program(argv[0] if argv[:1] and argv[0] in DJANGO_COMMANDS else "manage")
    try:
        execute_from_command_line(["apis manage", *argv])
    except ImproperlyConfigured as exc:
        # a bad setting (read when the settings load): one line naming the variable, no traceback
        sys.exit(f"apis: configuration error: {exc}")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="apis", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser(
        "demo", help="fresh demo database and history, then the whole system live on 127.0.0.1:8000"
    )
    demo.add_argument("--bind", default="127.0.0.1:8000", help="HOST:PORT of the web server")
    demo.add_argument("--days", type=int, default=7, help="days of synthetic history")
    demo.add_argument("--no-serve", action="store_true", help="prepare the database and exit")
    demo.add_argument(
        "--no-live", action="store_true", help="only the web server: no emulator, ccc, log collector, jobs"
    )

    serve_cmd = commands.add_parser("serve", help="run the web server (gunicorn)")
    serve_cmd.add_argument("--bind", default="127.0.0.1:8000", help="HOST:PORT to listen on")
    serve_cmd.add_argument("--workers", type=int, default=(os.cpu_count() or 1) * 2 + 1)
    serve_cmd.add_argument("--threads", type=int, default=4, help="threads per worker")

    commands.add_parser("manage", help="Django's manage.py", add_help=False)
    for name, text in {**DJANGO_COMMANDS, **PROGRAMS}.items():
        commands.add_parser(name, help=text, add_help=False)
    return parser


# Long-running programs that are management commands; ``apis NAME ARGS`` is ``apis manage NAME ARGS``.
DJANGO_COMMANDS = {
    "logcollector": "receive APIS log lines over UDP and store them (apis-log)",
    "jobs": "monitoring, downtime extraction, mail delivery and retention (--once: one round)",
}

# Programs without Django; ``apis NAME ARGS`` runs ``apis.NAME.main.main(ARGS)``.
PROGRAMS = {
    "emulator": "an emulated APIS cluster speaking apis-web's HTTP interface",
    "ccc": "apis-ccc: report a cluster's unit data and deals (--config config.json)",
}


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["manage"]:
        manage(argv[1:])
        return
    if argv[:1] and argv[0] in DJANGO_COMMANDS:
        manage(argv)
        return
    if argv[:1] and argv[0] in PROGRAMS:
        import importlib

        importlib.import_module(f"apis.{argv[0]}.main").main(argv[1:])
        return
    args = _parser().parse_args(argv)
    if args.command == "serve":
        serve(args.bind, args.workers, args.threads)
    elif args.command == "demo":
        from apis.demo.run import run_demo

        logsetup.set_program("demo")
        sys.exit(run_demo(bind=args.bind, days=args.days, serve=not args.no_serve, live=not args.no_live))


if __name__ == "__main__":
    main()
