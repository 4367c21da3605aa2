"""Read-only admin list of unit data."""

from django.contrib import admin

from apis.community.telemetry_admin import ClusterFilter, CommunityFilter, TelemetryAdmin, UnitFilter
from apis.unit_data.models import UnitData


@admin.register(UnitData)
class UnitDataAdmin(TelemetryAdmin):
    list_display = ("reported_unit", "dataset_id", "time", "effective_mode")
    list_select_related = ("reported_unit",)
    list_filter = tuple(
        kind.on(f"reported_unit__{kind.column}") for kind in (CommunityFilter, ClusterFilter, UnitFilter)
    )
    exclude = ("document",)
    readonly_fields = ("data",)
