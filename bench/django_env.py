"""Django set-up and command line shared by the standalone benchmark scripts
(``python bench/<name>.py DATABASE_URL [--quick]``)."""

import argparse
import os
from collections.abc import Callable


def setup_django(database_url: str) -> None:
    """Point the settings at ``database_url``, set Django up and apply the migrations."""
    os.environ.update(
        APIS_DATABASE_URL=database_url, APIS_SECRET_KEY=os.environ.get("APIS_SECRET_KEY") or "bench"
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "apis.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def standalone(run_benchmark: Callable[[str, bool], str], description: str | None) -> None:
    """Parse ``DATABASE_URL [--quick]`` and print the markdown section ``run_benchmark`` returns."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("database_url", nargs="?", default=os.environ.get("APIS_DATABASE_URL"))
    parser.add_argument("--quick", action="store_true", help="small sizes, to try the script out")
    args = parser.parse_args()
    if not args.database_url:
        parser.error("a database URL is required (argument or APIS_DATABASE_URL)")
    print(run_benchmark(args.database_url, args.quick))
