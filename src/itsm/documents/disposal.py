"""Retention and disposal (保管期限, DOC-4): a document is kept for the years of its
importance after its publication — "no deletion before", not "deleted after". Inside
the period no interface deletes it (``core.retention``'s lock); after it, only an
audited disposal does: someone decides it, says why, and a ``DisposalRecord`` keeps
what was disposed of for good. Every other way of deleting a document is refused
(``receivers``), the nightly purge of closed records included."""

from __future__ import annotations

import datetime as dt

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from itsm.core import audit
from itsm.core.choices import AuditAction
from itsm.core.exceptions import WorkflowError
from itsm.core.models import RecordLink
from itsm.core.retention import check_deletable, latest_expired_creation_date

from . import permissions as perms
from .choices import RETENTION_YEARS, DocumentStatus
from .models import ControlledDocument, DisposalRecord, DocumentVersion, disposing


def due_for_disposal(queryset: QuerySet, today: dt.date | None = None) -> QuerySet:
    """The archived documents of ``queryset`` whose retention period is over, in SQL
    (``ControlledDocument.retained_until`` per importance)."""
    today = today or timezone.localdate()
    condition = Q()
    for importance, years in RETENTION_YEARS.items():
        last = latest_expired_creation_date(today, years)
        before = timezone.make_aware(dt.datetime.combine(last + dt.timedelta(days=1),
                                                         dt.time.min))
        condition |= Q(importance=importance) & (
            Q(published_at__lt=before)
            | Q(published_at__isnull=True, created_at__lt=before))
    return queryset.filter(condition, status=DocumentStatus.ARCHIVED)


def _version_facts(version: DocumentVersion) -> dict:
    return {"version": version.label, "file": version.original_name, "size": version.size,
            "sha256": version.sha256,
            "created_at": audit.to_json_value(version.created_at)}


@transaction.atomic
def dispose(document: ControlledDocument, *, actor, reason: str) -> DisposalRecord:
    """Dispose of an archived document after its retention period: administrators and
    management, with a reason. Writes the disposal record and an audit entry, deletes
    the document with its versions and files."""
    document = ControlledDocument.objects.select_for_update().get(pk=document.pk)
    if not perms.may_dispose(actor):
        raise PermissionDenied(_("Only administrators and management dispose of documents."))
    if not ControlledDocument.objects.visible_to(actor).filter(pk=document.pk).exists():
        raise PermissionDenied(_("You cannot see this document."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the document is disposed of.")})
    if document.status != DocumentStatus.ARCHIVED:
        raise WorkflowError(_("Archive %(number)s before disposing of it.")
                            % {"number": document.number}, "not_archived")
    check_deletable(document)  # RetentionError (409) inside the period
    versions = list(document.versions.all())
    record = DisposalRecord.objects.create(
        provider_id=document.provider_id, organization_id=document.organization_id,
        number=document.number, title=document.title,
        category=str(document.document_category or ""), importance=document.importance,
        confidentiality=document.confidentiality, created_at=document.created_at,
        published_at=document.published_at, retained_until=document.retained_until,
        versions=[_version_facts(v) for v in versions], reason=reason, disposed_by=actor)
    audit.log(action=AuditAction.DELETE, instance=document, actor=actor,
              changes={"disposal": record.pk, "reason": reason,
                       "retained_until": document.retained_until.isoformat(),
                       "versions": record.versions})
    files = [v.file.name for v in versions if v.file]
    files += [a.file.name for a in document.attachments.all()]
    record_type = ContentType.objects.get_for_model(ControlledDocument)
    RecordLink.objects.filter(
        Q(source_type=record_type, source_id=document.pk)
        | Q(target_type=record_type, target_id=document.pk)).delete()
    with disposing():
        document.delete()
    storage = DocumentVersion._meta.get_field("file").storage  # attachments: the same
    transaction.on_commit(lambda: [storage.delete(name) for name in files])
    return record
