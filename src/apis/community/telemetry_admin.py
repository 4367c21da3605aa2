"""Building blocks of the read-only admin lists of the telemetry tables (unit data, deals).

These tables grow to millions of rows, so nothing here scans them: filter choices come from the small
registry tables, and the paginator counts at most ``CappedPaginator.CAP`` rows.
"""

from django.contrib import admin
from django.core.paginator import Paginator
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.functional import cached_property

from apis.community.models import Cluster, Community, Unit


class CappedPaginator(Paginator):
    """Counts at most ``CAP`` + 1 rows (``COUNT(*)`` over a ``LIMIT`` subquery), never a whole table."""

    CAP = 10_000

    @cached_property
    def count(self) -> int:
        return self.object_list[: self.CAP + 1].count()


class CodeFilter(admin.SimpleListFilter):
    """A filter on an id column whose choices are the codes of a registry model."""

    registry: type[Model]
    column: str

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        codes = self.registry.objects.order_by("code").values_list("code", flat=True).distinct()
        return [(code, code) for code in codes]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value():
            return queryset.filter(**{self.column: self.value()})
        return queryset

    @classmethod
    def on(cls, column: str) -> type["CodeFilter"]:
        """This filter on another column, e.g. ``reported_unit__unit_id`` through a key to the ids."""
        return type(cls.__name__, (cls,), {"column": column})


class CommunityFilter(CodeFilter):
    title = parameter_name = "community"
    registry, column = Community, "community_id"


class ClusterFilter(CodeFilter):
    title = parameter_name = "cluster"
    registry, column = Cluster, "cluster_id"


class UnitFilter(CodeFilter):
    title = parameter_name = "unit"
    registry, column = Unit, "unit_id"


class TelemetryAdmin(admin.ModelAdmin):
    """A view-only list: no adding, editing or deleting, no full-table counts."""

    paginator = CappedPaginator
    show_full_result_count = False
    ordering = ("-pk",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False
