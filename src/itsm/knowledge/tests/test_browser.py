"""Deflection in a real browser (Playwright driving Debian's chromium), in zh-Hans: a
customer of A types "打印机卡纸" as the title of a new request; a published article for
customers is suggested below the form while they type; they open it and say it solved
their problem, so no request is submitted and the deflection is counted where staff see
it. An article for customer B only is never suggested to them, not found by their
search, and its page is a 404."""

# covers: KB-1, KB-3

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from itsm.conftest import CHROMIUM
from itsm.core import directory
from itsm.core.choices import Language
from itsm.knowledge.models import Deflection
from itsm.servicedesk.models import ServiceRequest

from .data import published

SCREENSHOTS = Path(settings.VAR_DIR) / "screenshots"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed"),
]

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def journey(transactional_db, live_server, world):
    ours = published(world, visibility="customers")
    only_b = published(world, title="打印机卡纸（仅限 B 公司）", visibility="customers",
                       customer_organizations=[world.orgs["B"]])
    directory.set_language(world.requester_a, Language.ZH_HANS)
    return world, ours, only_b, live_server.url


def open_as(chromium, base: str, user):
    client = Client()
    client.force_login(user)
    context = chromium.new_context(viewport={"width": 1440, "height": 900})
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME,
                          "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                          "url": base}])
    page = context.new_page()
    page.set_default_timeout(15000)
    return context, page


def test_a_suggested_article_deflects_the_request(journey, chromium):
    world, ours, only_b, base = journey
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    context, page = open_as(chromium, base, world.requester_a)
    page.goto(base + reverse("servicedesk:request-create"))
    page.fill("#id_title", "打印机卡纸")
    suggestion = page.locator(f"#kb-suggestion-{ours.pk}")
    suggestion.wait_for()
    assert page.locator(f"#kb-suggestion-{only_b.pk}").count() == 0
    assert "仅限 B 公司" not in page.inner_text("#kb-suggest")
    page.screenshot(path=str(SCREENSHOTS / "knowledge-suggestion.jpeg"), quality=70)
    suggestion.click()
    page.wait_for_load_state("load")
    assert page.inner_text("#article-title") == ours.title
    page.click("#deflect")
    page.wait_for_load_state("load")
    assert page.url.rstrip("/") == base.rstrip("/") or page.url == base + reverse("home")
    assert ServiceRequest.objects.count() == 0
    deflection = Deflection.objects.get()
    assert (deflection.article_id, deflection.user_id, deflection.query) == (
        ours.pk, world.requester_a.pk, "打印机卡纸")
    ours.refresh_from_db()
    assert ours.helpful_count == 1
    # B's article: not found by their search, and its page is not there for them.
    page.goto(base + reverse("knowledge:browse") + "?q=打印机卡纸")
    assert ours.title in page.inner_text("#kb-articles")
    assert "仅限 B 公司" not in page.content()
    response = page.goto(base + only_b.reader_url)
    assert response.status == 404
    context.close()
    # Staff see the deflection counted.
    staff = Client()
    staff.force_login(world.agent)
    html = staff.get(reverse("knowledge:deflections")).content.decode()
    assert 'id="deflections-total">1<' in html and ours.number in html
