"""The customer's journey in a real browser, in Chinese: raise a request in the portal,
an agent picks it up and asks for information (the clock pauses), the customer replies
(the clock resumes), the agent resolves, the customer confirms and rates 5.

# covers: REQ-1..4, SLM-6, FBK-1
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from .test_browser import CHROMIUM, Page, browser, status_of, timeline  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed"),
]

TITLE = "财务系统打印报表乱码"


@pytest.fixture
def journey_world(transactional_db, live_server, world):
    return world


def sla_state(page, kind: str) -> str:
    return page.inner_text(f"#sla [data-clock={kind}] [data-state]").strip()


def submit(page, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)


def test_customer_raises_follows_replies_confirms_and_rates(journey_world, live_server,
                                                           browser):  # noqa: F811
    world = journey_world
    customer = Page(browser, live_server.url)
    agent = Page(browser, live_server.url)

    # --- the customer raises a request in the portal (Chinese UI by default)
    customer.login("requester_a")
    page = customer.page
    assert page.locator("body.portal").count() == 1
    assert page.get_attribute("html", "lang") == "zh-hans"
    page.click("#raise-request")  # on their home page (工作台): the service catalogue
    page.click("#other-request")  # no request type fits: the general form
    assert page.locator("#id_organization").count() == 0      # the portal knows who they are
    page.fill("#id_title", TITLE)
    page.fill("#id_description", "打印出来的月报中文全部是方块。")
    submit(page, "#save-record")
    number = page.inner_text("#record-number")
    assert re.fullmatch(r"REQ-\d{4}-\d{6}", number)
    ticket_path = urlsplit(page.url).path
    assert status_of(page) == "new"
    assert sla_state(page, "response") == "计时中"

    # --- an agent picks it up and asks for information: the clock pauses
    agent.login("agent")
    apage = agent.page
    agent.goto(ticket_path)
    apage.click("#transition-start summary")
    apage.select_option("#transition-start select[name='t-start-assignee']",
                        str(world.agent.pk))
    submit(apage, "#transition-start button[type=submit]")
    assert status_of(apage) == "in_progress"
    assert sla_state(apage, "response") == "已达标"            # starting work is a response
    apage.click("#transition-ask_customer summary")
    apage.fill("#transition-ask_customer textarea[name='t-ask_customer-comment']",
               "请提供打印机型号和驱动版本。")
    submit(apage, "#transition-ask_customer button[type=submit]")
    assert status_of(apage) == "waiting_customer"
    assert sla_state(apage, "resolution") == "暂停计时"

    # --- the customer replies in the portal: the clock resumes
    customer.goto(ticket_path)
    assert "请提供打印机型号和驱动版本。" in page.inner_text("#timeline")
    page.fill("#comment-form textarea[name=body]", "型号 HP M404，驱动 6.1。")
    submit(page, "#comment-form button[type=submit]")
    assert status_of(page) == "in_progress"
    assert sla_state(page, "resolution") == "计时中"

    # --- the agent resolves
    agent.goto(ticket_path)
    apage.click("#transition-resolve summary")
    apage.fill("#transition-resolve textarea[name='t-resolve-resolution']",
               "已更新打印驱动并安装中文字体。")
    submit(apage, "#transition-resolve button[type=submit]")
    assert status_of(apage) == "resolved"
    assert sla_state(apage, "resolution") == "已达标"

    # --- the customer confirms and rates 5
    customer.goto(ticket_path)
    page.click("#transition-close summary")
    submit(page, "#transition-close button[type=submit]")
    assert status_of(page) == "closed"
    page.check("#rating-form input[name=score][value='5']")
    page.fill("#rating-form textarea[name=comment]", "处理很及时，谢谢！")
    submit(page, "#rating-form button[type=submit]")
    assert "5" in page.inner_text("#rating-score")

    # --- the timeline and SLA tell the whole story, in Chinese
    events = "\n".join(timeline(page))
    for text in ("创建了", "开始处理", "询问客户", "型号 HP M404", "客户已回复", "解决",
                 "确认并关闭"):
        assert text in events, (text, events)
    page.click("#sla [data-clock=resolution] summary")
    explanation = page.inner_text("#sla [data-clock=resolution]")
    assert "暂停" in explanation and "等待客户" in explanation
    page.screenshot(path="/tmp/itsm-portal-journey.png", full_page=True)
    for session in (customer, agent):
        assert session.foreign_requests() == []
        assert session.console_errors == []
        session.close()
