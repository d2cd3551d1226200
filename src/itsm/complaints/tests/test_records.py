"""Complaints and improvement actions pass the record-type base (CRUD, a transition,
filters, export, query counts, scope): complaints written by a designated handler (the
administrator); the ticket pages' "complain about this ticket"."""

# covers: CPL-1, CPL-4

from __future__ import annotations

import re

from itsm.complaints.models import Complaint, ImprovementAction
from itsm.core import services
from itsm.core.tests.bases import RecordTypeTests
from itsm.problems.models import Problem


class TestComplaints(RecordTypeTests):
    model = Complaint
    staff = "admin"
    transition = ("evaluate", {"level": "urgent"})
    create_data = {"channel": "phone", "system": "邮件系统", "remedy_sought": "道歉"}


class TestImprovementActions(RecordTypeTests):
    model = ImprovementAction
    transition = ("start", {})
    create_data = {"measure": "超过2小时未处理自动升级"}


def test_a_ticket_page_offers_to_complain_about_it(cw):
    """"Complain about this ticket" (a record action the complaints app adds to the ticket
    pages): for the requester and for staff who log complaints; it opens the complaint
    form about that ticket. Not for read-only staff, nor on records other than tickets."""
    ticket = cw.request("requester_a", title="打印机坏了")

    def button(username: str, url: str) -> str | None:
        html = cw.client(username).get(url).content.decode()
        found = re.search(r'id="action-complain" href="([^"]+)"', html)
        return found.group(1).replace("&amp;", "&") if found else None

    link = button("requester_a", ticket.get_absolute_url())
    assert link == f"/complaints/new/?about={ticket.number}"
    form = cw.client("requester_a").get(link).content.decode()
    assert ticket.number in form.split('id="complaint-about"')[1][:400]
    assert button("agent", ticket.get_absolute_url()) == link
    assert button("auditor", ticket.get_absolute_url()) is None
    problem = services.create_record(Problem, actor=cw.agent, data={
        "organization": cw.orgs["A"], "requester": cw.requester_a, "title": "反复卡纸",
        "description": "多台打印机"})
    assert button("agent", problem.get_absolute_url()) is None
