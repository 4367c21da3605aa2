from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "apis.demo"
    label = "demo"
    verbose_name = "Demo"
