"""Read-only admin list of unit data."""

from django.contrib import admin

from apis.community.telemetry_admin import ClusterFilter, CommunityFilter, TelemetryAdmin, UnitFilter
from apis.unit_data.models import UnitData


@admin.register(UnitData)
class UnitDataAdmin(TelemetryAdmin):
    list_display = ("community_id", "cluster_id", "unit_id", "dataset_id", "time", "effective_mode")
    list_filter = (CommunityFilter, ClusterFilter, UnitFilter)
