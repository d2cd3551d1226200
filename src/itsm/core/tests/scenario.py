"""Data shared by the API, access and attachment tests (not a test module).

``build_scenario(world)`` adds, on top of the ``world`` fixture, one ticket of each
type (service request, incident) per customer person (A: requester_a, requester_a2;
B: requester_b; C: requester_c), each with a public reply, an internal note, a public
and an internal attachment, and a department per organization. Everything of B
carries the sentinel string.
``fingerprint()`` captures the database state a refused write must not change;
``zip_bomb()`` makes the upload every file import must refuse.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from itertools import product
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
    Record,
    Team,
    TimelineEvent,
)
from itsm.core.registry import record_types
from itsm.servicedesk.models import Incident

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
    # a person of customer B: the sentinel is theirs to see, A's records are not
    "requester_b": {"B"},
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
    "requester_b": {"b"},
}
#: Identities that may not see B's data: the sentinel must never reach them.
BLIND_TO_B = {"requester_a", "requester_a2", "custadmin_a", "agent_q"}
AUDIT_READERS = {"auditor", "admin"}
INTERNAL_NOTE = "INTERNAL-NOTE-only-for-staff"
#: Every registered record type, by model name (the basename of its API routes).
TICKET_MODELS: dict[str, type[Record]] = {rt.key: rt.model for rt in record_types()}
#: Ticket columns a refused write must leave as they were.
TICKET_COLUMNS = ("pk", "number", "version", "status", "title", "description", "priority",
                  "impact", "urgency", "service_id", "category", "resolution",
                  "organization_id", "requester_id", "assignee_id", "assignee_team_id",
                  "updated_at")


def columns_of(model: type[Record]) -> list[str]:
    """The TICKET_COLUMNS this record type has."""
    names = {f.attname for f in model._meta.concrete_fields} | {"pk"}
    return [c for c in TICKET_COLUMNS if c in names]


def upload(name: str = "report.txt", content: bytes = b"hello", content_type: str = "") -> Any:
    return SimpleUploadedFile(name, content, content_type=content_type or "text/plain")


def create_ticket(world, model: type[Record], requester: str, *, staff: str = "agent",
                  **data: Any) -> Record:
    """A record of ``model`` raised by ``requester`` through the service layer (by
    ``staff`` for types customers may not raise, e.g. major incidents)."""
    user = world.users[requester]
    names = {f.name for f in model._meta.get_fields()}
    payload = {"organization": user.profile.organization, "title": "打印机卡纸",
               "description": "三楼打印机卡纸", "requester": user,
               **{k: v for k, v in data.items() if k in names}}
    actor = user if model.customers_may_create else world.users[staff]
    return services.create_record(model, actor=actor, data=payload)


def _by_ticket() -> dict[str, dict]:
    return {ticket: {} for ticket in TICKET_MODELS}


@dataclass
class Scenario:
    """Records, attachments and audit entries are keyed ``[ticket type][record key]``."""

    world: Any
    records: dict[str, dict[str, Record]] = field(default_factory=_by_ticket)
    attachments: dict[str, dict[str, Attachment]] = field(default_factory=_by_ticket)
    internal_attachments: dict[str, dict[str, Attachment]] = field(default_factory=_by_ticket)
    departments: dict[str, Department] = field(default_factory=dict)
    audit_entries: dict[str, dict[str, AuditEntry]] = field(default_factory=_by_ticket)

    @property
    def record_org(self) -> dict[str, str]:
        return {"a1": "A", "a2": "A", "b": "B", "c": "C"}

    def numbers(self, ticket: str, keys=None) -> set[str]:
        """Numbers of the ``ticket`` records with these keys (all of them by default)."""
        records = self.records[ticket]
        return {records[k].number for k in (records if keys is None else keys)}


def build_scenario(world) -> Scenario:
    sc = Scenario(world=world)
    staff_of = {"a1": "agent", "a2": "agent", "b": "agent", "c": "agent_q"}
    people = [("a1", "requester_a", "A1"), ("a2", "requester_a2", "A2"),
              ("b", "requester_b", SENTINEL_B), ("c", "requester_c", "C")]
    for (key, requester, extra), (ticket, model) in product(people, TICKET_MODELS.items()):
        record = create_ticket(world, model, requester, title=f"报修 {extra}",
                               description=f"描述 {extra}", category=f"cat-{extra}",
                               staff=staff_of[key])
        staff = world.users[staff_of[key]]
        # Types customers may not see (problems) get the "customer" reply from staff.
        user = (world.users[requester] if getattr(model, "customers_may_view", True)
                else staff)
        services.add_comment(record, actor=user, body=f"回复 {extra}")
        services.add_comment(record, actor=staff, body=f"{INTERNAL_NOTE} {extra}",
                             internal=True)
        sc.attachments[ticket][key] = services.add_attachment(
            record, actor=user, upload=upload(f"log-{extra}.txt", f"file {extra}".encode()))
        sc.internal_attachments[ticket][key] = services.add_attachment(
            record, actor=staff, upload=upload(f"internal-{extra}.txt", b"internal"),
            internal=True)
        sc.records[ticket][key] = model.objects.get(pk=record.pk)
        sc.audit_entries[ticket][key] = AuditEntry.objects.filter(
            object_type=model._meta.label_lower, object_id=str(record.pk),
            action="create").get()
    for code in ("P", "A", "B", "C", "Q"):
        suffix = SENTINEL_B if code == "B" else code
        sc.departments[code] = directory.create_object(Department, actor=None, data={
            "organization": world.orgs[code], "name": f"IT {suffix}"})
    return sc


def fingerprint() -> dict[str, Any]:
    """Everything a refused write could have changed (reads may add audit entries)."""
    return {
        **{ticket: list(model.objects.order_by("pk").values_list(*columns_of(model)))
           for ticket, model in TICKET_MODELS.items()},
        "incident_analysis": list(Incident.objects.order_by("pk").values_list(
            "pk", "cause", "is_major", "major_incident_id")),
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
        **change_fingerprint(),
    }


def change_fingerprint() -> dict[str, Any]:
    from itsm.changes import models as m
    from itsm.cmdb.models import RecordCI
    from itsm.core.models import RecordLink
    from itsm.security.models import PlanUse

    return {
        "change_services": list(m.Change.services.through.objects.order_by("pk")
                                .values_list("pk", "change_id", "service_id")),
        "boards": list(m.ChangeBoard.objects.order_by("pk").values_list(
            "pk", "name", "quorum", "is_default", "is_active")),
        "board_members": list(m.ChangeBoard.members.through.objects.order_by("pk")
                              .values_list("pk", "changeboard_id", "user_id")),
        "templates": list(m.ChangeTemplate.objects.order_by("pk").values_list(
            "pk", "name", "is_active")),
        "freezes": list(m.FreezeWindow.objects.order_by("pk").values_list(
            "pk", "name", "start", "end")),
        "approvals": list(m.Approval.objects.order_by("pk").values_list("pk", "status")),
        "votes": list(m.Vote.objects.order_by("pk").values_list("pk", "decision")),
        "tasks": list(m.ChangeTask.objects.order_by("pk").values_list(
            "pk", "title", "status", "assignee_id")),
        "meetings": list(m.CabMeeting.objects.order_by("pk").values_list(
            "pk", "title", "minutes", "status")),
        "meeting_items": list(m.MeetingItem.objects.order_by("pk").values_list(
            "pk", "change_id", "decision", "notes")),
        "record_cis": list(RecordCI.objects.order_by("pk").values_list("pk")),
        "record_links": list(RecordLink.objects.order_by("pk").values_list("pk")),
        "plan_uses": list(PlanUse.objects.order_by("pk").values_list("pk")),
    }


def csv_rows(content: bytes) -> list[list[str]]:
    text = content.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def zip_bomb(unpacked: int) -> bytes:
    """A ZIP archive (an "XLSX") of a few KB that unpacks to ``unpacked`` bytes."""
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * unpacked)
    return buffer.getvalue()


def body_text(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")
