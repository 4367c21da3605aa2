from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "apis.web"
    label = "web"
    verbose_name = "Web pages"
