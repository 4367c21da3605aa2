from django.apps import AppConfig


class CommunityConfig(AppConfig):
    name = "apis.community"
    label = "community"
    verbose_name = "Communities, clusters and units"
