"""Versions (DOC-4): numbered 1.0, 1.1, 2.0; immutable files with checksums re-checked
on every read; check-out locks the draft for one person; the preview shows PDFs and
images in the browser, everything else downloads."""

# covers: DOC-4

from __future__ import annotations

import pytest
from django.db import transaction
from django.urls import reverse

from itsm.core.exceptions import RetentionError
from itsm.core.models import AuditEntry
from itsm.core.tests.scenario import body_text
from itsm.documents import services
from itsm.documents.models import DocumentAccess, DocumentVersion

from .conftest import make_document, pdf_bytes, png_bytes, upload


def versions_url(document) -> str:
    return reverse("api:controlleddocument-versions", args=[document.pk])


def test_versions_are_numbered_and_need_a_summary_from_the_second(dw):
    document = make_document(dw)
    client = dw.client("writer")
    response = client.post(versions_url(document), {"text": "第二版"}, format="json")
    assert response.status_code == 400 and "change_summary" in response.json()
    response = client.post(versions_url(document), {
        "file": upload("方案.pdf", pdf_bytes()), "change_summary": "改为 PDF"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["label"] == "1.1" and body["mime_type"] == "application/pdf"
    assert len(body["sha256"]) == 64 and body["original_name"] == "方案.pdf"
    response = client.post(versions_url(document), {
        "text": "重写", "change_summary": "结构调整", "major": True}, format="json")
    assert response.json()["label"] == "2.0"
    labels = [v["label"] for v in client.get(versions_url(document)).json()]
    assert labels == ["2.0", "1.1", "1.0"]
    assert client.post(versions_url(document), {"change_summary": "空"},
                       format="json").status_code == 400
    document.refresh_from_db()
    assert document.current_version.label == "2.0"


def test_check_out_locks_the_draft_for_one_person(dw):
    document = make_document(dw, assignee=dw.agent)
    writer, agent = dw.client("writer"), dw.client("agent")
    response = writer.post(reverse("api:controlleddocument-checkout", args=[document.pk]))
    assert response.status_code == 200 and response.json()["checked_out_by"] == dw.writer.pk
    response = agent.post(reverse("api:controlleddocument-checkout", args=[document.pk]))
    assert response.status_code == 409 and "writer" in response.json()["detail"]
    response = agent.post(versions_url(document), {"text": "抢先", "change_summary": "x"},
                          format="json")
    assert response.status_code == 409
    response = agent.post(reverse("api:controlleddocument-release", args=[document.pk]),
                          {"force": True}, format="json")
    assert response.status_code == 403
    response = writer.post(reverse("api:controlleddocument-checkin", args=[document.pk]),
                           {"text": "修订", "change_summary": "补充检查项"}, format="json")
    assert response.status_code == 201 and response.json()["label"] == "1.1"
    document.refresh_from_db()
    assert document.checked_out_by is None
    # Checking in what one has not checked out is refused.
    assert writer.post(reverse("api:controlleddocument-checkin", args=[document.pk]),
                       {"text": "再改", "change_summary": "x"},
                       format="json").status_code == 409


def test_an_administrator_releases_someone_elses_check_out_audited(dw):
    document = make_document(dw)
    services.check_out(document, actor=dw.writer)
    response = dw.client("admin").post(
        reverse("api:controlleddocument-release", args=[document.pk]), {"force": True},
        format="json")
    assert response.status_code == 200 and response.json()["checked_out_by"] is None
    entry = AuditEntry.objects.filter(object_type="documents.controlleddocument",
                                      object_id=str(document.pk), action="update").first()
    assert entry.changes["forced"] is True and entry.actor_name == "admin"


def test_a_published_document_takes_no_version_until_revised(dw):
    from .conftest import publish

    document = publish(dw, make_document(dw))
    response = dw.client("writer").post(versions_url(document), {
        "text": "改", "change_summary": "改"}, format="json")
    assert response.status_code == 409
    response = dw.client("writer").patch(
        reverse("api:controlleddocument-detail", args=[document.pk]), {"title": "改名"},
        format="json")
    assert response.status_code == 400 and "title" in response.json()


def test_versions_are_immutable(dw):
    version = make_document(dw).current_version
    version.text = "改写历史"
    with pytest.raises(PermissionError):
        version.save()
    with pytest.raises(RetentionError), transaction.atomic():
        DocumentVersion.objects.filter(pk=version.pk).delete()
    assert DocumentVersion.objects.get(pk=version.pk).text == "第一版内容"


def test_an_altered_file_is_refused_and_the_refusal_logged(dw):
    document = make_document(dw, text=None)
    version = services.add_version(document, actor=dw.writer,
                                   upload=upload("a.png", png_bytes()))
    with version.file.open("wb") as stored:  # someone changes the file behind our back
        stored.write(b"tampered")
    for url in (reverse("documents:version-download", args=[document.pk, version.pk]),
                reverse("api:documentversion-download", args=[version.pk]),
                reverse("documents:version-preview", args=[document.pk, version.pk])):
        response = dw.client("agent").get(url)
        assert response.status_code == 409, url
    assert DocumentAccess.objects.filter(document=document, action="refused").count() == 3
    assert AuditEntry.objects.filter(object_type="documents.documentversion",
                                     action="read", changes__refused="checksum mismatch"
                                     ).count() == 3


def test_the_preview_shows_images_and_pdfs_inline_safely(dw):
    document = make_document(dw, text=None)
    png = services.add_version(document, actor=dw.writer, upload=upload("图.png", png_bytes()))
    response = dw.client("agent").get(reverse("documents:version-preview",
                                              args=[document.pk, png.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("inline")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert "frame-ancestors 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert b"".join(response.streaming_content) == png_bytes()
    pdf = services.add_version(document, actor=dw.writer, change_summary="PDF",
                               upload=upload("方案.pdf", pdf_bytes()))
    response = dw.client("agent").get(reverse("api:documentversion-preview", args=[pdf.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline")
    page = body_text(dw.client("agent").get(reverse("documents:document-detail",
                                                    args=[document.pk])))
    assert '<iframe class="w-100 border rounded document-preview" id="preview"' in page
    assert DocumentAccess.objects.filter(document=document, action="preview").count() == 2


@pytest.mark.parametrize(("name", "content"), [
    ("fake.png", b"<script>alert(1)</script>"),  # not what its name says
    ("page.html", b"<html><script>alert(1)</script></html>"),
    ("data.xlsx", b"PK\x03\x04 not really"),
])
def test_everything_else_downloads(dw, name, content):
    document = make_document(dw, text=None)
    version = services.add_version(document, actor=dw.writer, upload=upload(name, content))
    response = dw.client("agent").get(reverse("documents:version-preview",
                                              args=[document.pk, version.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Content-Type"] != "text/html"
    assert "sandbox" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert DocumentAccess.objects.filter(document=document, action="download").count() == 1


def test_uploads_through_the_page(dw):
    document = make_document(dw)
    url = reverse("documents:document-version-add", args=[document.pk])
    client = dw.client("writer")
    response = client.post(url, {"text": "二版"})
    assert response.status_code == 400 and "version-form" in body_text(response)
    response = client.post(url, {"file": upload("图.png", png_bytes()),
                                 "change_summary": "附图"})
    assert response.status_code == 302
    assert document.versions.count() == 2
    assert dw.client("agent").post(url, {"text": "x", "change_summary": "y"}
                                   ).status_code == 403
