"""The main journey in a real browser (Playwright driving Debian's chromium): a recipient
answers through the signed link in Chinese on a phone-sized screen (390×844, nothing
wider than the window), and the quality manager sees the results page with its charts.
Screenshots go to ``$ITSM_VAR_DIR/screenshots/``."""

# covers: FBK-2

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from itsm.conftest import CHROMIUM
from itsm.surveys import services
from itsm.surveys.models import SurveyResponse

SCREENSHOTS = Path(settings.VAR_DIR) / "screenshots"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium (/usr/bin/chromium) "
                       "is not installed; apt-get install chromium to run browser tests"),
]

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

WIDTH = "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"


@pytest.fixture
def journey(transactional_db, live_server, sw):
    services.launch_campaign(sw.campaign, actor=sw.world.users["quality"])
    return sw, live_server.url


def session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def test_a_recipient_answers_on_a_phone_and_the_quality_manager_sees_the_results(
        journey, chromium):
    sw, base = journey
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    token = sw.tokens()["extra_a0"]
    context = chromium.new_context(viewport={"width": 390, "height": 844},
                                   locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15000)
    response = page.goto(f"{base}/surveys/answer/{token}/")
    assert response.status == 200
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.get_by_text("服务台响应您的请求是否及时？").is_visible()
    scroll, client_width = page.evaluate(WIDTH)
    assert scroll <= client_width, f"{scroll} px wide on a 390 px phone"
    page.screenshot(path=str(SCREENSHOTS / "survey-answer-zh-hans-390.png"),
                    full_page=True)
    scores = {"response_speed": "2", "service_quality": "4", "reliability": "5",
              "cost": "na", "security": "4"}
    for dimension, score in scores.items():
        page.click(f'label[for="q{sw.questions[dimension].pk}-{score}"]')
    page.fill(f'#q{sw.questions["text"].pk}', "工程师很专业，但响应有点慢。")
    page.click("#survey-submit")
    page.wait_for_selector("#survey-thanks")
    saved = SurveyResponse.objects.get()
    assert {a.dimension: (a.score, a.not_applicable) for a in saved.answers.all()
            if a.dimension} == {
        "response_speed": (2, False), "service_quality": (4, False),
        "reliability": (5, False), "cost": (None, True), "security": (4, False)}
    assert saved.answers.get(question=sw.questions["text"]).text == "工程师很专业，但响应有点慢。"
    # the link is used up
    assert page.goto(f"{base}/surveys/answer/{token}/").status == 410
    context.close()

    context = chromium.new_context(viewport={"width": 1440, "height": 900})
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME,
                          "value": session_cookie(sw.world.users["quality"]), "url": base}])
    page = context.new_page()
    page.set_default_timeout(15000)
    assert page.goto(f"{base}/surveys/campaigns/").status == 200
    page.click(f'a[href="/surveys/campaigns/{sw.campaign.pk}/results/"]')
    page.wait_for_selector('[data-chart-ready="1"]')
    assert page.locator("#summary-responses").inner_text().replace(" ", "") == "1/20"
    assert page.locator('#results-dimensions tr[data-dimension="response_speed"] td'
                        ).nth(1).inner_text() == "2.0"
    assert page.locator('#results-dimensions tr[data-dimension="cost"]').count() == 0
    scroll, client_width = page.evaluate(WIDTH)
    assert scroll <= client_width
    page.screenshot(path=str(SCREENSHOTS / "survey-results-1440.png"),
                    full_page=True)
    context.close()
