"""The staff and resident pages in a real browser, against the demo registry and a day of history."""

import re
from datetime import datetime, timedelta

from django.utils import timezone
from playwright.sync_api import expect

from apis.community.models import Cluster, Community, Unit
from apis.downtime.extract import extract_pass
from apis.monitoring.models import Failure, JobSetting
from apis.scenario.models import Choice
from apis.unit_data.store import UnitRecord, store_unit_data
from apis.web.models import Selection

XSS = '<script>window.__xss = 1</script><img src=x onerror="window.__xss = 2">'


def test_anonymous_pages_send_to_the_login_page(browser, site):
    page = browser.new_page()
    page.goto(site + "/staff/deal")
    expect(page.get_by_label("User name")).to_be_visible()
    page.get_by_label("User name").fill("admin")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_have_text("Wrong user name or password.")
    page.close()


def test_staff_pages_show_units_deals_availability_jobs_and_history(demo_site, visit_as):
    visit = visit_as("admin")
    page = visit.page
    expect(page.locator("#visual g.unit")).to_have_count(4)
    expect(page.locator("#visual g.unit[data-state=live]")).to_have_count(4)
    expect(page.locator("#visual .crown")).to_have_count(1)
    expect(page.locator("#visual .flow").first).to_be_attached()
    expect(page.locator("#newest")).to_have_text(re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$"))
    expect(page.locator("h1")).to_contain_text("OSS Community > OSS Cluster")
    visit.screenshot("visual-staff")

    visit.open("/staff/availability")
    expect(page.locator("#unit-availability tbody tr")).to_have_count(4)
    expect(page.locator("#cluster-availability tbody td").last).to_have_text(re.compile(r"%$"))
    visit.screenshot("availability-staff")
    page.locator("#unit-availability tbody tr").first.get_by_role("button", name="detail…").click()
    expect(page.locator("#detail")).to_be_visible()

    visit.open("/staff/deal")
    expect(page.locator("#deals tbody tr").first).to_be_visible()
    expect(page.locator("#total-kwh")).to_have_text(re.compile(r"^\d+\.\d\d$"))
    assert page.evaluate("Chart.getChart('by-hour').data.datasets.length") == 2
    assert page.evaluate("Chart.getChart('by-unit').data.labels.length") == 4
    visit.screenshot("deal-staff")
    page.locator("#deals tbody tr").first.get_by_role("button", name="detail…").click()
    expect(page.locator("#detail-body")).to_contain_text("dealId")
    page.keyboard.press("Escape")

    visit.open("/staff/monitoring")
    expect(page.locator("#jobs li")).to_have_count(6)
    page.get_by_label("apis_main_alive").check()
    expect(page.locator("#jobs li.active")).to_have_count(1)
    assert JobSetting.objects.get(type="apis_main_alive", cluster_id="oss_cluster").is_active
    page.get_by_label("apis_main_alive").uncheck()
    expect(page.locator("#jobs li.active")).to_have_count(0)
    assert not JobSetting.objects.get(type="apis_main_alive").is_active
    visit.screenshot("monitoring-staff")

    visit.open("/staff/history")
    expect(page.locator("#history-count")).not_to_have_text("–")
    assert int(page.locator("#history-count").text_content()) > 100
    assert page.evaluate("Chart.getChart('history-chart').data.datasets.length") == 3
    visit.screenshot("history-staff")

    assert visit.foreign_requests() == []
    assert visit.dialogs == []


def test_resident_pages_show_the_own_unit_masked_deals_and_a_scenario_choice_that_sticks(demo_site, visit_as):
    visit = visit_as("e001")
    page = visit.page
    expect(page.locator("#visual g.unit[data-unit-id=E001]")).to_have_count(1)
    expect(page.locator("h1")).to_contain_text("E001")
    visit.screenshot("visual-resident")

    visit.open("/resident/deal")
    expect(page.locator("#deals tbody tr").first).to_be_visible()
    expect(page.locator("#deals tbody")).to_contain_text("******")
    visit.screenshot("deal-resident")

    visit.open("/resident/scenario")
    row = page.locator("#scenarios tbody tr", has_text="HIGH_PRIORITY")
    row.get_by_role("button", name="choose").click()
    expect(row).to_have_class("current")
    assert Choice.objects.filter(unit_id="E001").latest("created").scenario.name == "HIGH_PRIORITY"
    page.reload()
    expect(page.locator("#scenarios tr.current")).to_contain_text("HIGH_PRIORITY")
    expect(page.locator("#current-scenario")).to_have_text("HIGH_PRIORITY")
    row.get_by_role("button", name="detail…").click()
    expect(page.locator("#detail pre.json")).to_contain_text('"refreshingPeriodMsec": 30000')
    visit.screenshot("scenario-resident")
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Use no scenario").click()
    expect(page.locator("#current-scenario")).to_have_text("none")
    assert Choice.objects.filter(unit_id="E001").latest("created").scenario is None

    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(re.compile(r"/$"))
    expect(page.get_by_label("User name")).to_be_visible()
    assert visit.foreign_requests() == []


def test_failure_descriptions_with_markup_show_literally_and_run_nothing(site, visit_as):
    Failure.objects.create(
        type="apis_main_severe",
        community_id="oss_community",
        cluster_id="oss_cluster",
        program_id="apis-main",
        unit_id="E001",
        description=XSS,
    )
    visit = visit_as("admin")
    page = visit.open("/staff/monitoring")
    expect(page.locator("#open-failures tbody td", has_text="<script>")).to_have_text(XSS)
    page.locator("#open-failures tbody tr").first.get_by_role("button", name="detail…").click()
    expect(page.locator("#detail-body")).to_contain_text(XSS)
    page.wait_for_timeout(300)
    assert page.evaluate("window.__xss") is None
    assert page.locator("img[src=x]").count() == 0
    assert visit.dialogs == []
    visit.screenshot("monitoring-xss-staff")


def test_any_cluster_of_fifty_units_is_laid_out_and_the_selection_is_remembered(site, visit_as):
    community = Community.objects.get(code="oss_community")
    big = Cluster.objects.create(community=community, code="big_cluster", name="Big <b>Cluster</b>")
    Unit.objects.bulk_create(Unit(cluster=big, code=f"U{n:02d}", name=f"house {n}") for n in range(50))
    visit = visit_as("admin")
    page = visit.page
    page.get_by_label("Cluster", exact=True).select_option(label="OSS Community > Big <b>Cluster</b>")
    page.get_by_role("button", name="Select").click()
    expect(page.locator("#visual g.unit")).to_have_count(50)
    expect(page.locator("#visual g.unit[data-state=stale]")).to_have_count(50)
    expect(page.locator("#newest")).to_have_text("no data")
    centres = page.eval_on_selector_all(
        "#visual g.unit", "gs => gs.map(g => g.getAttribute('transform').match(/translate\\(([^)]*)\\)/)[1])"
    )
    assert len(set(centres)) == 50
    visit.screenshot("visual-50-units-staff")
    page.get_by_role("link", name="DEAL").click()
    expect(page.locator("h1")).to_contain_text("Big <b>Cluster</b>")
    selection = Selection.objects.get(user__username="admin", role="staff")
    assert (selection.cluster_id, selection.unit_id) == ("big_cluster", "")


def test_pages_fit_a_phone_screen(demo_site, visit_as):
    visit = visit_as("admin", viewport={"width": 375, "height": 740}, is_mobile=True)
    page = visit.page
    for path, name in (
        ("/staff/visual", "visual"),
        ("/staff/deal", "deal"),
        ("/staff/monitoring", "monitoring"),
    ):
        visit.open(path)
        page.wait_for_load_state("networkidle")
        assert page.evaluate("document.documentElement.scrollWidth") <= 375, path
        visit.screenshot(f"{name}-staff-phone")


def test_availability_shows_no_data_for_a_never_reporting_unit_and_the_percentage_of_the_others(
    site, visit_as
):
    now = timezone.now().replace(microsecond=0)
    start = now - timedelta(hours=2)
    Unit.objects.update(available_from=start)

    def every_30_s(unit: str, until: datetime, mode: str) -> list[UnitRecord]:
        times = [start + timedelta(seconds=s) for s in range(0, int((until - start).total_seconds()) + 1, 30)]
        data = {"apis": {"operation_mode": {"effective": mode}}}
        return [
            UnitRecord("oss_community", "oss_cluster", unit, int(t.timestamp() * 1000), t, data)
            for t in times
        ]

    store_unit_data(
        every_30_s("E001", now, "autonomous")
        + every_30_s("E002", now - timedelta(hours=1), "autonomous")  # silent for the last hour
        + every_30_s("E004", now, "stop")  # reports, but never autonomous
    )  # E003 never reports
    extract_pass(now=now)
    visit = visit_as("admin")
    page = visit.open("/staff/availability")
    rows = page.locator("#unit-availability tbody tr")
    expect(rows).to_have_count(4)

    def availability_of(unit: str):
        return rows.filter(has_text=unit).locator("td").nth(3)

    expect(availability_of("E001")).to_have_text("100.00 %")
    # Down for its last hour, up to the page's now a few seconds later: just under 50 %.
    expect(availability_of("E002")).to_have_text(re.compile(r"^(49\.\d\d|50\.00) %$"))
    expect(availability_of("E003")).to_have_text("no data")
    expect(availability_of("E004")).to_have_text("0.00 %")
    expect(page.locator("#cluster-availability tbody td").nth(1)).to_have_text("1")
    expect(page.locator("#cluster-availability tbody td").last).to_have_text(re.compile(r"^37\.\d\d %$"))
    visit.screenshot("availability-no-data-staff")
    rows.filter(has_text="E003").get_by_role("button", name="detail…").click()
    expect(page.locator("#detail")).to_contain_text("(open)")
    assert visit.dialogs == []
