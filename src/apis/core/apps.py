from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "apis.core"
    label = "core"
    verbose_name = "Core"
