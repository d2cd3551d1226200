"""Confidentiality gates who may even see a document's title (DOC-4): a secret
document is invisible without a secret clearance — 404 on its page and API detail,
absent from lists, API lists, the global search, a list's ``q``, the access log, the
inbox and the home page — except to its owner, author, assignee and reviewer."""

# covers: DOC-4

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from itsm.core import services as records
from itsm.core.tests.scenario import body_text
from itsm.documents import loans, services
from itsm.documents.models import ControlledDocument

from .conftest import make_document, publish

SECRET_TITLE = "绝密并购方案ZX9"


def secret_document(dw, **data):
    document = make_document(dw, title=SECRET_TITLE, confidentiality="secret",
                             description="并购对象与报价", **data)
    services.log_access(document, user=dw.writer, action="view")
    return document


def pages(dw, document) -> list[str]:
    return [reverse("documents:document-list") + "?open=",
            reverse("documents:document-list") + "?q=并购",
            reverse("api:controlleddocument-list") + "?q=并购",
            reverse("api:controlleddocument-list"),
            reverse("search") + "?q=并购", reverse("api:search") + "?q=并购",
            reverse("documents:access-log"), reverse("api:documentaccess-list"),
            reverse("documents:loan-list"), reverse("api:documentloan-list"),
            reverse("inbox"), reverse("home"), reverse("api:me-inbox"),
            reverse("api:documentversion-list")]


def test_a_secret_document_is_invisible_without_clearance(dw):
    document = secret_document(dw)
    services.check_out(document, actor=dw.writer)
    services.release(document, actor=dw.writer)
    records.transition_record(document, "submit", actor=dw.writer)
    loans.request_loan(document, actor=dw.writer, purpose="核对",
                       due_date=timezone.localdate() + dt.timedelta(days=5))
    # Staff without a secret clearance: an agent, management, the auditor.
    for identity in ("agent", "boss", "auditor"):
        client = dw.client(identity)
        for url in (reverse("documents:document-detail", args=[document.pk]),
                    reverse("api:controlleddocument-detail", args=[document.pk]),
                    reverse("api:controlleddocument-versions", args=[document.pk]),
                    reverse("documents:document-access-log", args=[document.pk]),
                    reverse("documents:version-download",
                            args=[document.pk, document.current_version_id]),
                    reverse("api:documentversion-download",
                            args=[document.current_version_id])):
            assert client.get(url).status_code == 404, (identity, url)
        for url in pages(dw, document):
            response = client.get(url)
            assert response.status_code == 200, (identity, url, response.status_code)
            assert SECRET_TITLE not in body_text(response), (identity, url)
            assert document.number not in body_text(response), (identity, url)
    # The author, and a person cleared for secret documents, see it.
    for identity in ("writer", "cleared"):
        response = dw.client(identity).get(reverse("documents:document-list") + "?q=并购")
        assert SECRET_TITLE in body_text(response), identity
        assert dw.client(identity).get(
            reverse("api:controlleddocument-detail", args=[document.pk])).status_code == 200


def test_management_sees_confidential_documents_and_staff_internal_ones(dw):
    internal = make_document(dw, title="内部文档")
    confidential = make_document(dw, title="机密文档", confidentiality="confidential")
    public = make_document(dw, title="公开文档", confidentiality="public")

    def seen(identity: str) -> set[int]:
        return set(ControlledDocument.objects.visible_to(dw.users[identity])
                   .values_list("pk", flat=True))

    assert seen("agent") == {internal.pk, public.pk}
    assert seen("auditor") == {internal.pk, public.pk}
    assert seen("boss") == {internal.pk, public.pk, confidential.pk}
    assert seen("cleared") == {internal.pk, public.pk, confidential.pk}
    assert seen("writer") == {internal.pk, public.pk, confidential.pk}  # the author
    assert seen("agent_q") == set()


def test_an_assigned_reviewer_sees_the_secret_document_they_review(dw):
    document = secret_document(dw)
    records.transition_record(document, "submit", actor=dw.writer,
                              values={"reviewer": dw.boss})
    client = dw.client("boss")
    assert client.get(reverse("documents:document-detail", args=[document.pk])
                      ).status_code == 200
    response = client.get(reverse("inbox"))
    assert SECRET_TITLE in body_text(response)


def test_customers_see_public_published_documents_of_their_organization_only(dw):
    public = make_document(dw, title="用户手册", confidentiality="public",
                           organization=dw.orgs["A"], requester=dw.requester_a)
    internal = make_document(dw, title="内部手册", organization=dw.orgs["A"],
                             requester=dw.requester_a)
    client = dw.client("requester_a2")
    url = reverse("documents:document-detail", args=[public.pk])
    assert client.get(url).status_code == 404  # a draft
    publish(dw, public)
    publish(dw, internal)
    assert client.get(url).status_code == 200
    assert client.get(reverse("documents:document-detail", args=[internal.pk])
                      ).status_code == 404
    assert dw.client("requester_b").get(url).status_code == 404
    assert dw.client("requester_c").get(url).status_code == 404


def test_notifications_name_a_restricted_document_by_its_number_alone(dw):
    from itsm.core.models import AuditEntry, Notification

    document = make_document(dw, title="机密扩容方案", confidentiality="confidential")
    records.transition_record(document, "submit", actor=dw.writer)
    asked = Notification.objects.filter(event="approval_requested")
    assert asked.exists()
    for notification in asked:
        assert document.number in notification.subject
        assert "机密扩容方案" not in notification.subject + notification.body
        assert notification.record_id is None and "title" not in str(notification.payload)
    entry = AuditEntry.objects.filter(object_type="documents.controlleddocument",
                                      action="transition").get()
    assert entry.object_repr == document.number
