"""Admin: staff issue and revoke ESS API keys; a new key is shown once, in the confirmation message."""

from django.contrib import admin, messages

from apis.ess.models import ApiKey


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ("prefix", "user", "label", "created_at", "last_used_at", "revoked")
    list_filter = ("revoked",)
    search_fields = ("prefix", "label", "user__username")
    readonly_fields = ("prefix", "created_at", "last_used_at")

    def save_model(self, request, obj: ApiKey, form, change: bool) -> None:
        if not change:
            key = obj.issue()
            messages.warning(request, f"API key for {obj.user}: {key} (copy it now; it is not shown again)")
        super().save_model(request, obj, form, change)
