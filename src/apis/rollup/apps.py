"""The ``rollup`` app: rollups of unit data at 5 minutes, 1 hour and 1 local day."""

from django.apps import AppConfig


class RollupConfig(AppConfig):
    """The rollups of unit data; its ``jobs`` module registers the ``rollup`` job."""

    name = "apis.rollup"
    label = "rollup"
    verbose_name = "Unit-data rollups"
