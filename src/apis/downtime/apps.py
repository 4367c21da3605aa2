from django.apps import AppConfig


class DowntimeConfig(AppConfig):
    name = "apis.downtime"
    label = "downtime"
    verbose_name = "Downtime and availability"
