"""Attachments: upload (API and web form), storage, size limit, safe download.

A file is stored under a generated name inside MEDIA_ROOT with its SHA-256; an
oversized upload is refused with HTTP 413 and a message; a download is always an
attachment with ``nosniff``, and active content (HTML, SVG, scripts) is served as
``application/octet-stream``; internal attachments stay with the service staff;
Chinese file names survive the round trip (RFC 5987 ``filename*``).
"""

# covers: GEN-ATT (attachments: storage, limits, safe download), GEN-ACCESS (internal
# attachments hidden from customers), GEN-AUDIT (downloads are audited reads)

from __future__ import annotations

import hashlib
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from itsm.core.models import Attachment, AuditEntry

from .scenario import upload

CHINESE_NAME = "故障截图.png"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def api_upload_url(record) -> str:
    return reverse("api:servicerequest-attachments", args=[record.pk])


def ui_upload_url(record) -> str:
    return reverse("servicedesk:request-attach", args=[record.pk])


def downloads(attachment) -> list[str]:
    return [reverse("api:attachment-download", args=[attachment.pk]),
            reverse("attachment-download", args=[attachment.pk])]


def stored_files() -> set[Path]:
    root = Path(settings.MEDIA_ROOT)
    return {p for p in root.rglob("*") if p.is_file()}


def content_of(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.fixture
def record(world):
    return world.request("requester_a")


# --- Upload and storage -------------------------------------------------------------------------


def test_api_upload_stores_under_a_generated_name_with_sha256(world, record):
    content = b"disk full at 03:00\n" * 10
    response = world.client("requester_a").post(
        api_upload_url(record), {"file": upload("server-error-log.txt", content)})
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["original_name"] == "server-error-log.txt"
    assert data["size"] == len(content)
    assert data["sha256"] == hashlib.sha256(content).hexdigest()
    attachment = Attachment.objects.get(pk=data["id"])
    assert "server-error-log" not in attachment.file.name
    assert attachment.file.name.endswith(".txt")
    path = Path(settings.MEDIA_ROOT) / attachment.file.name
    assert path.resolve().is_relative_to(Path(settings.MEDIA_ROOT).resolve())
    assert path.read_bytes() == content
    assert record.timeline.filter(kind="attached").exists()
    listed = world.client("requester_a").get(api_upload_url(record)).json()
    assert [a["id"] for a in listed] == [attachment.pk]
    assert listed[0]["download_url"] == downloads(attachment)[0]


def test_ui_form_upload(world, record):
    content = b"screenshot bytes"
    response = world.client("requester_a").post(ui_upload_url(record),
                                                {"file": upload("屏幕.txt", content)})
    assert response.status_code == 302
    assert response["Location"] == record.get_absolute_url()
    attachment = Attachment.objects.for_record(record).get()
    assert attachment.original_name == "屏幕.txt"
    assert "屏幕" not in attachment.file.name
    assert attachment.sha256 == hashlib.sha256(content).hexdigest()
    assert (Path(settings.MEDIA_ROOT) / attachment.file.name).read_bytes() == content
    page = world.client("requester_a").get(record.get_absolute_url())
    assert "屏幕.txt" in page.content.decode()


def test_path_in_file_name_is_not_used_for_storage(world, record):
    response = world.client("agent").post(
        api_upload_url(record), {"file": upload("../../../etc/passwd", b"root:x:0:0")})
    assert response.status_code == 201, response.content
    attachment = Attachment.objects.get(pk=response.json()["id"])
    assert ".." not in attachment.file.name
    assert "passwd" not in attachment.file.name
    path = (Path(settings.MEDIA_ROOT) / attachment.file.name).resolve()
    assert path.is_relative_to(Path(settings.MEDIA_ROOT).resolve())


def test_missing_or_empty_file_is_400(world, record):
    client = world.client("requester_a")
    assert client.post(api_upload_url(record), {}).status_code == 400
    response = client.post(api_upload_url(record), {"file": upload("empty.txt", b"")})
    assert response.status_code == 400
    assert "file" in response.json()
    assert not Attachment.objects.exists()
    response = client.post(ui_upload_url(record), {})
    assert response.status_code == 400
    assert not Attachment.objects.exists()


# --- Size limit ----------------------------------------------------------------------------------


def test_default_limit_is_25_mb():
    assert settings.MAX_UPLOAD_BYTES == 25 * 1024 * 1024


@override_settings(MAX_UPLOAD_BYTES=1024)
@pytest.mark.parametrize("size", [1025, 200 * 1024], ids=["just-over", "far-over"])
def test_oversized_upload_is_413_with_a_message(world, record, size):
    before = stored_files()
    client = world.client("requester_a")
    response = client.post(api_upload_url(record), {"file": upload("big.bin", b"x" * size)})
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert "MB" in response.json()["detail"]
    response = client.post(ui_upload_url(record), {"file": upload("big.bin", b"x" * size)})
    assert response.status_code == 413
    assert "MB" in response.content.decode()
    assert not Attachment.objects.exists()
    assert stored_files() == before


@override_settings(MAX_UPLOAD_BYTES=1024)
def test_upload_at_the_limit_is_accepted(world, record):
    response = world.client("requester_a").post(api_upload_url(record),
                                                 {"file": upload("ok.bin", b"x" * 1024)})
    assert response.status_code == 201


# --- Download ------------------------------------------------------------------------------------


def test_download_headers_and_content(world, record):
    content = b"plain text body"
    response = world.client("requester_a").post(api_upload_url(record),
                                                {"file": upload("notes.txt", content)})
    attachment = Attachment.objects.get(pk=response.json()["id"])
    for url in downloads(attachment):
        response = world.client("requester_a").get(url)
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment")
        assert response["X-Content-Type-Options"] == "nosniff"
        assert content_of(response) == content
    reads = AuditEntry.objects.filter(action="read", object_type="core.attachment",
                                      object_id=str(attachment.pk))
    assert reads.count() == 2


@pytest.mark.parametrize(("name", "declared"), [
    ("page.html", "text/html"),
    ("page.HTM", "text/html"),
    ("logo.svg", "image/svg+xml"),
    ("doc.xhtml", "application/xhtml+xml"),
    ("feed.xml", "text/xml"),
    ("script.js", "text/javascript"),
    ("noext", "text/html"),
])
def test_active_content_is_served_as_octet_stream(world, record, name, declared):
    payload = b"<html><script>alert(document.cookie)</script></html>"
    response = world.client("requester_a").post(
        api_upload_url(record), {"file": upload(name, payload, content_type=declared)})
    assert response.status_code == 201, response.content
    attachment = Attachment.objects.get(pk=response.json()["id"])
    for url in downloads(attachment):
        response = world.client("agent").get(url)
        assert response.status_code == 200
        content_type = response["Content-Type"]
        assert content_type.startswith("application/octet-stream"), content_type
        assert "html" not in content_type and "svg" not in content_type
        assert "javascript" not in content_type and "xml" not in content_type
        assert response["Content-Disposition"].startswith("attachment")
        assert response["X-Content-Type-Options"] == "nosniff"


def test_chinese_file_name_survives_upload_and_download(world, record):
    client = world.client("requester_a")
    response = client.post(api_upload_url(record), {"file": upload(CHINESE_NAME, PNG,
                                                                    "image/png")})
    assert response.status_code == 201, response.content
    assert response.json()["original_name"] == CHINESE_NAME
    client.post(ui_upload_url(record), {"file": upload(CHINESE_NAME, PNG, "image/png")})
    attachments = list(Attachment.objects.for_record(record))
    assert [a.original_name for a in attachments] == [CHINESE_NAME, CHINESE_NAME]
    for attachment in attachments:
        for url in downloads(attachment):
            response = client.get(url)
            assert response.status_code == 200
            disposition = response["Content-Disposition"]
            assert disposition.startswith("attachment")
            assert f"filename*=utf-8''{quote(CHINESE_NAME)}" in disposition, disposition
            assert content_of(response) == PNG


# --- Internal attachments ------------------------------------------------------------------------


def test_internal_attachments_are_hidden_from_customers(world, record):
    response = world.client("agent").post(
        api_upload_url(record), {"file": upload("内部排查.txt", b"secret"), "internal": True})
    assert response.status_code == 201, response.content
    internal = Attachment.objects.get(pk=response.json()["id"])
    assert internal.internal
    public = world.client("requester_a").post(
        api_upload_url(record), {"file": upload("public.txt", b"hi")}).json()

    for username in ("requester_a", "custadmin_a"):
        client = world.client(username)
        listed = client.get(api_upload_url(record)).json()
        assert [a["id"] for a in listed] == [public["id"]]
        assert client.get(reverse("api:attachment-detail", args=[internal.pk])).status_code == 404
        for url in downloads(internal):
            assert client.get(url).status_code == 404
        timeline = client.get(reverse("api:servicerequest-timeline", args=[record.pk])).json()
        assert "内部排查.txt" not in str(timeline)
        assert "内部排查.txt" not in client.get(record.get_absolute_url()).content.decode()

    for username in ("agent", "auditor", "admin"):
        client = world.client(username)
        listed = client.get(api_upload_url(record)).json()
        assert {a["id"] for a in listed} == {public["id"], internal.pk}
        for url in downloads(internal):
            assert client.get(url).status_code == 200


def test_customer_cannot_upload_internal_attachments(world, record):
    response = world.client("requester_a").post(
        api_upload_url(record), {"file": upload("x.txt", b"x"), "internal": True})
    assert response.status_code == 403
    response = world.client("requester_a").post(
        ui_upload_url(record), {"file": upload("x.txt", b"x"), "internal": "on"})
    assert response.status_code == 403
    assert not Attachment.objects.exists()


def test_other_organizations_cannot_download(world, record):
    response = world.client("requester_a").post(api_upload_url(record),
                                                {"file": upload("a.txt", b"a")})
    attachment = Attachment.objects.get(pk=response.json()["id"])
    for username in ("requester_a2", "requester_b", "custadmin_b", "agent_q", "requester_c"):
        for url in downloads(attachment):
            assert world.client(username).get(url).status_code == 404, (username, url)
    for url in downloads(attachment):
        response = world.client(None).get(url)
        assert response.status_code in (302, 401, 403)


def test_a_new_record_comes_with_its_files(world):
    """GEN-8: the create form takes several files; the record and all of them, or none."""
    from itsm.servicedesk.models import ServiceRequest

    response = world.client("requester_a").post(reverse("servicedesk:request-create"), {
        "title": "打印机卡纸", "description": "见截图",
        "attachments": [SimpleUploadedFile("截图.png", b"\x89PNG\r\n", "image/png"),
                        SimpleUploadedFile("日志.txt", "错误 42".encode())]})
    assert response.status_code == 302
    record = ServiceRequest.objects.get()
    assert sorted(a.original_name for a in record.attachments.all()) == ["截图.png", "日志.txt"]


@override_settings(MAX_UPLOAD_BYTES=1024)
def test_a_new_record_with_an_oversized_file_keeps_nothing_but_the_form(world):
    from itsm.servicedesk.models import ServiceRequest

    response = world.client("requester_a").post(reverse("servicedesk:request-create"), {
        "title": "打印机卡纸", "attachments": [SimpleUploadedFile("小.txt", b"x"),
                                          SimpleUploadedFile("大.bin", b"x" * 1500)]})
    assert response.status_code == 413
    assert "打印机卡纸" in response.content.decode()
    assert not ServiceRequest.objects.exists() and not Attachment.objects.exists()
