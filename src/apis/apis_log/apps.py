from django.apps import AppConfig


class ApisLogConfig(AppConfig):
    name = "apis.apis_log"
    label = "apis_log"
    verbose_name = "APIS logs"
