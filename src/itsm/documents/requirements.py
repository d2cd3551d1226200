"""Requirement analysis (REQ-5): staff analyse a non-trivial service request into a
requirement document (functional, performance, interface and data requirements) of
the category kind "requirement" — a controlled document of the request's organization
numbered ``SN<year><nnn>`` — which the requester (or their customer administrator)
confirms. A new version after a confirmation needs a new one."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from itsm.core import access, audit
from itsm.core import services as records
from itsm.core.choices import AuditAction, NotificationEvent, TimelineKind
from itsm.core.exceptions import WorkflowError
from itsm.core.models import Organization
from itsm.servicedesk.models import ServiceRequest

from . import permissions as perms
from . import services
from .choices import DocumentKind, DocumentStatus
from .models import ControlledDocument, DocumentCategory

#: The sections of a requirement document, in order: (key, heading).
SECTIONS = (
    ("functional", gettext_lazy("Functional requirements")),
    ("performance", gettext_lazy("Performance requirements")),
    ("interface", gettext_lazy("Interface requirements")),
    ("data", gettext_lazy("Data requirements")),
)


def requirement_text(sections: dict[str, str]) -> str:
    """The version text: each section under its heading (in the writer's language)."""
    parts = []
    for key, heading in SECTIONS:
        body = (sections.get(key) or "").strip() or "—"
        parts.append(f"## {heading}\n\n{body}")
    return "\n\n".join(parts)


def requirement_category(provider: Organization) -> DocumentCategory:
    """The provider's requirement category (the default ones are created if it has
    none)."""
    def first():
        return (DocumentCategory.objects.filter(
            provider=provider, kind=DocumentKind.REQUIREMENT, parent__isnull=True,
            is_active=True).order_by("order", "pk").first())

    category = first()
    if category is None:
        services.ensure_default_categories(provider)
        category = first()
    if category is None:
        raise ValidationError({"document_category": _(
            "The provider has no active requirement category.")})
    return category


def may_analyse(user, request: ServiceRequest) -> bool:
    """Staff who may write and see the request analyse it."""
    return (perms.may_create(user)
            and ServiceRequest.objects.visible_to(user).filter(pk=request.pk).exists())


@transaction.atomic
def create_requirement_document(request: ServiceRequest, *, actor, title: str,
                                sections: dict[str, str], **fields: Any
                                ) -> ControlledDocument:
    """The requirement document of ``request``: of its organization and requester, its
    first version the sections' text; the request's timeline says so and the requester
    is asked to confirm it."""
    if actor is not None and not may_analyse(actor, request):
        raise PermissionDenied(_("Only service staff analyse requests."))
    if not any((sections.get(key) or "").strip() for key, _heading in SECTIONS):
        raise ValidationError({"functional": _("Write at least one section.")})
    provider = Organization.objects.get(pk=request.organization.serving_provider_id)
    document = services.create_document(actor=actor, text=requirement_text(sections), data={
        **fields, "organization": request.organization, "requester": request.requester,
        "title": title, "source_request": request,
        "document_category": requirement_category(provider),
        "description": _("Requirement analysis of %(number)s.") % {"number": request.number},
    })
    records.add_timeline_event(request, TimelineKind.UPDATED, actor=actor,
                               reason=gettext_noop("requirement document %(number)s drafted"),
                               reason_params={"number": document.number})
    ask_confirmation(document, actor)
    return document


def ask_confirmation(document: ControlledDocument, actor) -> None:
    name = services.document_name(document)
    services.tell(
        NotificationEvent.APPROVAL_REQUESTED, document, [document.source_request.requester],
        key=f"requirements:{document.pk}:{document.current_version_id}", actor=actor,
        message=lambda: (_("[Please confirm] %(document)s") % {"document": name},
                         _("Please read the requirement document %(document)s of your request "
                           "and confirm it.") % {"document": name}))


@transaction.atomic
def confirm_requirements(document: ControlledDocument, *, actor) -> ControlledDocument:
    """The requester's side confirms the current version ("I confirm these
    requirements"): recorded on the document, on the request's timeline, told to the
    author."""
    document = ControlledDocument.objects.select_for_update().get(pk=document.pk)
    if actor is not None and not perms.may_confirm(actor, document):
        raise PermissionDenied(_("Only the requester confirms the requirements of their "
                                 "request."))
    if access.is_read_only(actor):
        raise PermissionDenied(_("Your role is read-only."))
    if document.status in (DocumentStatus.ARCHIVED, DocumentStatus.SUPERSEDED):
        raise WorkflowError(_("%(number)s is no longer current.") % {"number": document.number})
    if document.confirmed_at is not None:
        raise WorkflowError(_("%(number)s is confirmed already.") % {"number": document.number},
                            "confirmed")
    version = document.current_version
    document.confirmed_by, document.confirmed_at = actor, timezone.now()
    document.version += 1
    document.save(update_fields=["confirmed_by", "confirmed_at", "version"])
    audit.log(action=AuditAction.UPDATE, instance=document, actor=actor,
              changes={"confirmed_by": [None, getattr(actor, "pk", None)],
                       "confirmed_version": version.label})
    params = {"number": document.number, "version": version.label}
    reason = gettext_noop("confirmed the requirement document %(number)s (version %(version)s)")
    records.add_timeline_event(document, TimelineKind.UPDATED, actor=actor, reason=reason,
                               reason_params=params)
    records.add_timeline_event(document.source_request, TimelineKind.UPDATED, actor=actor,
                               reason=reason, reason_params=params)
    name = services.document_name(document)
    services.tell(
        NotificationEvent.APPROVAL_DECIDED, document,
        [p for p in (document.created_by, document.owner) if p is not None],
        key=f"requirements-confirmed:{document.pk}:{version.pk}", actor=actor,
        message=lambda: (_("[Confirmed] %(document)s") % {"document": name},
                         _("%(person)s confirmed the requirements (version %(version)s).")
                         % {"person": actor, "version": version.label}))
    return document
