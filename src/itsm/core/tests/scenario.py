"""Data shared by the API, access and attachment tests (not a test module).

``build_scenario(world)`` adds, on top of the ``world`` fixture, one service request
per customer person (A: requester_a, requester_a2; B: requester_b; C: requester_c),
each with a public reply, an internal note, a public and an internal attachment, and
a department per organization. Everything of B carries the sentinel string.
``fingerprint()`` captures the database state a refused write must not change.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile

from itsm.conftest import SENTINEL_B
from itsm.core import directory, services
from itsm.core.models import (
    Attachment,
    AuditEntry,
    Comment,
    Department,
    Organization,
    Profile,
    Team,
    TimelineEvent,
)
from itsm.servicedesk.models import ServiceRequest

User = get_user_model()

#: Organization codes (as in the world fixture) each identity may see.
SCOPE = {
    "requester_a": {"A"},
    "requester_a2": {"A"},
    "custadmin_a": {"A"},
    "agent": {"P", "A", "B"},
    "auditor": {"P", "A", "B"},
    "admin": {"P", "A", "B"},
    "agent_q": {"Q", "C"},
}
#: Records (by key) each identity may see; every other record must be a 404.
VISIBLE_RECORDS = {
    "requester_a": {"a1"},
    "requester_a2": {"a2"},
    "custadmin_a": {"a1", "a2"},
    "agent": {"a1", "a2", "b"},
    "auditor": {"a1", "a2", "b"},
    "admin": {"a1", "a2", "b"},
    "agent_q": {"c"},
}
#: Identities that may not see B's data: the sentinel must never reach them.
BLIND_TO_B = {"requester_a", "requester_a2", "custadmin_a", "agent_q"}
AUDIT_READERS = {"auditor", "admin"}
INTERNAL_NOTE = "INTERNAL-NOTE-only-for-staff"


def upload(name: str = "report.txt", content: bytes = b"hello", content_type: str = "") -> Any:
    return SimpleUploadedFile(name, content, content_type=content_type or "text/plain")


@dataclass
class Scenario:
    world: Any
    records: dict[str, ServiceRequest] = field(default_factory=dict)
    attachments: dict[str, Attachment] = field(default_factory=dict)
    internal_attachments: dict[str, Attachment] = field(default_factory=dict)
    departments: dict[str, Department] = field(default_factory=dict)
    audit_entries: dict[str, AuditEntry] = field(default_factory=dict)

    @property
    def record_org(self) -> dict[str, str]:
        return {"a1": "A", "a2": "A", "b": "B", "c": "C"}

    def hidden_records(self, identity: str) -> list[str]:
        return sorted(set(self.records) - VISIBLE_RECORDS[identity])

    def visible_records(self, identity: str) -> list[str]:
        return sorted(VISIBLE_RECORDS[identity])


def build_scenario(world) -> Scenario:
    sc = Scenario(world=world)
    staff_of = {"a1": "agent", "a2": "agent", "b": "agent", "c": "agent_q"}
    for key, requester, extra in [
        ("a1", "requester_a", "A1"),
        ("a2", "requester_a2", "A2"),
        ("b", "requester_b", SENTINEL_B),
        ("c", "requester_c", "C"),
    ]:
        record = world.request(requester, title=f"报修 {extra}", description=f"描述 {extra}",
                               category=f"cat-{extra}")
        user = world.users[requester]
        staff = world.users[staff_of[key]]
        services.add_comment(record, actor=user, body=f"回复 {extra}")
        services.add_comment(record, actor=staff, body=f"{INTERNAL_NOTE} {extra}",
                             internal=True)
        sc.attachments[key] = services.add_attachment(
            record, actor=user, upload=upload(f"log-{extra}.txt", f"file {extra}".encode()))
        sc.internal_attachments[key] = services.add_attachment(
            record, actor=staff, upload=upload(f"internal-{extra}.txt", b"internal"),
            internal=True)
        sc.records[key] = ServiceRequest.objects.get(pk=record.pk)
        sc.audit_entries[key] = AuditEntry.objects.filter(
            object_type="servicedesk.servicerequest", object_id=str(record.pk),
            action="create").get()
    for code in ("P", "A", "B", "C", "Q"):
        suffix = SENTINEL_B if code == "B" else code
        sc.departments[code] = directory.create_object(Department, actor=None, data={
            "organization": world.orgs[code], "name": f"IT {suffix}"})
    return sc


def fingerprint() -> dict[str, Any]:
    """Everything a refused write could have changed (reads may add audit entries)."""
    return {
        "requests": list(ServiceRequest.objects.order_by("pk").values_list(
            "pk", "number", "version", "status", "title", "description", "priority",
            "organization_id", "requester_id", "assignee_id", "assignee_team_id", "updated_at")),
        "comments": list(Comment.objects.order_by("pk").values_list("pk", "body", "internal")),
        "attachments": list(Attachment.objects.order_by("pk").values_list("pk", "file")),
        "timeline": TimelineEvent.objects.count(),
        "writes": AuditEntry.objects.exclude(action="read").count(),
        "organizations": list(Organization.objects.order_by("pk").values_list(
            "pk", "name", "code", "is_active", "provider_id")),
        "departments": list(Department.objects.order_by("pk").values_list("pk", "name")),
        "teams": list(Team.objects.order_by("pk").values_list("pk", "name", "lead_id")),
        "people": list(User.objects.order_by("pk").values_list(
            "pk", "username", "is_active", "email", "password")),
        "profiles": list(Profile.objects.order_by("pk").values_list(
            "pk", "organization_id", "language", "phone")),
    }


def csv_rows(content: bytes) -> list[list[str]]:
    text = content.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def body_text(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")
