from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from apis.community.models import Unit
from apis.core.models import User


class UserUnitsForm(forms.ModelForm):
    """Edits the reverse side of ``Unit.users``: the units the user is a resident of."""

    units = forms.ModelMultipleChoiceField(
        queryset=Unit.objects.select_related("cluster__community"),
        required=False,
        widget=admin.widgets.FilteredSelectMultiple("units", is_stacked=False),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["units"].initial = self.instance.units.all()

    def _save_m2m(self):
        super()._save_m2m()
        self.instance.units.set(self.cleaned_data["units"])


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = type("UserChangeForm", (UserUnitsForm, BaseUserAdmin.form), {})
    fieldsets = (*BaseUserAdmin.fieldsets, ("Residence", {"fields": ["units"]}))
    list_display = ["username", "email", "is_staff", "unit_codes"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("units")

    @admin.display(description="units")
    def unit_codes(self, user: User) -> str:
        return ", ".join(unit.code for unit in user.units.all())
