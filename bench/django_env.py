"""Django set-up shared by the standalone benchmark scripts (``python bench/<name>.py DATABASE_URL``)."""

import os


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
