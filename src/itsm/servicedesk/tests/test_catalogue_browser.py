"""The catalogue journey in a real browser: the customer picks a request type's tile,
fills its own fields and attaches a file; their department head approves it from the
inbox; the desk does the fulfilment tasks and the request is resolved.

# covers: SLM-1, REQ-2, REQ-4
"""

from __future__ import annotations

import pytest

from itsm.servicedesk.models import ServiceRequest

from .test_browser import CHROMIUM, Page, browser, status_of  # noqa: F401
from .test_catalogue import catalogue  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed"),
]


@pytest.fixture
def journey_world(transactional_db, live_server, world):
    return world


def submit(page, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)


def test_a_request_type_from_tile_to_fulfilment(journey_world, catalogue, live_server,  # noqa: F811
                                               browser, tmp_path):  # noqa: F811
    customer = Page(browser, live_server.url)
    customer.login("requester_a")
    page = customer.page
    customer.goto("/portal/")
    assert page.locator(".catalogue-tile .bi-laptop").count() == 1  # the shipped icon font
    submit(page, f"#request-type-{catalogue.pk}")
    page.fill("#id_title", "新员工笔记本")
    page.fill("#id_cf_laptop_model", "ThinkPad X1")
    page.select_option("#id_cf_usage", "开发")
    page.fill("#id_cf_needed_by", "2026-12-20")
    upload = tmp_path / "入职单.txt"
    upload.write_text("张三 入职", encoding="utf-8")
    page.set_input_files("#id_attachments", str(upload))
    submit(page, "#save-record")
    assert status_of(page) == "pending_approval"
    assert "ThinkPad X1" in page.inner_text("#request-type-fields")
    assert customer.foreign_requests() == []
    request = ServiceRequest.objects.get()

    head = Page(browser, live_server.url)
    head.login("requester_a2")
    head.goto("/inbox/")
    submit(head.page, f"text={request.title}")
    head.page.fill("#approval-comment", "同意")
    submit(head.page, "#approve-request")
    assert status_of(head.page) == "assigned"

    agent = Page(browser, live_server.url)
    agent.login("agent")
    agent.goto(request.get_absolute_url())
    for _ in range(2):
        submit(agent.page, ".task-done-form button")
    assert status_of(agent.page) == "resolved"
    for page_ in (customer, head, agent):
        assert page_.console_errors == []
        page_.close()
