"""Browser tests: the real pages in Debian's Chromium (Playwright, sync API) against ``live_server``.

One browser per session; each test gets fresh contexts. Every request a page makes is recorded so a test
can prove that nothing leaves for another host. Screenshots go to ``var/test-artifacts/screenshots/``.
"""

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from apis.demo.history import HistorySpec, default_end, generate_history

# Playwright's sync API runs an event loop in the test thread; Django's ORM must still be usable there.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path("var/test-artifacts/screenshots")
PASSWORDS = {"admin": "admin", "e001": "e001"}


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def site(transactional_db, demo_registry, live_server) -> str:
    """The live server's URL with the demo registry (no history)."""
    return live_server.url


@pytest.fixture
def demo_site(site) -> str:
    """The live server with the demo registry and the last day of synthetic history (a few live deals)."""
    generate_history(HistorySpec(end=default_end(), days=1))
    return site


class Visit:
    """A logged-in browser page plus every URL it requested."""

    def __init__(self, page: Page, base: str):
        self.page, self.base, self.requests = page, base, []
        page.on("request", lambda request: self.requests.append(request.url))
        self.dialogs: list[str] = []
        page.on("dialog", lambda dialog: (self.dialogs.append(dialog.message), dialog.dismiss()))

    def open(self, path: str) -> Page:
        self.page.goto(self.base + path)
        return self.page

    def foreign_requests(self) -> list[str]:
        """Requests to any other host than the live server."""
        own = urlsplit(self.base).netloc
        return [
            url
            for url in self.requests
            if urlsplit(url).scheme in ("http", "https", "ws", "wss") and urlsplit(url).netloc != own
        ]

    def screenshot(self, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
def visit_as(browser: Browser, site: str) -> Iterator[Callable[..., Visit]]:
    """``visit_as("admin")`` logs in through the login page and returns the :class:`Visit` once the user's
    first page (``landing``) is shown; ``password`` defaults to the demo user's."""
    contexts = []

    def make(username: str, password: str = "", landing: str = "visual", **context_options) -> Visit:
        context = browser.new_context(**context_options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        visit = Visit(context.new_page(), site)
        page = visit.open("/")
        page.get_by_label("User name").fill(username)
        page.get_by_label("Password").fill(password or PASSWORDS[username])
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"**/{landing}")
        return visit

    yield make
    for context in contexts:
        context.close()
