"""A service request's journey in a real browser (Playwright driving Debian's chromium).

An agent logs in through the form, raises a request with a Chinese title, assigns
it to the team and starts work by clicking the action buttons, finds it again with the
navigation bar's search box, switches the UI to English, and logs out; a customer of
another organization then cannot find it. The page must load nothing from outside the
server: our users run air-gapped intranets.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from itsm.conftest import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOT = Path("/tmp/itsm-detail.png")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium (/usr/bin/chromium) "
                       "is not installed; apt-get install chromium to run browser tests"),
]

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

TITLE = "三楼会议室投影仪无信号"


@pytest.fixture
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def journey_world(transactional_db, live_server, world):
    return world


class Page:
    """A browser page that records every URL it requests and every failed response."""

    def __init__(self, browser, base_url: str) -> None:
        self.base_url = base_url
        self.context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.page.set_default_timeout(15000)
        self.requested: list[str] = []
        self.failed: list[str] = []
        self.console_errors: list[str] = []
        self.page.on("request", lambda r: self.requested.append(r.url))
        # A request the page itself abandoned by navigating on (a deferred script of the
        # page being left) is not a failure; any other network error is.
        self.page.on("requestfailed", lambda r: "ERR_ABORTED" not in (r.failure or "")
                     and self.failed.append(r.url))
        self.page.on("console", lambda m: m.type == "error" and self.console_errors.append(m.text))

    def goto(self, path: str):
        return self.page.goto(self.base_url + path)

    def login(self, username: str) -> None:
        self.goto("/accounts/login/")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", PASSWORD)
        with self.page.expect_navigation():
            self.page.click("button[type=submit]")

    def foreign_requests(self) -> list[str]:
        origin = urlsplit(self.base_url)[:2]
        return [u for u in self.requested
                if not u.startswith(("data:", "about:", "blob:")) and urlsplit(u)[:2] != origin]

    def close(self) -> None:
        self.context.close()


def status_of(page) -> str:
    return page.get_attribute("#record-status [data-status]", "data-status")


def timeline(page) -> list[str]:
    return [t.strip() for t in page.locator("#timeline > li").all_inner_texts()]


def stylesheet_applied(page) -> bool:
    """Bootstrap's CSS is loaded when a .btn-primary has Bootstrap's blue background."""
    color = page.evaluate(
        "getComputedStyle(document.querySelector('.btn-primary')).backgroundColor")
    return color == "rgb(13, 110, 253)"


def test_request_journey_in_the_browser(journey_world, live_server, browser):
    world = journey_world
    agent = Page(browser, live_server.url)

    # --- log in as an agent through the form
    agent.login("agent")
    page = agent.page
    assert urlsplit(page.url).path == "/"  # the home page (工作台) of the agent
    assert page.locator("#widget-my-work").count() == 1
    agent.goto("/requests/")
    assert page.get_attribute("html", "lang") == "zh-hans"
    assert page.locator("body.workspace").count() == 1

    # --- create a request through the form
    page.click("#new-record")
    page.select_option("#id_organization", str(world.orgs["A"].pk))
    page.select_option("#id_requester", str(world.requester_a.pk))
    page.fill("#id_title", TITLE)
    page.fill("#id_description", "投影仪接 HDMI 后显示“无信号”，换线无效。")
    with page.expect_navigation():
        page.click("#save-record")
    assert re.search(r"/requests/\d+/$", page.url), page.url
    number = page.inner_text("#record-number")
    assert re.fullmatch(r"REQ-\d{4}-\d{6}", number)
    assert TITLE in page.inner_text("h1")
    assert status_of(page) == "new"
    assert len(timeline(page)) == 1
    assert number in timeline(page)[0]
    assert stylesheet_applied(page)
    detail_url = page.url

    # --- assign to the team with the action button
    page.click("#transition-assign summary")
    page.select_option("#transition-assign select[name='t-assign-assignee_team']",
                       str(world.teams["desk"].pk))
    page.fill("#transition-assign textarea[name='t-assign-comment']", "请一线服务台处理")
    with page.expect_navigation():
        page.click("#transition-assign button[type=submit]")
    assert status_of(page) == "assigned"
    events = timeline(page)
    assert len(events) == 3  # created, assigned, the comment given with it
    assert "→" in events[1]
    assert "请一线服务台处理" in events[2]
    assert "一线服务台" in page.inner_text(".col-lg-4")

    # --- start work with an assignee; the action needs one
    page.click("#transition-start summary")
    assignee = "#transition-start select[name='t-start-assignee']"
    assert page.eval_on_selector(assignee, "e => e.required && e.validity.valueMissing")
    page.click("#transition-start button[type=submit]")  # the browser refuses to submit
    assert page.url == detail_url
    assert status_of(page) == "assigned"
    page.select_option(assignee, str(world.agent.pk))
    with page.expect_navigation():
        page.click("#transition-start button[type=submit]")
    assert status_of(page) == "in_progress"
    events = timeline(page)
    assert len(events) == 4
    assert "→" in events[3]
    assert page.locator("#transition-resolve").count() == 1
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    assert SCREENSHOT.stat().st_size > 10_000

    # --- find it again from the search box of the navigation bar (global search)
    page.fill("#nav-search-q", "投影仪")
    with page.expect_navigation():
        page.press("#nav-search-q", "Enter")
    assert urlsplit(page.url).path == "/search/"
    assert number in page.inner_text("#results-servicerequest")
    with page.expect_navigation():
        page.click(f"#results-servicerequest a:text-is('{number}')")
    assert page.url == detail_url

    # --- switch the language to English in the user menu
    page.click("#user-menu-toggle")
    with page.expect_navigation():
        page.select_option("select[name=language]", "en")
    assert page.url == detail_url
    assert page.get_attribute("html", "lang") == "en"
    assert page.inner_text("#record-status [data-status]") == "In progress"
    assert "Timeline" in page.inner_text("main")
    assert page.inner_text("#logout") == "Log out"
    world.agent.profile.refresh_from_db()
    assert world.agent.profile.language == "en"
    agent.goto("/requests/")
    page.screenshot(path="/tmp/itsm-list-en.png", full_page=True)
    # --- on a phone the menu collapses and the list scrolls in its box, not the page
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.is_visible(".navbar-toggler") and not page.is_visible("#nav-collapse")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.click(".navbar-toggler")
    page.wait_for_selector("#user-menu-toggle", state="visible")
    assert page.is_visible("#nav-search-q")  # the search box folds into the menu too
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.set_viewport_size({"width": 1440, "height": 900})

    # --- log out (in the user menu)
    page.click("#user-menu-toggle")
    with page.expect_navigation():
        page.click("#logout")
    assert urlsplit(page.url).path == "/accounts/login/"
    agent.goto("/requests/")
    assert urlsplit(page.url).path == "/accounts/login/"
    assert agent.foreign_requests() == []
    assert agent.failed == []
    assert agent.console_errors == []
    agent.close()

    # --- a customer of another organization cannot find it
    customer = Page(browser, live_server.url)
    customer.login("requester_b")
    page = customer.page
    assert urlsplit(page.url).path == "/"
    assert page.locator("#widget-my-requests").count() == 1
    customer.goto("/requests/")
    assert page.locator("body.portal").count() == 1
    page.screenshot(path="/tmp/itsm-portal.png", full_page=True)
    assert number not in page.inner_text("main")
    assert TITLE not in page.content()
    page.fill("#filters input[name=q]", number)
    with page.expect_navigation():
        page.click("#filters button")
    assert number not in page.inner_text("table")
    response = customer.goto(urlsplit(detail_url).path)
    assert response.status == 404
    assert TITLE not in page.content()
    assert page.locator("main .alert-warning").count() == 1
    assert customer.foreign_requests() == []
    customer.close()
