from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "apis.monitoring"
    label = "monitoring"
    verbose_name = "Monitoring"
