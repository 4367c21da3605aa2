from django.apps import AppConfig


class UnitDataConfig(AppConfig):
    name = "apis.unit_data"
    label = "unit_data"
    verbose_name = "Unit data"
