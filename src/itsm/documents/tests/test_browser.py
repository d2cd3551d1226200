"""A document's page in a real browser (Playwright driving Debian's chromium): the image
of its current version is previewed inside the page (the project's Content-Security-
Policy lets our own frames and images in), its PDF version opens in a frame, and the
requester confirms a requirement document. Screenshots at 1440×900 and 390×844 in
``var/screenshots`` for a look."""

# covers: DOC-4, REQ-5

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from itsm.conftest import CHROMIUM
from itsm.core import directory
from itsm.core.choices import Language
from itsm.documents import requirements, services

from .conftest import add_people, make_document, pdf_bytes, png_bytes, upload

SCREENSHOTS = Path(settings.VAR_DIR) / "screenshots"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed"),
]

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def open_as(chromium, base: str, user, width: int = 1440, height: int = 900):
    client = Client()
    client.force_login(user)
    context = chromium.new_context(viewport={"width": width, "height": height})
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME,
                          "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                          "url": base}])
    page = context.new_page()
    page.set_default_timeout(15000)
    return context, page


def test_preview_and_confirmation_in_the_browser(transactional_db, live_server, world,
                                                  chromium):
    add_people(world)
    for user in (world.writer, world.requester_a):
        directory.set_language(user, Language.ZH_HANS)
    document = make_document(world, text=None, title="机房平面图")
    services.add_version(document, actor=world.writer, upload=upload("平面图.png", png_bytes()))
    pdf = make_document(world, text=None, title="升级方案")
    services.add_version(pdf, actor=world.writer, upload=upload("方案.pdf", pdf_bytes()))
    request = world.request("requester_a", title="新建报销审批流程")
    requirement = requirements.create_requirement_document(
        request, actor=world.writer, title="报销审批需求",
        sections={"functional": "三级审批", "data": "保留 10 年"})
    base = live_server.url
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []

    context, page = open_as(chromium, base, world.writer)
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.goto(base + document.get_absolute_url())
    image = page.locator("img#preview")
    image.wait_for()
    assert page.evaluate("document.getElementById('preview').naturalWidth") == 4
    page.screenshot(path=str(SCREENSHOTS / "document-detail-1440.png"), full_page=True)
    # The PDF opens in the browser's viewer inside the page (sandboxed, framed by us).
    with page.expect_event("framenavigated", predicate=lambda f: f.url.startswith(
            "chrome-extension://")):
        page.goto(base + pdf.get_absolute_url())
    assert page.locator("iframe#preview").get_attribute("src").endswith("/preview/")
    for name, path in (("list", "/documents/"), ("new", "/documents/new/"),
                       ("categories", "/documents/categories/"),
                       ("access-log", "/documents/access-log/"),
                       ("loans", "/documents/loans/")):
        page.goto(base + path)
        page.screenshot(path=str(SCREENSHOTS / f"documents-{name}-1440.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), name
    context.close()
    assert not [p for p in problems if "Content Security Policy" in p], problems

    context, page = open_as(chromium, base, world.requester_a, 390, 844)
    page.goto(base + request.get_absolute_url())
    page.locator("#requirement-documents").wait_for()
    page.goto(base + requirement.get_absolute_url())
    page.screenshot(path=str(SCREENSHOTS / "requirement-390.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.click("#confirm")
    page.locator("#confirmed").wait_for()
    context.close()
    requirement.refresh_from_db()
    assert requirement.confirmed_by == world.requester_a
