from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class JobsConfig(AppConfig):
    """The background job runner; every installed app's ``jobs`` module registers that app's jobs."""

    name = "apis.jobs"
    label = "jobs"
    verbose_name = "Background jobs"

    def ready(self) -> None:
        from apis.jobs import cleanup  # noqa: F401 (registers the log_retention job and the core's own step)

        autodiscover_modules("jobs")
