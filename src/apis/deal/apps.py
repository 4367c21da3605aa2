from django.apps import AppConfig


class DealConfig(AppConfig):
    name = "apis.deal"
    label = "deal"
    verbose_name = "Deals"
