"""Every page under ``APIS_URL_PREFIX=/sc`` in a real browser, served by ``apis serve`` itself (as behind a
reverse proxy that forwards ``/sc/…`` unchanged), for a staff user and a resident: every request the browser
makes goes to ``/sc/…`` on the same origin and none fails. The server is the real process on a database of
its own (SQLite, or PostgreSQL when the suite runs on it) with the demo registry, a day of history and the two
demo ESS sites."""

from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from apis.ess.generate import demo_sites
from tests.ccc.harness import ServiceCenter

PREFIX = "/sc"


class PrefixedServiceCenter(ServiceCenter):
    """``apis serve`` with ``APIS_URL_PREFIX=/sc``; ``url`` is the site's base (``http://127.0.0.1:<port>/sc``)."""

    def __init__(self, directory) -> None:
        super().__init__(directory)
        self.origin = self.url
        self.url = self.origin + PREFIX
        self.env |= {"APIS_URL_PREFIX": PREFIX, "APIS_ESS_SITES": demo_sites(directory, days=1)}
        self._manage("generate_history", "--days", "1")


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[PrefixedServiceCenter]:
    center = PrefixedServiceCenter(tmp_path_factory.mktemp("prefix"))
    center.start()
    yield center
    center.stop()


class Traffic:
    """Every request a page makes, and every one that failed or was answered with an error status. A poll cut
    short by leaving the page (``net::ERR_ABORTED``) is no failure of the server."""

    def __init__(self, page: Page) -> None:
        self.urls: list[str] = []
        self.failures: list[str] = []
        page.on("request", lambda request: self.urls.append(request.url))
        page.on("requestfailed", lambda request: self._failed(request.url, request.failure))
        page.on("response", lambda response: self._answered(response.url, response.status))

    def _failed(self, url: str, reason: str | None) -> None:
        if reason != "net::ERR_ABORTED":
            self.failures.append(f"{url}: {reason}")

    def _answered(self, url: str, status: int) -> None:
        if status >= 400:
            self.failures.append(f"{url}: {status}")

    def outside(self, origin: str) -> list[str]:
        """Requests to another origin, or to this one outside the prefix."""
        own = urlsplit(origin).netloc
        return [
            url
            for url in self.urls
            if urlsplit(url).scheme not in ("data", "blob")
            and (urlsplit(url).netloc != own or not urlsplit(url).path.startswith(f"{PREFIX}/"))
        ]


@pytest.fixture
def open_as(browser: Browser, server: PrefixedServiceCenter):
    """``open_as("admin")``: a fresh browser context logged in through the login page under ``/sc``, and the
    :class:`Traffic` of its page."""
    contexts = []

    def make(username: str, landing: str) -> tuple[Page, Traffic]:
        context = browser.new_context(timezone_id="Asia/Tokyo")
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        traffic = Traffic(page)
        page.goto(f"{server.url}/")
        page.get_by_label("User name").fill(username)
        page.get_by_label("Password").fill(username)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{server.url}/{landing}")
        return page, traffic

    yield make
    for context in contexts:
        context.close()


def settle(page: Page) -> None:
    page.wait_for_load_state("networkidle")


def test_every_staff_page_under_the_prefix_asks_only_for_the_prefix(server, open_as):
    page, traffic = open_as("admin", "staff/visual")
    expect(page.locator("#visual g.unit[data-state=live]")).to_have_count(4)
    settle(page)

    page.get_by_role("link", name="AVAILABILITY").click()
    expect(page.locator("#unit-availability tbody tr")).to_have_count(4)
    settle(page)

    page.get_by_role("link", name="DEAL").click()
    expect(page.locator("#deals tbody tr").first).to_be_visible()
    settle(page)

    page.get_by_role("link", name="MONITORING").click()
    expect(page.locator("#jobs li.active")).to_have_count(0)
    page.get_by_label("apis_main_alive").check()  # a POST with its CSRF token, under the prefix
    expect(page.locator("#jobs li.active")).to_have_count(1)
    page.get_by_label("apis_main_alive").uncheck()
    expect(page.locator("#jobs li.active")).to_have_count(0)
    settle(page)

    page.get_by_role("link", name="UNIT HISTORY").click()
    expect(page.locator("#history-count")).not_to_have_text("–")
    settle(page)
    page.get_by_label("Cluster", exact=True).select_option(index=0)
    page.get_by_role("button", name="Select").click()  # the selection form posts under the prefix
    page.wait_for_url(f"{server.url}/staff/history")
    settle(page)

    page.get_by_role("link", name="DATASETS").click()
    expect(page.locator("#ds-site option")).to_have_count(2)
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#ds-table tbody tr").first).to_be_visible()
    assert page.locator("#ds-csv").get_attribute("href").startswith(f"{PREFIX}/api/ess/download/")
    settle(page)

    page.goto(f"{server.url}/admin/")
    expect(page.get_by_role("link", name="Units", exact=True)).to_be_visible()
    page.get_by_role("link", name="Units", exact=True).click()
    expect(page.get_by_role("cell", name="E004", exact=True)).to_be_visible()
    settle(page)

    page.goto(f"{server.url}/api/docs/")
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()
    settle(page)

    page.goto(f"{server.url}/staff/deal")
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(f"{server.url}/")
    expect(page.get_by_label("User name")).to_be_visible()

    assert len(traffic.urls) > 40
    assert traffic.outside(server.origin) == []
    assert traffic.failures == []


def test_every_resident_page_under_the_prefix_asks_only_for_the_prefix(server, open_as):
    page, traffic = open_as("e001", "resident/visual")
    expect(page.locator("#visual g.unit[data-unit-id=E001]")).to_have_count(1)
    settle(page)

    page.get_by_role("link", name="DEAL").click()
    expect(page.locator("#deals tbody tr").first).to_be_visible()
    settle(page)

    page.get_by_role("link", name="SCENARIO").click()
    row = page.locator("#scenarios tbody tr", has_text="HIGH_PRIORITY")
    row.get_by_role("button", name="choose").click()
    expect(row).to_have_class("current")
    settle(page)

    page.get_by_role("link", name="DATASETS").click()
    expect(page.locator("#ds-site option")).to_have_count(2)
    settle(page)

    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(f"{server.url}/")

    assert len(traffic.urls) > 20
    assert traffic.outside(server.origin) == []
    assert traffic.failures == []


def test_a_bookmark_of_the_original_opens_the_page_under_the_prefix(server, open_as):
    page, traffic = open_as("admin", "staff/visual")
    settle(page)

    page.goto(f"{server.url}/static/ui_example/staff/deal.html")

    page.wait_for_url(f"{server.url}/staff/deal")
    expect(page.locator("h1")).to_contain_text("APIS DEAL")
    settle(page)
    assert traffic.outside(server.origin) == []
    assert traffic.failures == []


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/static/ui_example/resident/scenario.html", 302),
        ("/static/ui_example/resident/availability.html", 404),
        ("/static/ui_example/staff/nothing.html", 404),
        ("/static/ui_example/staff/../../apis/settings.py", 404),
        ("/static/web/common.js", 200),
        ("", 302),
    ],
)
def test_the_real_server_answers_the_original_urls_and_static_files_under_the_prefix(server, path, status):
    answer = httpx.get(server.url + path, timeout=30)

    assert answer.status_code == status
    if status == 404:
        assert (answer.headers["content-type"], answer.text) == ("text/plain; charset=utf-8", "not found")
    assert httpx.get(server.origin + path, timeout=30).status_code == 404  # nothing outside the prefix
