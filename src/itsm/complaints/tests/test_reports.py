"""The monthly complaint report (page, XLSX, mail to management), the handling
assessment, and the workspace cards and inbox entries."""

# covers: CPL-4, CPL-5

from __future__ import annotations

import io

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from itsm.complaints import assessment, reports, widgets
from itsm.complaints.periods import Period

from .conftest import at, cause, complain, step


def handled(cw, when_day: str, level: str = "urgent", score: int = 5, reject: bool = False,
            who: str = "handler"):
    """A complaint raised, handled and closed on one November day."""
    complaint = complain(cw, when=f"{when_day} 09:00")
    step(cw, complaint, "evaluate", who, when=f"{when_day} 09:10", level=level,
         assignee=cw.users[who])
    step(cw, complaint, "respond", who, when=f"{when_day} 09:20", comment="已收到")
    step(cw, complaint, "start", who, when=f"{when_day} 09:30")
    step(cw, complaint, "propose", who, when=f"{when_day} 10:00", resolution="已处理",
         cause_category=cause())
    if reject:
        step(cw, complaint, "reject", "requester_a", when=f"{when_day} 11:00", comment="不行")
        step(cw, complaint, "propose", who, when=f"{when_day} 12:00", resolution="再处理")
    step(cw, complaint, "accept", "requester_a", when=f"{when_day} 15:00",
         satisfaction_score=score)
    return complaint


def test_the_monthly_report_counts_and_rates(cw):
    handled(cw, "2026-11-02", "urgent", 5)
    handled(cw, "2026-11-03", "ordinary", 3, reject=True)
    complain(cw, when="2026-11-04 10:00")
    complain(cw, when="2026-10-30 10:00")  # another month
    report = reports.monthly_report(cw.orgs["P"], Period.month(2026, 11))
    assert report.total == 3 and report.closed == 2
    levels = dict(report.by_level)
    assert 1 in (levels.get("紧急"), levels.get("Urgent complaint"))
    assert report.by_cause[0][1:] == ("响应超时", 2)
    assert report.by_organization == [("华东制造", 3)]
    assert report.satisfaction == 4.0
    on_time = {label: (met, n) for label, met, n, _pct in report.on_time}
    assert sorted(on_time.values()) == [(1, 1), (2, 2)]
    assert report.trend["series"][0]["data"][-1] + report.trend["series"][1]["data"][-1] == 2


def test_the_report_page_and_workbook_for_managers_only(cw):
    handled(cw, "2026-11-02")
    boss = Client()
    boss.force_login(cw.boss)
    response = boss.get(reverse("complaints:report"), {"month": "2026-11"})
    assert response.status_code == 200
    text = response.content.decode()
    assert 'id="by-cause"' in text and "响应超时" in text and "complaint-report-trend" in text
    assert boss.get(reverse("complaints:report"), {"month": "2026-13"}).status_code == 400
    response = boss.get(reverse("complaints:report"), {"month": "2026-11", "format": "xlsx"})
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    rows = list(book.worksheets[0].values)
    assert ("2026-11" in [r[1] for r in rows])
    for who in ("agent", "requester_a", "custadmin_a"):
        client = Client()
        client.force_login(cw.users[who])
        assert client.get(reverse("complaints:report")).status_code == 403
        assert client.get(reverse("complaints:assessment")).status_code == 403


def test_opening_an_improvement_action_from_the_report(cw):
    first, second = handled(cw, "2026-11-02"), handled(cw, "2026-11-03")
    qm = Client()
    qm.force_login(cw.qm)
    response = qm.post(reverse("complaints:report"), {"month": "2026-11",
                                                      "cause": cause().pk})
    assert response.status_code == 302 and "/improvement-actions/" in response["Location"]
    detail = qm.get(response["Location"]).content.decode()
    assert first.number in detail and second.number in detail


def test_the_report_is_mailed_to_management_with_the_workbook(cw, settings):
    handled(cw, "2026-11-02")
    mail.outbox.clear()
    with time_machine.travel(at("2026-12-01 08:15"), tick=False):
        sent = reports.send_monthly_reports()
    assert sent >= 1
    message = next(m for m in mail.outbox if "boss@example.cn" in m.to)
    assert "2026-11" in message.subject
    name, content, mime = message.attachments[0]
    assert name.endswith("2026-11.xlsx") and mime == reports.CONTENT_TYPE
    assert load_workbook(io.BytesIO(content)).worksheets


def test_the_handling_assessment(cw):
    handled(cw, "2026-11-02", score=5)
    handled(cw, "2026-11-03", score=3, reject=True)
    handled(cw, "2026-11-04", score=4, who="handler2")
    november = Period.month(2026, 11)
    assert assessment.timeliness(november, handler=cw.handler) == 100.0
    assert assessment.accuracy(november, handler=cw.handler) == 50.0
    assert assessment.satisfaction(november, handler=cw.handler) == 4.0
    assert assessment.satisfaction(november, handler=cw.handler2) == 4.0
    assert assessment.accuracy(Period.month(2026, 10), handler=cw.handler) is None
    qm = Client()
    qm.force_login(cw.qm)
    text = qm.get(reverse("complaints:assessment"), {"month": "2026-11"}).content.decode()
    assert 'id="assessment-handlers"' in text and "handler2" in text and "50.0" in text


@pytest.mark.parametrize("card", [widgets.awaiting_response, widgets.complaint_trend])
def test_cards_cost_the_same_queries_whatever_the_data(cw, card):
    complain(cw)
    card(cw.boss)  # warm caches
    with CaptureQueriesContext(connection) as one:
        card(cw.boss)
    for _ in range(4):
        complain(cw, level="major" if _ % 2 else "")
    with CaptureQueriesContext(connection) as five:
        data = card(cw.boss)
    assert len(five) == len(one)
    if "count" in data:
        assert data["count"] == 5


def test_home_cards_and_inbox(cw):
    complaint = complain(cw)
    handler = Client()
    handler.force_login(cw.handler)
    home = handler.get("/").content.decode()
    assert 'id="widget-complaints-awaiting"' in home and complaint.number in home
    boss = Client()
    boss.force_login(cw.boss)
    assert 'id="widget-complaint-trend"' in boss.get("/").content.decode()
    count, items = widgets.awaiting_my_response(cw.handler, 5)
    assert count == 1 and items[0].number == complaint.number
    step(cw, complaint, "evaluate", "handler", level="ordinary")
    step(cw, complaint, "respond", "handler", comment="收到")
    step(cw, complaint, "start", "handler")
    step(cw, complaint, "propose", "handler", resolution="已处理", cause_category=cause())
    count, items = widgets.resolutions_to_confirm(cw.requester_a, 5)
    assert count == 1 and items[0].number == complaint.number
    assert widgets.resolutions_to_confirm(cw.requester_b, 5)[0] == 0
    customer = Client()
    customer.force_login(cw.requester_a)
    assert complaint.number in customer.get(reverse("inbox")).content.decode()
