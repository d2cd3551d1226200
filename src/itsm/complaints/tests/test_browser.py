"""The complaint journey in a real browser (Playwright driving Debian's chromium), in
zh-Hans: a customer complains about their incident in the portal, the designated handler
takes, evaluates, responds and proposes; the customer rejects with a reason; the handler
proposes again; the customer accepts with a score. The page shows the clocks, the linked
incident and every step on the timeline."""

# covers: CPL-1, CPL-3

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from itsm.complaints.models import CauseCategory, Complaint
from itsm.conftest import CHROMIUM
from itsm.core import directory, services
from itsm.core.choices import Language, Role
from itsm.servicedesk.models import Incident

SCREENSHOTS = Path(settings.VAR_DIR) / "screenshots"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed"),
]

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def journey(transactional_db, live_server, world):
    world.users["handler"] = directory.create_person(actor=None, data={
        "username": "handler", "first_name": "芳", "last_name": "李",
        "email": "handler@example.cn", "password": "x" * 12,
        "roles": [Role.COMPLAINT_HANDLER], "profile": {"organization": world.orgs["P"]}})
    parent = CauseCategory.objects.get_or_create(provider=None, parent=None, name="服务时效")[0]
    cause = CauseCategory.objects.get_or_create(provider=None, parent=parent,
                                                name="响应超时")[0]
    incident = services.create_record(Incident, actor=world.requester_a, data={
        "organization": world.orgs["A"], "title": "邮件系统无法登录",
        "description": "全部门无法收发邮件"})
    for user in (world.requester_a, world.users["handler"]):
        directory.set_language(user, Language.ZH_HANS)
    return world, incident, cause, live_server.url


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


def act(page, name: str, fields: dict[str, str] | None = None, selects=None) -> None:
    """Open a transition's form on the detail page, fill it in and submit it."""
    page.click(f"#transition-{name} summary")
    for field, value in (fields or {}).items():
        page.fill(f'[name="t-{name}-{field}"]', value)
    for field, value in (selects or {}).items():
        page.select_option(f'[name="t-{name}-{field}"]', value)
    page.click(f'#transition-{name} button[type="submit"]')
    page.wait_for_load_state("load")


def test_the_complaint_journey_in_the_browser(journey, chromium):
    world, incident, cause, base = journey
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    customer_context, customer = open_as(chromium, base, world.requester_a)
    # From the incident's page: "投诉此工单".
    customer.goto(f"{base}{incident.get_absolute_url()}")
    customer.click("#action-complain")
    customer.wait_for_load_state("load")
    assert incident.number in customer.inner_text("#complaint-about")
    customer.fill('[name="title"]', "邮件故障处理太慢")
    customer.fill('[name="description"]', "报修一天仍未恢复，影响业务")
    customer.fill('[name="remedy_sought"]', "尽快恢复并说明原因")
    customer.click("#save-record")
    customer.wait_for_load_state("load")
    complaint = Complaint.objects.get()
    assert complaint.number in customer.content()
    assert incident.number in customer.inner_text("#complaint-links")
    assert customer.locator("#sla").count() == 1
    customer.screenshot(path=str(SCREENSHOTS / "complaint-customer.jpeg"), quality=70)

    handler_context, handler = open_as(chromium, base, world.users["handler"])
    handler.goto(base + complaint.get_absolute_url())
    handler.click('[data-action="take"]')
    handler.wait_for_load_state("load")
    act(handler, "evaluate", {"assessment": "一线未及时升级"}, {"level": "urgent"})
    act(handler, "respond", {"comment": "您好，已收到您的投诉，正在核实。"})
    act(handler, "start")
    act(handler, "propose", {"resolution": "已恢复邮件服务"}, {"cause_category": str(cause.pk)})
    complaint.refresh_from_db()
    assert complaint.status == "proposed" and complaint.assignee == world.users["handler"]
    handler.screenshot(path=str(SCREENSHOTS / "complaint-handler.jpeg"), quality=70)

    customer.goto(base + complaint.get_absolute_url())
    assert "一线未及时升级" not in customer.content()
    act(customer, "reject", {"comment": "原因没有解释"})
    complaint.refresh_from_db()
    assert complaint.status == "resolving"

    handler.goto(base + complaint.get_absolute_url())
    act(handler, "propose", {"resolution": "原因为证书过期，已恢复并加入到期监控"},
        {"cause_category": str(cause.pk)})
    customer.goto(base + complaint.get_absolute_url())
    act(customer, "accept", {"satisfaction_score": "4"})
    complaint.refresh_from_db()
    assert complaint.status == "closed" and complaint.satisfaction_score == 4
    text = customer.content()
    assert "原因没有解释" in text and "您好，已收到您的投诉" in text
    customer.screenshot(path=str(SCREENSHOTS / "complaint-closed.jpeg"), quality=70,
                        full_page=True)
    customer_context.close()
    handler_context.close()
