from django.apps import AppConfig


class IngestConfig(AppConfig):
    name = "apis.ingest"
    label = "ingest"
    verbose_name = "Ingest from apis-ccc"
