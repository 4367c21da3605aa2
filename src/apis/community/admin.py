"""The admin of the registry (communities, clusters, units) and of users with their residency periods."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.forms.models import BaseInlineFormSet
from django.utils import timezone

from apis.community.models import Cluster, Community, Residency, Unit
from apis.community.residency import describe_period, first_overlap, lock_units
from apis.core.models import User


@admin.register(Community)
class CommunityAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(Cluster)
class ClusterAdmin(admin.ModelAdmin):
    list_display = ["__str__", "code", "community"]
    list_filter = ["community"]
    search_fields = ["code", "name"]


class ResidencyFormSet(BaseInlineFormSet):
    """The periods of one unit (or one user) as they will be saved must not overlap per user and unit.

    The check sees the complete set of each pair: the rows of the form (periods may be moved past each
    other, deleted and added in one save) and the stored periods the form does not hold, written meanwhile
    by another admin or ``apis manage residency``. It runs under the units' row locks inside the admin's
    transaction, so two saves of one unit are checked one after the other."""

    def clean(self) -> None:
        super().clean()
        pairs: dict[tuple, tuple] = {}  # by primary keys: the unit or user of the page may be a new one
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if form.errors or not data or data.get("DELETE"):
                continue  # a row with errors says so itself; an empty extra row saves nothing
            user, unit = data["user"], data["unit"]
            pairs.setdefault((user.pk, unit.pk), (user, unit, []))[2].append((data["start"], data.get("end")))
        held = [form.instance.pk for form in self.forms if form.instance.pk]
        lock_units(unit.pk for _, unit, _ in pairs.values())
        for user, unit, periods in pairs.values():
            if user.pk and unit.pk:
                stored = Residency.objects.filter(user=user, unit=unit).exclude(pk__in=held)
                periods.extend(stored.values_list("start", "end"))
            clash = first_overlap(periods)
            if clash:
                raise ValidationError(
                    f"The periods {describe_period(*clash[0])} and {describe_period(*clash[1])} of "
                    f"{user.username} in {unit} overlap."
                )


class ResidencyInline(admin.TabularInline):
    """The residents' periods ``[start, end)``: leave the end empty while the resident still lives there."""

    model = Residency
    formset = ResidencyFormSet
    extra = 0
    ordering = ["start"]


class UnitResidencyInline(ResidencyInline):
    fields = ["user", "start", "end"]
    autocomplete_fields = ["user"]


class UserResidencyInline(ResidencyInline):
    """The periods of a user, on the user's admin page (:class:`UserAdmin`)."""

    fields = ["unit", "start", "end"]
    autocomplete_fields = ["unit"]


def running_periods() -> Prefetch:
    """Prefetch of the periods running now (``current_residencies`` on each unit or user)."""
    now = timezone.now()
    running = Residency.objects.filter(start__lte=now).exclude(end__lte=now).select_related("user", "unit")
    return Prefetch("residencies", running.order_by("user__username", "unit"), to_attr="current_residencies")


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["__str__", "code", "available_from", "available_to", "residents"]
    list_filter = ["cluster__community", "cluster"]
    search_fields = ["code", "name"]
    inlines = [UnitResidencyInline]

    def get_queryset(self, request):
        units = super().get_queryset(request).select_related("cluster__community")
        return units.prefetch_related(running_periods())

    @admin.display(description="residents now")
    def residents(self, unit: Unit) -> str:
        return ", ".join(period.user.username for period in unit.current_residencies)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    """Users with their residency periods (an inline); the list shows the units they live in now."""

    inlines = [UserResidencyInline]
    list_display = ["username", "email", "is_staff", "unit_codes"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related(running_periods())

    @admin.display(description="lives in")
    def unit_codes(self, user: User) -> str:
        return ", ".join(period.unit.code for period in user.current_residencies)
