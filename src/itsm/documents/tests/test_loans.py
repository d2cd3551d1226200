"""Document loans (文档借阅): requested, approved by the owner (never the borrower), lent
with a return date, reminded before it and when overdue, returned — each step in the
access log."""

# covers: DOC-4

from __future__ import annotations

import datetime as dt

import time_machine
from django.urls import reverse
from django.utils import timezone

from itsm.core import reminders
from itsm.core.models import Notification
from itsm.core.tests.scenario import body_text
from itsm.documents import loans
from itsm.documents.models import DocumentAccess, DocumentLoan

from .conftest import at, make_document


def test_the_whole_loan_through_the_api_with_reminders(dw):
    with time_machine.travel(at("2026-05-04 09:00"), tick=False):
        document = make_document(dw)
        agent = dw.client("agent")
        response = agent.post(reverse("api:documentloan-list"), {
            "document": document.pk, "purpose": "编写月报", "due_date": "2026-05-15"},
            format="json")
        assert response.status_code == 201, response.content
        loan = DocumentLoan.objects.get(pk=response.json()["id"])
        approve = reverse("api:documentloan-approve", args=[loan.pk])
        assert agent.post(approve, {}, format="json").status_code == 403  # the borrower
        assert dw.client("lead").post(approve, {}, format="json").status_code == 404
        response = dw.client("writer").post(approve, {"comment": "同意"}, format="json")
        assert response.status_code == 200 and response.json()["status"] == "approved"
        assert dw.client("writer").post(approve, {}, format="json").status_code == 409
        response = dw.client("writer").post(reverse("api:documentloan-lend", args=[loan.pk]))
        assert response.json()["status"] == "lent"

    sent = {}
    for day in ("2026-05-11", "2026-05-12", "2026-05-14", "2026-05-15", "2026-05-16",
                "2026-05-17"):
        with time_machine.travel(at(f"{day} 06:40"), tick=False):
            loans.mark_overdue()
            sent[day] = reminders.send_due()
    assert sent == {"2026-05-11": 0, "2026-05-12": 2, "2026-05-14": 2, "2026-05-15": 2,
                    "2026-05-16": 2, "2026-05-17": 0}
    loan.refresh_from_db()
    assert loan.status == "overdue"
    subjects = list(Notification.objects.filter(event="reminder", user=dw.agent)
                    .order_by("pk").values_list("subject", flat=True))
    assert len(subjects) == 4 and all(document.number in s for s in subjects)

    with time_machine.travel(at("2026-05-18 10:00"), tick=False):
        response = dw.client("writer").post(reverse("api:documentloan-return", args=[loan.pk]))
        assert response.json()["status"] == "returned"
    actions = list(DocumentAccess.objects.filter(document=document).order_by("id")
                   .values_list("action", "user__username"))
    assert actions == [("loan_requested", "agent"), ("loan_approved", "writer"),
                       ("lent", "agent"), ("returned", "agent")]


def test_loans_through_the_pages(dw):
    document = make_document(dw)
    response = dw.client("agent").post(reverse("documents:document-loan", args=[document.pk]),
                                       {"purpose": "", "due_date": "2020-01-01"})
    assert response.status_code == 400 and 'id="loan-form"' in body_text(response)
    due = (dw_today() + dt.timedelta(days=7)).isoformat()
    response = dw.client("agent").post(reverse("documents:document-loan", args=[document.pk]),
                                       {"purpose": "培训备课", "due_date": due})
    assert response.status_code == 302
    loan = DocumentLoan.objects.get()
    page = body_text(dw.client("writer").get(loan.get_absolute_url()))
    assert 'id="approve"' in page and "培训备课" in page
    assert 'id="approve"' not in body_text(dw.client("agent").get(loan.get_absolute_url()))
    response = dw.client("writer").post(reverse("documents:loan-action",
                                                args=[loan.pk, "reject"]), {"comment": ""})
    assert response.status_code == 400
    response = dw.client("writer").post(reverse("documents:loan-action",
                                                args=[loan.pk, "reject"]),
                                        {"comment": "请改用电子版"})
    assert response.status_code == 302
    loan.refresh_from_db()
    assert loan.status == "rejected" and loan.decision_comment == "请改用电子版"
    assert dw.client("requester_a").get(loan.get_absolute_url()).status_code == 404
    listing = body_text(dw.client("agent").get(reverse("documents:loan-list")))
    assert document.number in listing


def test_the_inbox_lists_loans_to_approve_and_due_back(dw):
    document = make_document(dw)
    loan = loans.request_loan(document, actor=dw.agent, purpose="查阅",
                              due_date=dw_today() + dt.timedelta(days=3))
    inbox = dw.client("writer").get(reverse("api:me-inbox")).json()
    sections = {s["key"]: s for s in inbox}
    assert sections["document-loans-approve"]["count"] == 1
    loans.decide_loan(loan, actor=dw.writer, approve=True)
    loans.lend(loan, actor=dw.writer)
    page = body_text(dw.client("agent").get(reverse("inbox")))
    assert "inbox-document-loans-due" in page and document.number in page


def dw_today() -> dt.date:
    return timezone.localdate()
