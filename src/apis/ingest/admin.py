"""Admin of ingest tokens: read-only (tokens are created with ``apis manage ingest_token create``), with a
"revoke" action; and the view-only list of quarantined report items."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from apis.community.telemetry_admin import ClusterFilter, CommunityFilter, TelemetryAdmin
from apis.ingest.models import IngestToken, RejectedItem


@admin.register(IngestToken)
class IngestTokenAdmin(admin.ModelAdmin):
    list_display = ["hint", "cluster", "label", "created", "last_used", "revoked"]
    list_filter = ["cluster", ("revoked", admin.EmptyFieldListFilter)]
    search_fields = ["hint", "label"]
    list_select_related = ["cluster__community"]
    fields = ["hint", "cluster", "label", "created", "last_used", "revoked"]
    readonly_fields = fields
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: IngestToken | None = None) -> bool:
        return False

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        """Revoking is a change of the token."""
        return request.user.has_perm("ingest.change_ingesttoken")

    @admin.action(description="Revoke the selected tokens", permissions=["revoke"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[IngestToken]) -> None:
        count = queryset.filter(revoked__isnull=True).update(revoked=timezone.now())
        self.message_user(request, f"{count} token(s) revoked.", messages.SUCCESS)


@admin.register(RejectedItem)
class RejectedItemAdmin(TelemetryAdmin):
    """Report items that could not be stored, newest first; nothing can be changed here."""

    list_display = (
        "received",
        "community_id",
        "cluster_id",
        "kind",
        "index",
        "field",
        "reason",
        "raw_length",
    )
    list_filter = (CommunityFilter, ClusterFilter, "kind", "reason")
    search_fields = ("field",)
    fields = (*list_display, "raw", "digest")
    readonly_fields = fields
