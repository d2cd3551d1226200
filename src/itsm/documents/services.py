"""The write path of controlled documents: categories, templates and clearances through
the object layer; documents through the record services (numbering, workflow, audit);
versions with check-out and check-in; reviews by tier; the access log.

Every function here is atomic, checks its actor (None: the system) and audits what it
writes; views, serializers, the demo and jobs call these, nothing else saves.
"""

from __future__ import annotations

import hashlib
import mimetypes
from collections.abc import Callable, Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from itsm.core import access, audit, objects
from itsm.core import services as records
from itsm.core.choices import AuditAction, NotificationEvent, TimelineKind
from itsm.core.exceptions import WorkflowError
from itsm.core.models import Organization, display_name
from itsm.core.notifications import absolute, by_language, notify
from itsm.core.services import check_upload_size

from . import permissions as perms
from .choices import (
    DEFAULT_CODES,
    DEFAULT_NAMES,
    AccessAction,
    DocumentStatus,
    ReviewDecision,
)
from .models import (
    ControlledDocument,
    DocumentAccess,
    DocumentCategory,
    DocumentClearance,
    DocumentReview,
    DocumentTemplate,
    DocumentVersion,
)

#: What may change once a document left its draft: who keeps it and how secret it is.
#: Its content changes by a new version (after "revise"), never in place.
AFTER_DRAFT_FIELDS = frozenset({"owner", "assignee", "assignee_team", "confidentiality",
                                "effective_date", "due_at", "priority"})


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


# --- Categories, templates, clearances (object layer) -------------------------------------


def _require_keeper(actor) -> None:
    if actor is not None:
        _require(perms.is_keeper(actor),
                 _("Only administrators and management may change document categories "
                   "and templates."))


@transaction.atomic
def ensure_default_categories(provider: Organization) -> list[DocumentCategory]:
    """The nine categories of DOC-1 with their codes (SN, FA, …) for ``provider``, those
    it lacks (idempotent: a kind or code it has already is left alone)."""
    existing = DocumentCategory.objects.filter(provider=provider, parent__isnull=True)
    kinds = set(existing.values_list("kind", flat=True))
    codes = set(existing.values_list("code", flat=True))
    created = []
    for order, (kind, code) in enumerate(DEFAULT_CODES.items(), start=1):
        if kind in kinds or code in codes:
            continue
        created.append(objects.save_object(DocumentCategory, actor=None, data={
            "provider": provider, "name": DEFAULT_NAMES[kind], "kind": kind, "code": code,
            "order": order * 10}))
    return created


def save_category(instance: DocumentCategory | None, *, actor, data: dict[str, Any]
                  ) -> DocumentCategory:
    """Create or change a category of the actor's provider (keepers only)."""
    _require_keeper(actor)
    data = dict(data)
    if actor is not None:
        data["provider"] = Organization.objects.get(pk=access.provider_id_of(actor))
    if "code" in data:
        data["code"] = (data["code"] or "").strip().upper()
    parent = data.get("parent", getattr(instance, "parent", None))
    if parent is not None:  # a sub-category is of its parent's kind
        data["kind"] = parent.kind
    return objects.save_object(instance or DocumentCategory, actor=actor, data=data)


def delete_category(instance: DocumentCategory, *, actor) -> None:
    _require_keeper(actor)
    objects.delete_object(instance, actor=actor, organization_id=instance.provider_id,
                          in_use_message=_("Documents or sub-categories use this category: "
                                           "deactivate it instead."))


def save_template(instance: DocumentTemplate | None, *, actor, data: dict[str, Any]
                  ) -> DocumentTemplate:
    """Create or change a template (keepers); an uploaded file is stored under a
    generated name, its own name kept."""
    _require_keeper(actor)
    data = dict(data)
    upload = data.pop("file", None)
    if isinstance(upload, UploadedFile):
        check_upload_size(upload.size)
        data["original_name"] = _clean_name(upload.name, "template")
        data["file"] = upload
    elif upload is False:  # cleared on the form
        data.update(file="", original_name="")
    category = data.get("category") or getattr(instance, "category", None)
    if actor is not None and category is not None and (
            category.provider_id != access.provider_id_of(actor)):
        raise ValidationError({"category": _("Choose a category of your provider.")})
    return objects.save_object(instance or DocumentTemplate, actor=actor, data=data,
                               organization_id=getattr(category, "provider_id", None))


def delete_template(instance: DocumentTemplate, *, actor) -> None:
    _require_keeper(actor)
    objects.delete_object(instance, actor=actor, organization_id=instance.provider_id)


def save_clearance(instance: DocumentClearance | None, *, actor, data: dict[str, Any]
                   ) -> DocumentClearance:
    """Grant (or change) a person's clearance: administrators and security officers of
    the person's provider; the reason is required."""
    if actor is not None:
        _require(perms.may_manage_clearances(actor),
                 _("Only administrators and security officers grant clearances."))
    data = dict(data)
    person = data.get("user") or getattr(instance, "user", None)
    if person is not None:
        provider_id = access.provider_id_of(actor) if actor is not None else None
        if not access.is_provider_staff(person) or (
                provider_id is not None and access.provider_id_of(person) != provider_id):
            raise ValidationError({"user": _("Choose a staff member of your provider.")})
        data["provider"] = Organization.objects.get(pk=access.provider_id_of(person))
    if not (data.get("reason") or getattr(instance, "reason", "")).strip():
        raise ValidationError({"reason": _("Say why the person needs the clearance.")})
    data.update(granted_by=actor, granted_at=timezone.now())
    return objects.save_object(instance or DocumentClearance, actor=actor, data=data)


def delete_clearance(instance: DocumentClearance, *, actor) -> None:
    if actor is not None:
        _require(perms.may_manage_clearances(actor),
                 _("Only administrators and security officers withdraw clearances."))
    objects.delete_object(instance, actor=actor, organization_id=instance.provider_id)


# --- Documents ------------------------------------------------------------------------------


@transaction.atomic
def create_document(*, actor, data: dict[str, Any], upload: UploadedFile | None = None,
                    text: str = "") -> ControlledDocument:
    """Create a document in draft (provider staff), numbered by its category's code and
    the year; its first version from ``upload`` or ``text`` when given. Internal
    documents belong to the provider (their requester: the author); the author owns it
    unless an owner is named."""
    data = dict(data)
    if actor is not None:
        _require(perms.may_create(actor), _("Only service staff create documents."))
        data.setdefault("organization", access.organization_of(actor))
        if data["organization"] is not None and data["organization"].pk == (
                access.organization_of(actor).pk):
            data.setdefault("requester", actor)
        if data.get("owner") is None:
            data["owner"] = actor
        if data.get("document_category") is None:
            raise ValidationError({"document_category": _("Choose a category.")})
    document = records.create_record(ControlledDocument, actor=actor, data=data)
    if upload is not None or (text or "").strip():
        add_version(document, actor=actor, upload=upload, text=text)
        records.reload(document)
    return document


@transaction.atomic
def update_document(document: ControlledDocument, *, actor, changes: dict[str, Any],
                    expected_version: int | None = None) -> ControlledDocument:
    """Change a document's fields: its owner, author, assignee or an administrator; once
    it left its draft only who keeps it and how secret it is (its content changes by a
    new version)."""
    if actor is not None:
        _require(perms.may_edit(actor, document),
                 _("Only the document's owner, author, assignee or an administrator may "
                   "change it."))
    if document.status != DocumentStatus.DRAFT:
        locked = {name for name, value in changes.items()
                  if name not in AFTER_DRAFT_FIELDS and getattr(document, name, None) != value}
        if locked:
            raise ValidationError({name: _("Revise the document to change this.")
                                   for name in locked})
    return records.update_record(document, actor=actor, changes=changes,
                                 expected_version=expected_version)


def check_transition(document: ControlledDocument, transition: str, actor) -> None:
    """The record-level rule of the manual transitions (the workflow names the roles):
    submitting, withdrawing and revising a document is for who may edit it."""
    if actor is not None and transition in ("submit", "withdraw", "revise"):
        _require(perms.may_edit(actor, document),
                 _("Only the document's owner, author, assignee or an administrator may "
                   "do this."))


def after_transition(document: ControlledDocument, transition: str, actor) -> None:
    """What follows a document's move: the one it replaces is superseded once it is
    published."""
    old = document.supersedes
    if transition == "approve" and old is not None and old.status == DocumentStatus.PUBLISHED:
        records.transition_record(old, "supersede", actor=actor, on_decision=True)
        records.add_timeline_event(old, TimelineKind.UPDATED, actor=actor,
                                   reason=gettext_noop("superseded by %(number)s"),
                                   reason_params={"number": document.number})


# --- Versions, check-out and check-in -------------------------------------------------------


def _clean_name(name: str | None, default: str) -> str:
    return (name or "").replace("\x00", "").strip()[-255:] or default


def _next_number(document: ControlledDocument, major: bool) -> tuple[int, int]:
    latest = document.versions.order_by("-major", "-minor").first()
    if latest is None:
        return 1, 0
    return (latest.major + 1, 0) if major else (latest.major, latest.minor + 1)


def _lock(document: ControlledDocument) -> ControlledDocument:
    return ControlledDocument.objects.select_for_update().get(pk=document.pk)


def _note(document: ControlledDocument, actor, reason: str, **params: Any) -> None:
    """A line of the document's timeline (``reason`` marked with gettext_noop)."""
    records.add_timeline_event(document, TimelineKind.UPDATED, actor=actor, reason=reason,
                               reason_params=params)


@transaction.atomic
def add_version(document: ControlledDocument, *, actor, upload: UploadedFile | None = None,
                text: str = "", change_summary: str = "", major: bool = False,
                release: bool = False) -> DocumentVersion:
    """Add the next version of a draft: a file (its SHA-256 kept) or a text. From the
    second version on it needs a change summary. Refused while someone else has the
    document checked out; ``release`` checks it in (the actor must hold it). A new
    version of a confirmed requirement document needs a new confirmation."""
    document = _lock(document)
    if actor is not None:
        _require(perms.may_edit(actor, document),
                 _("Only the document's owner, author, assignee or an administrator may "
                   "add versions."))
    if document.status != DocumentStatus.DRAFT:
        raise WorkflowError(_("Only a draft takes a new version: revise %(number)s first.")
                            % {"number": document.number}, "not_draft")
    holder = document.checked_out_by_id
    if holder is not None and (actor is None or holder != actor.pk):
        raise WorkflowError(_("%(number)s is checked out by someone else.")
                            % {"number": document.number}, "checked_out")
    if release and (actor is None or holder != actor.pk):
        raise WorkflowError(_("Check %(number)s out before checking it in.")
                            % {"number": document.number}, "not_checked_out")
    text = (text or "").strip()
    if upload is None and not text:
        raise ValidationError({"file": _("Upload a file or write the text of the version.")})
    if upload is not None and text:
        raise ValidationError({"text": _("A version is a file or a text, not both.")})
    change_summary = (change_summary or "").strip()
    number = _next_number(document, major)
    if number != (1, 0) and not change_summary:
        raise ValidationError({"change_summary": _("Say what changed in this version.")})
    version = DocumentVersion(document=document, major=number[0], minor=number[1],
                              change_summary=change_summary[:500], created_by=actor)
    if upload is not None:
        _store(version, upload)
    else:
        version.text = text
        version.sha256 = hashlib.sha256(text.encode()).hexdigest()
        version.size = len(text.encode())
    version.full_clean(exclude=["file", "document"])
    version.save()
    document.current_version = version
    fields = ["current_version", "version", "updated_at"]
    if release:
        document.checked_out_by, document.checked_out_at = None, None
        fields += ["checked_out_by", "checked_out_at"]
    if document.confirmed_at is not None:
        document.confirmed_by, document.confirmed_at = None, None
        fields += ["confirmed_by", "confirmed_at"]
    document.version += 1
    document.updated_at = timezone.now()
    document.save(update_fields=fields)
    audit.log(action=AuditAction.CREATE, instance=version, actor=actor,
              organization_id=document.organization_id,
              changes={"document": document.number, "version": version.label,
                       "file": version.original_name, "stored_as": version.file.name or "",
                       "size": version.size, "sha256": version.sha256,
                       "change_summary": version.change_summary, "checked_in": release})
    _note(document, actor, gettext_noop("added version %(version)s"), version=version.label)
    return version


def _store(version: DocumentVersion, upload: UploadedFile) -> None:
    check_upload_size(upload.size)
    name = _clean_name(upload.name, "document")
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    version.original_name, version.size = name, upload.size
    version.mime_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    version.sha256 = digest.hexdigest()
    version.file.save(name, upload, save=False)


@transaction.atomic
def check_out(document: ControlledDocument, *, actor) -> ControlledDocument:
    """Lock the draft for ``actor`` (who may edit it): nobody else checks it out or adds
    a version until it is checked in or released."""
    document = _lock(document)
    _require(perms.may_edit(actor, document),
             _("Only the document's owner, author, assignee or an administrator may check "
               "it out."))
    if document.status != DocumentStatus.DRAFT:
        raise WorkflowError(_("Only a draft can be checked out: revise %(number)s first.")
                            % {"number": document.number}, "not_draft")
    if document.checked_out_by_id == actor.pk:
        return document
    if document.checked_out_by_id is not None:
        raise WorkflowError(_("%(number)s is checked out by %(person)s since %(time)s.") % {
            "number": document.number, "person": document.checked_out_by,
            "time": timezone.localtime(document.checked_out_at).strftime("%Y-%m-%d %H:%M")},
            "checked_out")
    _set_holder(document, actor, holder=actor, reason=gettext_noop("checked out"))
    return document


@transaction.atomic
def release(document: ControlledDocument, *, actor, force: bool = False
            ) -> ControlledDocument:
    """Give up a check-out without a new version: its holder, or (``force``) an
    administrator for someone who cannot (audited as forced)."""
    document = _lock(document)
    holder = document.checked_out_by_id
    if holder is None:
        return document
    if holder != actor.pk:
        _require(force and perms.may_force_release(actor, document),
                 _("%(number)s is checked out by someone else; an administrator may "
                   "release it.") % {"number": document.number})
    _set_holder(document, actor, holder=None, forced=holder != actor.pk,
                reason=gettext_noop("released the check-out of %(person)s") if holder != actor.pk
                else gettext_noop("checked in without a new version"))
    return document


def _set_holder(document: ControlledDocument, actor, *, holder, reason: str,
                forced: bool = False) -> None:
    before = document.checked_out_by_id
    document.checked_out_by = holder
    document.checked_out_at = timezone.now() if holder is not None else None
    document.version += 1
    document.updated_at = timezone.now()
    document.save(update_fields=["checked_out_by", "checked_out_at", "version", "updated_at"])
    audit.log(action=AuditAction.UPDATE, instance=document, actor=actor,
              changes={"checked_out_by": [before, getattr(holder, "pk", None)],
                       **({"forced": True} if forced else {})})
    person = ""
    if forced and before is not None:
        person = display_name(get_user_model().objects.filter(pk=before).first())
    _note(document, actor, reason, person=person)


# --- Reviews (DOC-3) ------------------------------------------------------------------------


@transaction.atomic
def decide_review(document: ControlledDocument, *, actor, approve: bool, comment: str = ""
                  ) -> DocumentReview:
    """A reviewer's decision on the document's current version: approved publishes it,
    rejected sends it back to draft (with the reason). Only who fits the tier of its
    importance decides (team lead / IT or business head / management), never its author
    or owner; the decision is kept and the author told."""
    document = _lock(document)
    refusal = perms.review_refusal(actor, document)
    if refusal is not None:
        if document.status != DocumentStatus.IN_REVIEW and perms.staff_of_document(
                actor, document):
            raise WorkflowError(refusal)
        raise PermissionDenied(refusal)
    comment = (comment or "").strip()
    if not approve and not comment:
        raise ValidationError({"comment": _("Say why the document is rejected.")})
    review = DocumentReview.objects.create(
        document=document, version=document.current_version, tier=document.review_tier,
        reviewer=actor, comment=comment,
        decision=ReviewDecision.APPROVED if approve else ReviewDecision.REJECTED)
    audit.log(action=AuditAction.CREATE, instance=review, actor=actor,
              organization_id=document.organization_id,
              changes={"document": document.number, "version": review.version.label,
                       "tier": review.tier, "decision": review.decision, "comment": comment})
    records.transition_record(document, "approve" if approve else "reject", actor=actor,
                              on_decision=True, comment=comment, locked=True)
    tell_decision(document, review)
    return review


# --- Notifications ----------------------------------------------------------------------------


def document_name(document: ControlledDocument) -> str:
    """The document as a message names it: a confidential or secret one by its number
    alone."""
    return str(document)


def tell(event: str, document: ControlledDocument, people: Iterable, *, key: str,
         message: Callable[[], tuple[str, str]], actor=None) -> None:
    """Notify ``people`` (not ``actor``), each in their language. A confidential or
    secret document's title stays out of the notification log (which all of the staff
    read) and the robots: it is sent without it."""
    secret = document.is_restricted
    link = absolute(document.get_absolute_url())
    for language, recipients in by_language(people, actor).items():
        with translation.override(language):
            subject, body = message()
            notify(event, record=None if secret else document, recipients=recipients,
                   subject=subject, body=f"{body}\n\n{link}", language=language,
                   organization_id=document.organization_id, actor=actor,
                   dedupe_key=f"{key}:{language}")


def ask_reviewers(document: ControlledDocument, actor) -> None:
    """Tell the people who may approve the submitted document."""
    name = document_name(document)
    tell(NotificationEvent.APPROVAL_REQUESTED, document, perms.reviewers_of(document),
         key=f"document-review:{document.pk}:{document.current_version_id}:{document.version}",
         actor=actor, message=lambda: (
             _("[Review] %(document)s") % {"document": name},
             _("%(document)s waits for your review (importance: %(importance)s).") % {
                 "document": name, "importance": document.get_importance_display()}))


def tell_decision(document: ControlledDocument, review: DocumentReview) -> None:
    name = document_name(document)
    people = [p for p in (document.created_by, document.owner) if p is not None]

    def message() -> tuple[str, str]:
        decision = review.get_decision_display()
        body = _("%(reviewer)s: %(decision)s (version %(version)s).") % {
            "reviewer": review.reviewer, "decision": decision, "version": review.version.label}
        if review.comment:
            body += "\n" + review.comment
        return _("[%(decision)s] %(document)s") % {"decision": decision, "document": name}, body

    tell(NotificationEvent.APPROVAL_DECIDED, document, people, key=f"document-decision:"
         f"{review.pk}", actor=review.reviewer, message=message)


# --- The access log (查阅记录) ------------------------------------------------------------------


def log_access(document: ControlledDocument, *, user, action: str,
               version: DocumentVersion | None = None, request=None) -> DocumentAccess:
    """Record one view, preview, download or loan step: who, when, from which address
    (the project's: ``REMOTE_ADDR`` as the proxy sets it, ``core.middleware``) and
    browser."""
    agent = ""
    if request is not None:
        agent = (request.META.get("HTTP_USER_AGENT") or "").replace("\x00", "")[:255]
    return DocumentAccess.objects.create(
        document=document, version=version, user=user if getattr(user, "pk", None) else None,
        action=action, ip_address=audit.current_context().ip_address, user_agent=agent)


def log_refused(document: ControlledDocument, version: DocumentVersion, *, user, request
                ) -> None:
    """A file whose checksum no longer matches: refused, in the access log and the audit
    log (outside the request's fate)."""
    with transaction.atomic():
        log_access(document, user=user, action=AccessAction.REFUSED, version=version,
                   request=request)
        audit.log(action=AuditAction.READ, instance=version, actor=user,
                  organization_id=document.organization_id,
                  changes={"refused": "checksum mismatch", "sha256": version.sha256})
