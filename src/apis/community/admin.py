from django.contrib import admin

from apis.community.models import Cluster, Community, Unit


@admin.register(Community)
class CommunityAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(Cluster)
class ClusterAdmin(admin.ModelAdmin):
    list_display = ["__str__", "code", "community"]
    list_filter = ["community"]
    search_fields = ["code", "name"]


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["__str__", "code", "available_from", "available_to", "usernames"]
    list_filter = ["cluster__community", "cluster"]
    search_fields = ["code", "name"]
    filter_horizontal = ["users"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("cluster__community").prefetch_related("users")

    @admin.display(description="users")
    def usernames(self, unit: Unit) -> str:
        return ", ".join(user.username for user in unit.users.all())
