"""Every view, download and loan of a document is in its access log (查阅记录) with who,
when and from where, on its page and in the API, and queryable per person (DOC-4)."""

# covers: DOC-4

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from itsm.core.exceptions import RetentionError
from itsm.core.tests.scenario import body_text
from itsm.documents.models import DocumentAccess

from .conftest import at, make_document

IP = "10.20.30.40"


def test_a_view_a_download_and_a_loan_are_logged_with_who_when_and_where(dw):
    document = make_document(dw)
    version = document.current_version
    agent = dw.client("agent")
    with time_machine.travel(at("2026-04-01 09:30"), tick=False):
        assert agent.get(reverse("documents:document-detail", args=[document.pk]),
                         REMOTE_ADDR=IP, HTTP_USER_AGENT="Firefox/140").status_code == 200
        assert agent.get(reverse("documents:version-download", args=[document.pk, version.pk]),
                         REMOTE_ADDR=IP).status_code == 200
        assert agent.get(reverse("api:controlleddocument-detail", args=[document.pk]),
                         REMOTE_ADDR="10.9.9.9").status_code == 200
        response = agent.post(reverse("documents:document-loan", args=[document.pk]), {
            "purpose": "编写巡检报告", "due_date": "2026-04-10"}, REMOTE_ADDR=IP)
        assert response.status_code == 302, body_text(response)
    rows = list(DocumentAccess.objects.filter(document=document, user=dw.agent)
                .order_by("id").values_list("action", "ip_address", "occurred_at"))
    when = at("2026-04-01 09:30")
    assert rows == [("view", IP, when), ("download", IP, when), ("view", "10.9.9.9", when),
                    ("loan_requested", IP, when)]
    first = DocumentAccess.objects.filter(document=document).order_by("id").first()
    assert first.user_agent == "Firefox/140" and first.version is None

    # The owner (the author) reads it on the document's page and through the API.
    writer = dw.client("writer")
    page = body_text(writer.get(reverse("documents:document-access-log", args=[document.pk])))
    assert page.count(IP) == 3 and "10.9.9.9" in page and "agent" in page
    assert "2026-04-01 09:30" in page
    api = writer.get(reverse("api:documentaccess-list"), {"document": document.pk}).json()
    assert [r["action"] for r in api["results"]] == ["loan_requested", "view", "download",
                                                     "view"]
    assert api["results"][0]["ip_address"] == IP and api["results"][0]["user_name"] == "agent"
    detail = body_text(writer.get(reverse("documents:document-detail", args=[document.pk])))
    assert "10.9.9.9" in detail  # the recent entries on the document's page


def test_the_log_is_queryable_per_person(dw):
    first, second = make_document(dw, title="甲"), make_document(dw, title="乙")
    for document in (first, second):
        dw.client("agent").get(reverse("documents:document-detail", args=[document.pk]))
    dw.client("lead").get(reverse("documents:document-detail", args=[first.pk]))
    auditor = dw.client("auditor")
    mine = auditor.get(reverse("api:documentaccess-list"), {"user": dw.agent.pk}).json()
    assert {r["document_number"] for r in mine["results"]} == {first.number, second.number}
    assert {r["user"] for r in mine["results"]} == {dw.agent.pk}
    page = body_text(auditor.get(reverse("documents:access-log"), {"user": dw.agent.pk}))
    assert first.number in page and second.number in page
    assert page.count('?user=') >= 2 and f"?user={dw.lead.pk}" not in page
    # Anyone may read their own entries, and only theirs.
    lead = dw.client("lead").get(reverse("api:documentaccess-list"),
                                 {"user": dw.agent.pk}).json()
    assert lead["results"] == []
    own = dw.client("lead").get(reverse("documents:access-log"), {"user": dw.agent.pk})
    assert first.number in body_text(own) and second.number not in body_text(own)
    # The document's page log is for its owner and the roles that audit documents.
    url = reverse("documents:document-access-log", args=[first.pk])
    assert dw.client("lead").get(url).status_code == 403
    assert auditor.get(url).status_code == 200
    assert dw.client("agent_q").get(url).status_code == 404


def test_the_access_log_is_append_only(dw):
    document = make_document(dw)
    entry = DocumentAccess.objects.create(document=document, user=dw.agent, action="view",
                                          occurred_at=timezone.now() - dt.timedelta(hours=1))
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(RetentionError), transaction.atomic():
        DocumentAccess.objects.filter(pk=entry.pk).delete()
    assert DocumentAccess.objects.filter(pk=entry.pk).exists()
