"""Every role's home page, a list and a detail page in a real browser (Playwright
driving Debian's chromium), in zh-Hans and English, on a 1440×900 screen and a
390×844 phone: nothing is wider than the window, and at 1440 no label of the
navigation bar wraps and the bar is one row. A screenshot of each page is kept in
``$ITSM_VAR_DIR/screenshots/`` (the test artifacts)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from itsm.conftest import CHROMIUM
from itsm.core import directory
from itsm.core.choices import Language, Role

SIZES = {"1440": (1440, 900), "390": (390, 844)}
SCREENSHOTS = Path(settings.VAR_DIR) / "screenshots"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium (/usr/bin/chromium) "
                       "is not installed; apt-get install chromium to run browser tests"),
]

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

#: One person per role (the world has agent, lead, auditor and the customers).
EXTRA_PEOPLE = {
    "chgmgr": [Role.CHANGE_MANAGER, Role.AGENT],
    "cab": [Role.CAB_MEMBER],
    "quality": [Role.QUALITY_MANAGER],
    "hr": [Role.HR],
    "security": [Role.SECURITY_OFFICER],
}
ROLES = ["agent", "lead", "chgmgr", "cab", "quality", "hr", "security", "auditor",
         "requester_a", "custadmin_a"]

#: Wider than the window (the page scrolls sideways), and navigation labels that wrap.
LAYOUT = """() => {
  const root = document.documentElement;
  const wrapped = [];
  for (const el of document.querySelectorAll(
      '#navbar .nav-link, #navbar .navbar-brand, #navbar .btn')) {
    if (!el.offsetParent) continue;  // in the collapsed menu of a phone
    const range = document.createRange();
    range.selectNodeContents(el);
    const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
    if (tops.size > 1) wrapped.push(el.textContent.trim());
  }
  return {scroll: root.scrollWidth, client: root.clientWidth, wrapped: wrapped,
          navbar: document.getElementById('navbar').getBoundingClientRect().height};
}"""


@pytest.fixture
def people(transactional_db, live_server, world):
    for username, roles in EXTRA_PEOPLE.items():
        world.users[username] = directory.create_person(actor=None, data={
            "username": username, "first_name": "", "last_name": username,
            "email": f"{username}@example.cn", "password": "x" * 12, "roles": roles,
            "profile": {"organization": world.orgs["P"]}})
    world.users["lead"].first_name, world.users["lead"].last_name = "建国", "王"
    world.users["lead"].save()
    record = world.request("requester_a", title="财务系统登录缓慢，影响月底结账流程")
    return world, record, live_server.url


def session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def test_every_role_fits_the_screen_in_both_languages(people, chromium):
    world, record, base = people
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    problems = []
    for username in ROLES:
        user = world.users[username]
        pages = {"home": "/", "list": "/requests/", "detail": record.get_absolute_url()}
        for language in (Language.ZH_HANS, Language.EN):
            directory.set_language(user, language)
            cookie = session_cookie(user)
            for size, (width, height) in SIZES.items():
                context = chromium.new_context(viewport={"width": width, "height": height})
                context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie,
                                      "url": base}])
                page = context.new_page()
                page.set_default_timeout(15000)
                for name, path in pages.items():
                    response = page.goto(base + path)
                    assert response.status == 200, (username, path, response.status)
                    page.wait_for_load_state("load")
                    layout = page.evaluate(LAYOUT)
                    where = f"{username} {name} {language} {size}"
                    if layout["scroll"] > layout["client"]:
                        problems.append(f"{where}: {layout['scroll']} px wide")
                    if size == "1440" and layout["wrapped"]:
                        problems.append(f"{where}: wrapped {layout['wrapped']}")
                    if size == "1440" and layout["navbar"] > 80:
                        problems.append(f"{where}: navigation {layout['navbar']} px high")
                    page.screenshot(path=str(SCREENSHOTS / f"{username}-{name}-{language}-"
                                                               f"{size}.jpeg"), quality=70)
                context.close()
    assert not problems, "\n".join(problems)


def test_bulk_assignment_picks_the_assignee_by_name(people, chromium):
    """The bulk bar's assignee is typed, not chosen from a list of every staff member:
    typing part of a name offers 姓名 (teams) from the API, and the choice assigns."""
    world, record, base = people
    others = [world.request("requester_a", title=f"打印机卡纸 {n}") for n in range(2)]
    lead = world.users["lead"]
    directory.set_language(lead, Language.ZH_HANS)
    context = chromium.new_context(viewport={"width": 1440, "height": 900})
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME,
                          "value": session_cookie(lead), "url": base}])
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(base + "/requests/")
    page.check('input[data-select-all="ids"]')
    page.select_option("#bulk-operation", "assign")
    page.fill("#bulk-assignee", "建国")
    options = page.locator("#bulk-assignee-options option")
    page.wait_for_function("() => document.querySelectorAll("
                           "'#bulk-assignee-options option').length === 1")
    label = options.first.get_attribute("value")
    assert label == "王建国 (一线服务台)"
    page.fill("#bulk-assignee", label)
    assert page.input_value("#bulk-assignee-id") == str(lead.pk)
    page.click("#bulk-apply")
    page.wait_for_selector("#bulk-results")
    assert page.locator('#bulk-results [data-ok="1"]').count() == 3
    context.close()
    for ticket in (record, *others):
        ticket.refresh_from_db()
        assert ticket.assignee_id == lead.pk
