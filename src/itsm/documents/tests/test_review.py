"""Tiered review (DOC-3): ordinary documents by a team lead, important ones by the IT or
business head, major ones by management; never by their author; every decision kept,
the reviewers asked and the author told."""

# covers: DOC-3

from __future__ import annotations

from django.urls import reverse

from itsm.core import services as records
from itsm.core.models import AuditEntry, Notification
from itsm.core.tests.scenario import body_text
from itsm.documents.models import DocumentReview

from .conftest import make_document


def submitted(dw, **data):
    document = make_document(dw, **data)
    response = dw.client("writer").post(
        reverse("api:controlleddocument-transition", args=[document.pk]),
        {"transition": "submit"}, format="json")
    assert response.status_code == 200, response.content
    document.refresh_from_db()
    assert document.status == "in_review"
    return document


def decide(dw, who: str, document, decision: str = "approved", comment: str = ""):
    return dw.client(who).post(reverse("api:controlleddocument-reviews", args=[document.pk]),
                               {"decision": decision, "comment": comment}, format="json")


def test_a_major_document_needs_management(dw):
    document = submitted(dw, importance="major", department=dw.department)
    for who in ("lead", "head"):
        response = decide(dw, who, document)
        assert response.status_code == 403, response.content
        assert "管理层" in response.json()["detail"] or "Management" in response.json()["detail"]
    document.refresh_from_db()
    assert document.status == "in_review" and not DocumentReview.objects.exists()
    response = decide(dw, "boss", document, comment="同意发布")
    assert response.status_code == 201, response.content
    document.refresh_from_db()
    assert document.status == "published" and document.published_at is not None
    review = DocumentReview.objects.get()
    assert (review.tier, review.reviewer, review.version) == (
        "management", dw.boss, document.current_version)
    assert AuditEntry.objects.filter(object_type="documents.documentreview",
                                     action="create").exists()


def test_an_important_document_needs_its_departments_head(dw):
    document = submitted(dw, importance="important", department=dw.department)
    assert decide(dw, "lead", document).status_code == 403
    assert decide(dw, "head", document).status_code == 201
    document.refresh_from_db()
    assert document.status == "published"


def test_an_ordinary_document_is_approved_by_a_team_lead_never_by_its_author(dw):
    document = submitted(dw)
    assert decide(dw, "agent", document).status_code == 403
    assert decide(dw, "writer", document).status_code == 403  # its author
    assert decide(dw, "lead", document).status_code == 201


def test_a_rejection_needs_a_reason_and_sends_it_back(dw):
    document = submitted(dw)
    response = decide(dw, "lead", document, decision="rejected")
    assert response.status_code == 400 and "comment" in response.json()
    response = decide(dw, "lead", document, decision="rejected", comment="缺少回退步骤")
    assert response.status_code == 201
    document.refresh_from_db()
    assert document.status == "draft"
    assert document.comments.filter(body="缺少回退步骤").exists()
    assert decide(dw, "lead", document).status_code == 409  # no longer in review


def test_the_inbox_lists_what_waits_for_my_review(dw):
    ordinary = submitted(dw, title="巡检方案")
    major = submitted(dw, title="数据中心迁移方案", importance="major")

    def waiting(who: str) -> set[str]:
        sections = {s["key"]: s for s in dw.client(who).get(reverse("api:me-inbox")).json()}
        section = sections.get("documents-review", {"items": []})
        return {item["number"] for item in section["items"]}

    assert waiting("lead") == {ordinary.number}
    assert waiting("boss") == {ordinary.number, major.number}
    assert waiting("agent") == set() and waiting("writer") == set()


def test_reviewers_are_asked_and_the_author_told(dw, django_capture_on_commit_callbacks,
                                                 mailoutbox):
    with django_capture_on_commit_callbacks(execute=True):
        document = submitted(dw)
    asked = set(Notification.objects.filter(event="approval_requested").values_list(
        "user__username", flat=True))
    assert {"lead", "boss"} <= asked and "writer" not in asked and "agent" not in asked
    assert any(document.number in m.subject for m in mailoutbox)
    with django_capture_on_commit_callbacks(execute=True):
        decide(dw, "lead", document)
    told = Notification.objects.get(event="approval_decided", user__username="writer")
    assert document.number in told.subject
    # The same submission asks each reviewer once.
    assert Notification.objects.filter(event="approval_requested",
                                       user__username="lead").count() == 1


def test_submitting_needs_a_version_and_the_document_checked_in(dw):
    document = make_document(dw, text=None)
    response = dw.client("writer").post(
        reverse("api:controlleddocument-transition", args=[document.pk]),
        {"transition": "submit"}, format="json")
    assert response.status_code == 400 and "current_version" in response.json()
    document = make_document(dw)
    dw.client("writer").post(reverse("api:controlleddocument-checkout", args=[document.pk]))
    response = dw.client("writer").post(
        reverse("api:controlleddocument-transition", args=[document.pk]),
        {"transition": "submit"}, format="json")
    assert response.status_code == 400 and "checked_out_by" in response.json()


def test_only_who_may_edit_submits_and_keepers_archive(dw):
    document = make_document(dw)
    response = dw.client("agent").post(
        reverse("api:controlleddocument-transition", args=[document.pk]),
        {"transition": "submit"}, format="json")
    assert response.status_code == 403
    document.refresh_from_db()
    assert document.status == "draft"
    response = dw.client("writer").post(
        reverse("api:controlleddocument-transition", args=[document.pk]),
        {"transition": "archive"}, format="json")
    assert response.status_code == 403
    assert dw.client("boss").post(
        reverse("api:controlleddocument-transition", args=[document.pk]),
        {"transition": "archive"}, format="json").status_code == 200


def test_publishing_a_replacement_supersedes_the_old_document(dw):
    old = submitted(dw, title="旧方案")
    decide(dw, "lead", old)
    new = submitted(dw, title="新方案", supersedes=old)
    decide(dw, "lead", new)
    old.refresh_from_db()
    assert old.status == "superseded"
    page = body_text(dw.client("agent").get(reverse("documents:document-detail",
                                                    args=[old.pk])))
    assert new.number in page


def test_the_review_form_on_the_page(dw):
    document = submitted(dw)
    url = reverse("documents:document-detail", args=[document.pk])
    assert 'id="review-form"' in body_text(dw.client("lead").get(url))
    assert 'id="review-form"' not in body_text(dw.client("agent").get(url))
    response = dw.client("lead").post(reverse("documents:document-review", args=[document.pk]),
                                      {"decision": "rejected"})
    assert response.status_code == 400 and 'id="review-form"' in body_text(response)
    response = dw.client("lead").post(reverse("documents:document-review", args=[document.pk]),
                                      {"decision": "approved"})
    assert response.status_code == 302
    records.reload(document)
    assert document.status == "published"
