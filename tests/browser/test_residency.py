"""A former resident's pages in a real browser: VISUAL and DEAL show the past they lived there (their last
record, the deals of their periods) and nothing newer; the SCENARIO page refuses a choice."""

import re

from playwright.sync_api import expect

from apis.scenario.models import Choice
from tests.residency import hour, live_in, store_day

TOKYO = {"timezone_id": "Asia/Tokyo"}


def test_a_former_residents_visual_shows_their_last_record_and_nothing_newer(site, visit_as):
    store_day()
    live_in("e001", (hour(2), hour(4)), (hour(6), hour(8)))  # the newest record, at 9:00, came after
    visit = visit_as("e001", **TOKYO)
    page = visit.page
    own = page.locator("#visual g.unit[data-unit-id=E001]")
    expect(own.locator("text.rsoc")).to_have_text("7%")
    expect(own).to_have_attribute("data-state", "stale")
    expect(page.locator("#newest")).to_have_text("2020-01-01 16:00:00")
    expect(page.locator("#status")).to_have_text("0 of 1 units reporting. 0 live deals.")
    visit.screenshot("visual-former-resident")
    assert visit.foreign_requests() == []


def test_a_former_residents_deal_page_shows_the_deals_of_their_periods_only(site, visit_as):
    store_day()
    live_in("e001", (hour(2), hour(4)), (hour(6), hour(8)))
    visit = visit_as("e001", **TOKYO)
    page = visit.open("/resident/deal")
    page.get_by_label("Date").fill("2020-01-01")
    page.get_by_role("button", name="Aggregate").click()
    rows = page.locator("#deals tbody tr")
    expect(rows).to_have_count(3)
    ids = [row.locator("td").first.text_content() for row in rows.all()]
    assert ids == ["d-02", "d-03", "d-07"]
    expect(page.locator("#total-kwh")).to_have_text("0.12")
    expect(page.locator("#deals tbody")).to_contain_text("******")
    assert page.evaluate("Chart.getChart('by-hour').data.datasets[0].data.reduce((a, b) => a + b, 0)") == 120
    visit.screenshot("deal-former-resident")

    page.get_by_label("Date").fill("2020-01-02")
    page.get_by_role("button", name="Aggregate").click()
    expect(page.locator("#total-kwh")).to_have_text("0.00")
    expect(page.locator("#deals tbody tr")).to_have_count(0)
    assert visit.foreign_requests() == []


def test_a_former_resident_cannot_choose_a_scenario_on_the_page(site, visit_as):
    live_in("e001", (hour(2), hour(4)))
    visit = visit_as("e001", **TOKYO)
    page = visit.open("/resident/scenario")
    row = page.locator("#scenarios tbody tr", has_text="HIGH_PRIORITY")
    row.get_by_role("button", name="choose").click()
    expect(page.get_by_role("alert")).to_contain_text(re.compile("not a current resident"))
    assert not Choice.objects.exists()
