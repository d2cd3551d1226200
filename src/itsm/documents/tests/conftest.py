"""Document people on top of the ``world`` fixture, and helpers.

Provider P gets: ``writer`` (an agent who writes documents), ``boss`` (management),
``head`` (an agent heading P's department "运维部"), ``secops`` (security officer),
``cleared`` (an agent with a secret clearance) and ``keeper`` (administrator); P has
its nine default categories (SN, FA, …).
"""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from itsm.conftest import PASSWORD
from itsm.core import directory
from itsm.core.choices import Role
from itsm.core.models import Department
from itsm.documents import services
from itsm.documents.models import ControlledDocument, DocumentCategory

SH = ZoneInfo("Asia/Shanghai")

PEOPLE = [
    ("writer", "P", [Role.AGENT]),
    ("boss", "P", [Role.MANAGEMENT]),
    ("head", "P", [Role.AGENT]),
    ("secops", "P", [Role.SECURITY_OFFICER]),
    ("cleared", "P", [Role.AGENT]),
]


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=SH)


def add_people(world) -> None:
    for username, org, roles in PEOPLE:
        world.users[username] = directory.create_person(actor=None, data={
            "username": username, "first_name": username, "last_name": "",
            "email": f"{username}@example.cn", "password": PASSWORD, "roles": roles,
            "profile": {"organization": world.orgs[org]}})
    world.department = directory.create_object(Department, actor=None, data={
        "organization": world.orgs["P"], "name": "运维部", "head": world.users["head"]})
    services.ensure_default_categories(world.orgs["P"])
    services.save_clearance(None, actor=None, data={
        "user": world.users["cleared"], "level": "secret", "reason": "项目需要"})


@pytest.fixture
def dw(world):
    """The world with the document people and P's categories."""
    add_people(world)
    return world


def category(code: str = "SN", provider=None) -> DocumentCategory:
    query = DocumentCategory.objects.filter(code=code)
    if provider is not None:
        query = query.filter(provider=provider)
    return query.get()


def make_document(world, author: str = "writer", *, text: str = "第一版内容",
                  code: str = "FA", **data) -> ControlledDocument:
    """A draft of P by ``author`` with a first version (``text``; None: none)."""
    user = world.users[author]
    payload = {"title": "机房巡检方案", "description": "每日巡检", "document_category":
               category(code, world.orgs["P"]), **data}
    return services.create_document(actor=user, data=payload, text=text or "")


def publish(world, document: ControlledDocument, reviewer: str = "boss"
            ) -> ControlledDocument:
    """Submit (by its author) and approve a draft."""
    from itsm.core import services as records

    author = document.created_by
    records.transition_record(document, "submit", actor=author)
    services.decide_review(document, actor=world.users[reviewer], approve=True)
    document.refresh_from_db()
    return document


def png_bytes() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def pdf_bytes() -> bytes:
    return (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages"
            b"/Kids[3 0 R]/Count 1>>endobj 3 0 obj<</Type/Page/Parent 2 0 R/MediaBox"
            b"[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


def upload(name: str, content: bytes, content_type: str = "application/octet-stream"
           ) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)
