"""The day the DEAL page opens on: today while there are deals today, else the newest day with deals of the
user (a former resident's last day), and always the day the user chose last."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone
from playwright.sync_api import expect

from tests.residency import hour, live_in, store_day, store_live_deal

TOKYO = {"timezone_id": "Asia/Tokyo"}


def test_a_former_resident_sees_their_newest_day_with_deals_not_an_empty_today(site, visit_as):
    store_day()
    live_in("e001", (hour(2), hour(4)), (hour(6), hour(8)))  # their newest deal: d-07, 2020-01-01 16:00 Tokyo
    visit = visit_as("e001", **TOKYO)
    page = visit.open("/resident/deal")

    expect(page.get_by_label("Date")).to_have_value("2020-01-01")
    expect(page.locator("#deals tbody tr")).to_have_count(3)
    expect(page.locator("#total-kwh")).to_have_text("0.12")
    visit.screenshot("deal-former-resident-opening-day")
    assert visit.foreign_requests() == []


def tokyo_today() -> str:
    return datetime.now(ZoneInfo("Asia/Tokyo")).date().isoformat()


def test_staff_see_today_while_there_are_deals_today(site, visit_as):
    store_day()
    store_live_deal(timezone.now() - timedelta(minutes=1))
    before = tokyo_today()
    visit = visit_as("admin", **TOKYO)
    page = visit.open("/staff/deal")

    expect(page.locator("#deals tbody tr")).to_have_count(1)
    assert page.get_by_label("Date").input_value() in {before, tokyo_today()}  # midnight may pass meanwhile


def test_the_day_the_user_chose_is_kept(site, visit_as):
    store_day()
    visit = visit_as("admin", **TOKYO)
    page = visit.open("/staff/deal")
    expect(page.get_by_label("Date")).to_have_value("2020-01-01")  # the newest deals are of that day

    page.get_by_label("Date").fill("2019-12-31")
    page.get_by_role("button", name="Aggregate").click()
    expect(page.locator("#total-kwh")).to_have_text("0.00")
    page.reload()

    expect(page.get_by_label("Date")).to_have_value("2019-12-31")
    expect(page.locator("#deals tbody tr")).to_have_count(0)
