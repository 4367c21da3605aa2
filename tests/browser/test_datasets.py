"""The ESS dataset page in Chromium: a researcher (no staff or resident role) picks a site, a component, ids
and fields, previews a chart and a table, and downloads a CSV with exactly the chosen columns."""

import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from apis.ess.generate import Spec, generate
from apis.ess.sites import clear_schema_cache

START = datetime(2022, 9, 1, tzinfo=ZoneInfo("Asia/Seoul"))
MARKUP_NAME = "<b>Jeju</b> <img src=x onerror=window.__xss=1>"


@pytest.fixture
def ess_site_files(site, tmp_path, settings) -> str:
    """Two SQLite operating sites of one day every 10 minutes: site 1 basic, site 2 extended with 3 racks."""
    urls = {1: str(tmp_path / "site1.sqlite3"), 2: str(tmp_path / "site2.sqlite3")}
    generate(urls[1], Spec("basic", START, 1, 600, 2, 2))
    generate(urls[2], Spec("extended", START, 1, 600, 1, 3))
    names = {1: "Seoul lab", 2: MARKUP_NAME}
    settings.ESS_SITES = {str(k): {"name": names[k], "url": url} for k, url in urls.items()}
    clear_schema_cache()
    yield site
    clear_schema_cache()


@pytest.fixture
def researcher_visit(visit_as, ess_site_files, django_user_model):
    """Log a researcher in through the login page; returns ``make(**context_options)`` → :class:`Visit`."""
    django_user_model.objects.create_user("researcher", password="data-please-7")
    return lambda **options: visit_as("researcher", password="data-please-7", landing="datasets", **options)


def test_researcher_previews_rack_fields_and_downloads_a_csv_of_exactly_those_fields(researcher_visit):
    visit = researcher_visit()
    page = visit.page
    expect(page.get_by_role("link", name="DATASETS")).to_have_attribute("aria-current", "page")
    site = page.get_by_label("Operating site")
    expect(site.locator("option")).to_have_count(2)
    site.select_option(label=MARKUP_NAME)
    page.get_by_label("Component").select_option("rack")
    page.get_by_label("Bank id").fill("1")
    page.get_by_label("Rack id (empty: every rack)").fill("2")
    expect(page.get_by_label("Start (inclusive)")).to_have_value("2022-09-01T00:00")
    page.get_by_role("button", name="Check none").click()
    page.get_by_label("rack_soc", exact=True).check()
    page.get_by_label("rack_voltage", exact=True).check()
    page.get_by_label("rack_module_fault", exact=True).check()
    page.get_by_role("button", name="Preview").click()

    expect(page.locator("#ds-summary")).to_have_text("144 rows shown (first page)")
    expect(page.locator("#ds-table tbody tr")).to_have_count(50)
    headers = page.locator("#ds-table thead th").all_text_contents()
    assert headers == ["timestamp", "bank_id", "rack_id", "rack_soc", "rack_voltage", "rack_module_fault"]
    expect(page.locator("#ds-table tbody tr").first).to_contain_text("2022-09-01T00:00:00+09:00")
    expect(page.locator("#ds-table tbody tr").first).to_contain_text('{"rack":2,"code":')
    labels = page.evaluate("Chart.getChart('ds-chart').data.datasets.map(d => d.label)")
    assert labels == ["rack_soc", "rack_voltage"]
    assert page.evaluate("Chart.getChart('ds-chart').data.labels.length") == 144
    visit.screenshot("datasets-researcher")

    with page.expect_download() as info:
        page.get_by_role("link", name="Download CSV").click()
    download = info.value
    assert download.suggested_filename == "rack.csv"
    lines = Path(download.path()).read_text().splitlines()
    assert lines[0] == "timestamp,bank_id,rack_id,rack_soc,rack_voltage,rack_module_fault"
    assert len(lines) == 1 + 144  # the chosen rack only, as in the preview
    assert lines[1].startswith("2022-09-01T00:00:00+09:00,1,2,")

    assert page.evaluate("window.__xss") is None
    assert page.locator("img[src=x]").count() == 0
    assert visit.foreign_requests() == []
    assert visit.dialogs == []


def test_refused_selections_show_the_api_message_and_resampling_feeds_the_links(researcher_visit):
    page = researcher_visit().page
    page.get_by_label("Component").select_option("pcs")
    page.get_by_label("End (exclusive)").fill("2021-01-01T00:00:00")
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("alert")).to_have_text("Value Error: end-time must be after start-time")

    page.get_by_label("End (exclusive)").fill("2022-09-02T00:00:00")
    page.get_by_label("Interval").select_option("1h")
    page.get_by_label("Aggregate").select_option("max")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#ds-summary")).to_have_text("24 rows shown (first page)")
    expect(page.get_by_role("alert")).to_be_hidden()
    href = page.get_by_role("link", name="Download Parquet").get_attribute("href")
    assert href.startswith("/api/ess/download/operating-sites/1/pcs/?")
    assert "interval=1h" in href and "agg=max" in href and href.endswith("format=parquet")


def test_dataset_page_fits_a_phone_and_staff_reach_it_from_their_navigation(ess_site_files, visit_as):
    visit = visit_as("admin", viewport={"width": 375, "height": 740}, is_mobile=True)
    page = visit.page
    page.get_by_role("link", name="DATASETS").click()
    page.wait_for_url("**/datasets")
    expect(page.get_by_role("link", name="VISUAL")).to_be_visible()
    expect(page.locator("#ds-field-list input")).to_have_count(9)
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#ds-summary")).to_have_text(re.compile(r"^144 rows shown"))
    page.wait_for_load_state("networkidle")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    visit.screenshot("datasets-staff-phone")
    assert visit.foreign_requests() == []


def test_anonymous_visitors_of_the_dataset_page_go_to_the_login_page(client, db):
    answer = client.get("/datasets")
    assert answer.status_code == 302 and answer["Location"] == "/"
