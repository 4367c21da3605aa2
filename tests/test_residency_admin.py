"""The residency periods in the admin: an inline on the unit and on the user, validated as a whole (no
overlap per user and unit, the end after the start), and the lists showing who lives where now.

Forms are submitted as a browser would: the fields the change page renders, with some of them changed."""

from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.utils import timezone

from apis.community.models import Residency, Unit
from apis.core.models import User
from tests.residency import hour, live_in

PREFIX = "residencies"


class FormFields(HTMLParser):
    """The name → value pairs a browser submits for the form with id ``form_id``."""

    def __init__(self, form_id: str):
        super().__init__()
        self.form_id, self.inside, self.select, self.textarea = form_id, False, None, None
        self.fields: dict[str, str | list[str]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        if not self.inside or "disabled" in a:
            return
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button", "file"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.fields[name] = a.get("value") or ""
        elif tag == "select" and name:
            self.select = name
            self.fields[name] = [] if "multiple" in a else ""
        elif tag == "option" and self.select and "selected" in a:
            current = self.fields[self.select]
            if isinstance(current, list):
                current.append(a.get("value") or "")
            else:
                self.fields[self.select] = a.get("value") or ""
        elif tag == "textarea" and name:
            self.textarea = name
            self.fields[name] = ""

    def handle_data(self, data: str) -> None:
        if self.textarea:
            self.fields[self.textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None
        elif tag == "form":
            self.inside = False


def change_form(client: Client, url: str, form_id: str) -> dict:
    response = client.get(url)
    assert response.status_code == 200
    parser = FormFields(form_id)
    parser.feed(response.content.decode())
    return parser.fields


def local(moment: datetime) -> tuple[str, str]:
    """The date and time fields of the admin's split date-time widget (APIS_TIME_ZONE)."""
    moment = timezone.localtime(moment)
    return moment.strftime("%Y-%m-%d"), moment.strftime("%H:%M:%S")


def set_period(form: dict, index: int, start: datetime | None, end: datetime | None, **other: str) -> None:
    """Fill row ``index`` of the inline (a new row past the existing ones grows the formset)."""
    for name, moment in (("start", start), ("end", end)):
        date, time = local(moment) if moment else ("", "")
        form[f"{PREFIX}-{index}-{name}_0"], form[f"{PREFIX}-{index}-{name}_1"] = date, time
    for name, value in other.items():
        form[f"{PREFIX}-{index}-{name}"] = value
    total = f"{PREFIX}-TOTAL_FORMS"
    form[total] = str(max(int(form[total]), index + 1))


def unit_url(code: str = "E001") -> str:
    return f"/admin/community/unit/{Unit.objects.get(code=code).pk}/change/"


def user_url(username: str) -> str:
    return f"/admin/core/user/{User.objects.get(username=username).pk}/change/"


def periods(username: str, unit: str = "E001") -> list[tuple]:
    rows = Residency.objects.filter(user__username=username, unit__code=unit).order_by("start")
    return list(rows.values_list("start", "end"))


def row_of(form: dict, username: str) -> int:
    """The inline row index of ``username``'s (first) period on a unit page."""
    pk = str(User.objects.get(username=username).pk)
    return next(
        int(key.split("-")[1]) for key, value in form.items() if key.endswith("-user") and value == pk
    )


# ---- on the unit ------------------------------------------------------------------------------------------


def test_the_unit_page_lists_its_residents_periods_in_local_time(staff):
    live_in("e001", (hour(2), hour(4)), (hour(6), None))
    form = change_form(staff, unit_url(), "unit_form")
    assert form[f"{PREFIX}-TOTAL_FORMS"] == "3"
    first = row_of(form, "e001")
    shown = [
        tuple(form[f"{PREFIX}-{row}-{name}_{part}"] for name in ("start", "end") for part in (0, 1))
        for row in (first, first + 1)
    ]
    assert shown == [("2020-01-01", "11:00:00", "2020-01-01", "13:00:00"), ("2020-01-01", "15:00:00", "", "")]


def test_a_period_added_on_the_unit_page_makes_the_user_a_resident(staff, client_as):
    form = change_form(staff, unit_url(), "unit_form")
    user = str(User.objects.get(username="nonresident").pk)
    set_period(form, int(form[f"{PREFIX}-TOTAL_FORMS"]), hour(2), hour(4), user=user)
    response = staff.post(unit_url(), form)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert periods("nonresident") == [(hour(2), hour(4))]
    answer = client_as("nonresident").get(
        "/api/resident/deal/list",
        {"communityId": "oss_community", "clusterId": "oss_cluster", "unitId": "E001"},
    )
    assert answer.status_code == 200


def test_overlapping_periods_of_one_user_are_refused_and_nothing_is_saved(staff):
    live_in("e001", (hour(2), hour(4)))
    form = change_form(staff, unit_url(), "unit_form")
    user = str(User.objects.get(username="e001").pk)
    set_period(form, int(form[f"{PREFIX}-TOTAL_FORMS"]), hour(3), None, user=user)
    response = staff.post(unit_url(), form)
    assert response.status_code == 200
    assert (
        "The periods 2020-01-01T02:00:00Z – 2020-01-01T04:00:00Z and 2020-01-01T03:00:00Z – open of e001 in "
        "OSS Community &gt; OSS Cluster &gt; E001 overlap." in response.content.decode()
    )
    assert periods("e001") == [(hour(2), hour(4))]


def test_a_period_stored_after_the_page_was_opened_is_checked_too(staff):
    """Another admin (or ``apis manage residency``) adds a period while this page is open: saving the
    page's overlapping period is refused, not stored next to it."""
    form = change_form(staff, unit_url(), "unit_form")
    live_in("nonresident", (hour(2), hour(4)))
    user = str(User.objects.get(username="nonresident").pk)
    set_period(form, int(form[f"{PREFIX}-TOTAL_FORMS"]), hour(3), None, user=user)
    response = staff.post(unit_url(), form)
    assert response.status_code == 200
    assert (
        "The periods 2020-01-01T02:00:00Z – 2020-01-01T04:00:00Z and 2020-01-01T03:00:00Z – open of "
        "nonresident in OSS Community &gt; OSS Cluster &gt; E001 overlap." in response.content.decode()
    )
    assert periods("nonresident") == [(hour(2), hour(4))]


def test_two_new_rows_overlapping_each_other_are_refused(staff):
    form = change_form(staff, unit_url(), "unit_form")
    user = str(User.objects.get(username="nonresident").pk)
    total = int(form[f"{PREFIX}-TOTAL_FORMS"])
    set_period(form, total, hour(2), hour(5), user=user)
    set_period(form, total + 1, hour(4), hour(6), user=user)
    assert staff.post(unit_url(), form).status_code == 200
    assert periods("nonresident") == []


def test_periods_of_different_users_may_overlap(staff):
    form = change_form(staff, unit_url(), "unit_form")
    user = str(User.objects.get(username="nonresident").pk)
    set_period(form, int(form[f"{PREFIX}-TOTAL_FORMS"]), hour(2), None, user=user)
    assert staff.post(unit_url(), form).status_code == 302
    assert periods("nonresident") == [(hour(2), None)]
    assert len(periods("e001")) == 1


def test_a_move_date_is_corrected_by_moving_two_periods_past_each_other_in_one_save(staff):
    live_in("e001", (hour(2), hour(5)), (hour(5), None))
    form = change_form(staff, unit_url(), "unit_form")
    first = row_of(form, "e001")
    set_period(form, first, hour(2), hour(3))
    set_period(form, first + 1, hour(3), None)
    response = staff.post(unit_url(), form)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert periods("e001") == [(hour(2), hour(3)), (hour(3), None)]


def test_a_deleted_period_makes_room_for_a_new_one_in_the_same_save(staff):
    live_in("e001", (hour(2), None))
    form = change_form(staff, unit_url(), "unit_form")
    form[f"{PREFIX}-{row_of(form, 'e001')}-DELETE"] = "on"
    user = str(User.objects.get(username="e001").pk)
    set_period(form, int(form[f"{PREFIX}-TOTAL_FORMS"]), hour(3), None, user=user)
    assert staff.post(unit_url(), form).status_code == 302
    assert periods("e001") == [(hour(3), None)]


def new_unit_form(staff: Client) -> dict:
    form = change_form(staff, "/admin/community/unit/add/", "unit_form")
    form.update(cluster=str(Unit.objects.get(code="E001").cluster_id), code="E005", name="E005")
    return form


def test_a_new_unit_is_saved_with_its_residents_periods(staff):
    form = new_unit_form(staff)
    user = str(User.objects.get(username="nonresident").pk)
    set_period(form, 0, hour(2), hour(4), user=user)
    set_period(form, 1, hour(4), None, user=user)
    response = staff.post("/admin/community/unit/add/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert periods("nonresident", "E005") == [(hour(2), hour(4)), (hour(4), None)]


def test_a_new_unit_with_overlapping_periods_is_refused_and_not_saved(staff):
    form = new_unit_form(staff)
    user = str(User.objects.get(username="nonresident").pk)
    set_period(form, 0, hour(2), None, user=user)
    set_period(form, 1, hour(4), None, user=user)
    response = staff.post("/admin/community/unit/add/", form)
    assert response.status_code == 200
    assert "of nonresident in OSS Community &gt; OSS Cluster &gt; E005 overlap." in response.content.decode()
    assert not Unit.objects.filter(code="E005").exists()


def test_a_period_without_a_user_is_refused_naming_the_field(staff):
    form = change_form(staff, unit_url(), "unit_form")
    set_period(form, int(form[f"{PREFIX}-TOTAL_FORMS"]), hour(2), None, user="")
    response = staff.post(unit_url(), form)
    assert response.status_code == 200
    assert response.context["inline_admin_formsets"][0].formset.errors[-1] == {
        "user": ["This field is required."]
    }
    assert Residency.objects.count() == 8


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (hour(4), hour(4), "the end must be after the start"),
        (hour(4), hour(3), "the end must be after the start"),
        (datetime(1899, 6, 1, tzinfo=UTC), None, "is outside the supported range 1900-01-01 to 9999-01-01"),
    ],
)
def test_a_period_must_end_after_it_starts_and_lie_in_the_supported_range(staff, start, end, message):
    form = change_form(staff, unit_url(), "unit_form")
    user = str(User.objects.get(username="nonresident").pk)
    set_period(form, int(form[f"{PREFIX}-TOTAL_FORMS"]), start, end, user=user)
    response = staff.post(unit_url(), form)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert periods("nonresident") == []


def test_the_unit_list_names_the_residents_living_there_now(staff):
    live_in("e001", (hour(2), hour(4)))
    live_in("e002", (timezone.now() - timedelta(days=1), None), unit="E003")
    live_in("nonresident", (timezone.now() + timedelta(days=1), None), unit="E003")
    listing = staff.get("/admin/community/unit/")
    residents = {
        unit.code: listing.context["cl"].model_admin.residents(unit)
        for unit in listing.context["cl"].result_list
    }
    assert residents == {
        "E001": "admin",
        "E002": "admin, e002",
        "E003": "admin, e002, e003",
        "E004": "admin, e004",
    }


# ---- on the user ------------------------------------------------------------------------------------------


def test_the_user_page_edits_the_users_periods_in_any_unit(staff):
    form = change_form(staff, user_url("nonresident"), "user_form")
    assert form[f"{PREFIX}-TOTAL_FORMS"] == "0"
    set_period(form, 0, hour(2), hour(4), unit=str(Unit.objects.get(code="E001").pk))
    set_period(form, 1, hour(4), None, unit=str(Unit.objects.get(code="E002").pk))
    response = staff.post(user_url("nonresident"), form)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert periods("nonresident", "E001") == [(hour(2), hour(4))]
    assert periods("nonresident", "E002") == [(hour(4), None)]


def test_overlapping_periods_in_one_unit_are_refused_on_the_user_page(staff):
    form = change_form(staff, user_url("e001"), "user_form")
    set_period(form, 1, hour(2), None, unit=str(Unit.objects.get(code="E001").pk))
    response = staff.post(user_url("e001"), form)
    assert response.status_code == 200
    assert "of e001 in OSS Community &gt; OSS Cluster &gt; E001 overlap." in response.content.decode()
    assert periods("e001") == [(datetime(1900, 1, 1, tzinfo=UTC), None)]


def test_the_user_list_names_the_units_a_user_lives_in_now(staff):
    live_in("e001", (hour(2), hour(4)))
    listing = staff.get("/admin/core/user/")
    lives_in = {
        user.username: listing.context["cl"].model_admin.unit_codes(user)
        for user in listing.context["cl"].result_list
    }
    assert lives_in == {
        "admin": "E001, E002, E003, E004",
        "e001": "",
        "e002": "E002",
        "e003": "E003",
        "e004": "E004",
        "nonresident": "",
    }
