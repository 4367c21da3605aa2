from django.apps import AppConfig


class EssConfig(AppConfig):
    name = "apis.ess"
    label = "ess"
    verbose_name = "ESS datasets"
