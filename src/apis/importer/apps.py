from django.apps import AppConfig


class ImporterConfig(AppConfig):
    name = "apis.importer"
    label = "importer"
    verbose_name = "MongoDB importer"
