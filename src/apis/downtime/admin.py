"""Admin of extracted downtimes: a list filterable by open/closed."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from apis.downtime.models import Downtime


class OpenFilter(admin.SimpleListFilter):
    """Open (not recovered yet) or closed downtimes."""

    title = "state"
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("open", "open"), ("closed", "closed")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() in ("open", "closed"):
            return queryset.filter(recovery_datetime__isnull=self.value() == "open")
        return queryset


@admin.register(Downtime)
class DowntimeAdmin(admin.ModelAdmin):
    list_display = ("community_id", "cluster_id", "unit_id", "down_datetime", "recovery_datetime")
    list_filter = (OpenFilter, "community_id", "cluster_id")
    search_fields = ("unit_id",)
    date_hierarchy = "down_datetime"
    ordering = ("-down_datetime",)
