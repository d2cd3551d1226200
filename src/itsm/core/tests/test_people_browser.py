"""A customer administrator's journey in a real browser (Playwright driving Debian's
chromium): they log in, open "人员" from the menu, create a colleague with the form
(the roles are offered by their Chinese names), and the colleague sets a password with
the emailed invitation, logs in and raises a service request in the portal.

The directory pages are looked at too: at 1440×900 and 390×844, in zh-Hans and English,
nothing is wider than the window; screenshots are left in ``ARTIFACTS``.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core import mail

from itsm.core import directory
from itsm.servicedesk.models import ServiceRequest
from itsm.servicedesk.tests.test_browser import CHROMIUM, Page, browser  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium (/usr/bin/chromium) "
                       "is not installed; apt-get install chromium to run browser tests"),
]

ARTIFACTS = Path("/tmp/itsm-people")
NEW_PASSWORD = "Lv4#qRt8!nXz-chosen"
SIZES = {"wide": (1440, 900), "phone": (390, 844)}


@pytest.fixture
def people_world(transactional_db, live_server, world):
    return world


def overflow(page) -> int:
    """How far the page is wider than the window (0: no horizontal scrolling)."""
    return page.evaluate("document.documentElement.scrollWidth"
                         " - document.documentElement.clientWidth")


def look_at(visitor: Page, path: str, name: str) -> list[str]:
    """Open ``path`` at each size: screenshots, and the sizes that scroll sideways."""
    ARTIFACTS.mkdir(exist_ok=True)
    page, wide = visitor.page, []
    visitor.goto(path)
    for size, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(ARTIFACTS / f"{name}-{size}.png"), full_page=True)
        if overflow(page) > 0:
            wide.append(f"{name} at {size}: {overflow(page)} px too wide")
    page.set_viewport_size({"width": 1440, "height": 900})
    return wide


def test_customer_admin_brings_in_a_colleague_in_the_browser(people_world, live_server,
                                                            browser):  # noqa: F811
    world = people_world
    admin = Page(browser, live_server.url)
    page = admin.page
    page.set_viewport_size({"width": 1440, "height": 900})
    admin.login("custadmin_a")

    # --- the people menu leads to the list of their organization
    page.click("#menu-people-toggle")
    with page.expect_navigation():
        page.click("#nav-people")
    assert urlsplit(page.url).path == "/directory/people/"
    assert "requester_a2" in page.inner_text("#people")
    assert "agent" not in page.inner_text("#people")

    # --- a new colleague, with the requester role chosen by its Chinese name
    with page.expect_navigation():
        page.click("#new-person")
    page.fill("#id_username", "wangxm")
    page.fill("#id_last_name", "王")
    page.fill("#id_first_name", "小明")
    page.fill("#id_email", "wangxm@example.cn")
    page.fill("#id_job_title", "财务专员")
    page.get_by_label("请求人").check()
    assert page.get_by_label("服务台坐席").count() == 0  # not theirs to give
    with page.expect_navigation():
        page.click("#save-person")
    assert re.search(r"/directory/people/\d+/$", page.url), page.url
    assert page.inner_text("#person-name") == "王小明"
    assert "请求人" in page.inner_text("#person-roles")
    problems = [*look_at(admin, urlsplit(page.url).path, "person-detail-zh"),
                *look_at(admin, "/directory/people/", "people-zh"),
                *look_at(admin, "/directory/people/new/", "person-form-zh"),
                *look_at(admin, "/directory/departments/", "departments-zh")]

    # --- the colleague opens the invitation, sets a password, logs in, raises a request
    [invitation] = [m for m in mail.outbox if m.to == ["wangxm@example.cn"]]
    link = re.search(r"http\S+/accounts/password/reset/\S+/\S+/", invitation.body).group(0)
    colleague = Page(browser, live_server.url)
    colleague.goto(urlsplit(link).path)
    colleague.page.fill("#id_new_password1", NEW_PASSWORD)
    colleague.page.fill("#id_new_password2", NEW_PASSWORD)
    with colleague.page.expect_navigation():
        colleague.page.click("#password-reset-confirm-form button[type=submit]")
    assert urlsplit(colleague.page.url).path == "/accounts/password/reset/done/"
    colleague.goto("/accounts/login/")
    colleague.page.fill("#id_username", "wangxm")
    colleague.page.fill("#id_password", NEW_PASSWORD)
    with colleague.page.expect_navigation():
        colleague.page.click("button[type=submit]")
    colleague.goto("/requests/new/")
    colleague.page.fill("#id_title", "报销系统无法登录")
    colleague.page.fill("#id_description", "提示密码错误")
    with colleague.page.expect_navigation():
        colleague.page.click("#save-record")
    record = ServiceRequest.objects.get(title="报销系统无法登录")
    assert record.requester.username == "wangxm"
    assert record.organization == world.orgs["A"]
    colleague.close()

    # --- the provider's administrator sees the pages in English as well
    directory.set_language(world.admin, "en")
    provider = Page(browser, live_server.url)
    provider.login("admin")
    assert provider.page.get_attribute("html", "lang") == "en"
    for path, name in [("/directory/people/", "people-en"),
                       (f"/directory/people/{record.requester_id}/", "person-detail-en"),
                       (f"/directory/people/{record.requester_id}/edit/", "person-form-en"),
                       ("/directory/organizations/", "organizations-en"),
                       (f"/directory/organizations/{world.orgs['A'].pk}/", "organization-en"),
                       ("/directory/departments/", "departments-en"),
                       ("/directory/teams/", "teams-en"),
                       (f"/directory/teams/{world.teams['desk'].pk}/", "team-en")]:
        problems += look_at(provider, path, name)
    assert problems == []
    for visitor in (admin, provider):
        assert visitor.foreign_requests() == []
        assert visitor.console_errors == []
        visitor.close()
