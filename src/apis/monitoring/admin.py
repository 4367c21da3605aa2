"""Admin of failures, community mail settings and job activation (reference §11)."""

from django.contrib import admin

from apis.monitoring.models import CommunitySetting, Failure, JobSetting


@admin.register(Failure)
class FailureAdmin(admin.ModelAdmin):
    list_display = ("detected", "community_id", "cluster_id", "type", "program_id", "unit_id", "closed")
    list_filter = ("closed", "type")
    search_fields = ("community_id", "cluster_id", "unit_id", "description")
    date_hierarchy = "detected"
    ordering = ("-detected",)


@admin.register(CommunitySetting)
class CommunitySettingAdmin(admin.ModelAdmin):
    list_display = ("community_id", "notify_to")


@admin.register(JobSetting)
class JobSettingAdmin(admin.ModelAdmin):
    list_display = ("community_id", "cluster_id", "type", "is_active")
    list_filter = ("type", "is_active")
