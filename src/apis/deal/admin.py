"""Read-only admin list of deals, filterable by community, cluster and a unit taking part."""

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from apis.community.telemetry_admin import ClusterFilter, CommunityFilter, TelemetryAdmin, UnitFilter
from apis.deal.models import Deal


class DealUnitFilter(UnitFilter):
    """Deals the unit discharges or charges in."""

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        unit_id = self.value()
        if unit_id:
            return queryset.filter(Q(discharge_unit_id=unit_id) | Q(charge_unit_id=unit_id))
        return queryset


@admin.register(Deal)
class DealAdmin(TelemetryAdmin):
    list_display = (
        "deal_id",
        "community_id",
        "cluster_id",
        "discharge_unit_id",
        "charge_unit_id",
        "create_datetime",
        "deactivate_datetime",
        "cumulate_amount_wh",
    )
    list_filter = (CommunityFilter, ClusterFilter, DealUnitFilter)
