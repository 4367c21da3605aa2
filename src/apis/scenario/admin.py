"""Admin of scenarios (``data`` must be a JSON object) and of the choice history."""

from django import forms
from django.contrib import admin

from apis.community.models import validate_json_object
from apis.scenario.models import Choice, Scenario


class ScenarioForm(forms.ModelForm):
    """Rejects scenario data that apis-ccc could not parse as a JSON object."""

    class Meta:
        model = Scenario
        fields = ["community_id", "cluster_id", "unit_id", "created", "name", "description", "data"]

    def clean_data(self) -> str | None:
        data = self.cleaned_data.get("data")
        validate_json_object(data or "")
        return data


@admin.register(Scenario)
class ScenarioAdmin(admin.ModelAdmin):
    form = ScenarioForm
    list_display = ["name", "created", "community_id", "cluster_id", "unit_id"]
    list_filter = ["community_id", "cluster_id"]
    search_fields = ["name", "description", "unit_id"]


@admin.register(Choice)
class ChoiceAdmin(admin.ModelAdmin):
    list_display = ["scenario", "created", "community_id", "cluster_id", "unit_id"]
    list_filter = ["community_id", "cluster_id"]
    search_fields = ["unit_id", "scenario__name"]
    list_select_related = ["scenario"]
