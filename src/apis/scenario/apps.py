from django.apps import AppConfig


class ScenarioConfig(AppConfig):
    name = "apis.scenario"
    label = "scenario"
    verbose_name = "Scenarios"
