"""Document loans (文档借阅): requested by anyone who may see the document, approved or
rejected by its owner or management (never by the borrower), lent until a return date
(reminded before it, marked overdue after), returned. Each step is audited (object
layer) and appears in the document's access log."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from itsm.core import access, objects
from itsm.core.choices import NotificationEvent, Role
from itsm.core.exceptions import WorkflowError

from . import permissions as perms
from .choices import AccessAction, LoanStatus
from .models import ControlledDocument, DocumentLoan
from .services import document_name, log_access, tell

#: The longest loan a person may ask for.
MAX_LOAN_DAYS = 366


def _save(loan: DocumentLoan | type[DocumentLoan], *, actor, data: dict[str, Any],
          document: ControlledDocument) -> DocumentLoan:
    return objects.save_object(loan, actor=actor, data=data,
                               organization_id=document.organization_id)


def _check_due_date(due_date: dt.date | None) -> None:
    today = timezone.localdate()
    if due_date is None:
        raise ValidationError({"due_date": _("Give the date the document comes back.")})
    if due_date < today:
        raise ValidationError({"due_date": _("The return date is in the past.")})
    if due_date > today + dt.timedelta(days=MAX_LOAN_DAYS):
        raise ValidationError({"due_date": _("A loan lasts at most a year.")})


@transaction.atomic
def request_loan(document: ControlledDocument, *, actor, purpose: str, due_date: dt.date,
                 request=None) -> DocumentLoan:
    """Ask to borrow a document one may see; its owner and management are asked."""
    if not ControlledDocument.objects.visible_to(actor).filter(pk=document.pk).exists():
        raise PermissionDenied(_("You cannot see this document."))
    if access.is_read_only(actor):
        raise PermissionDenied(_("Your role is read-only."))
    purpose = (purpose or "").strip()
    if not purpose:
        raise ValidationError({"purpose": _("Say what you need the document for.")})
    _check_due_date(due_date)
    if DocumentLoan.objects.filter(document=document, borrower=actor, status__in=(
            LoanStatus.REQUESTED, LoanStatus.APPROVED, LoanStatus.LENT,
            LoanStatus.OVERDUE)).exists():
        raise ValidationError({"purpose": _("You have an open loan of this document.")})
    loan = _save(DocumentLoan, actor=actor, document=document, data={
        "document": document, "borrower": actor, "purpose": purpose, "due_date": due_date,
        "status": LoanStatus.REQUESTED, "requested_at": timezone.now()})
    log_access(document, user=actor, action=AccessAction.LOAN_REQUESTED, request=request)
    name = document_name(document)
    tell(NotificationEvent.APPROVAL_REQUESTED, document, approvers_of(loan),
         key=f"document-loan:{loan.pk}:requested", actor=actor, message=lambda: (
             _("[Loan] %(person)s asks to borrow %(document)s") % {
                 "person": actor, "document": name},
             _("Purpose: %(purpose)s. Return by %(date)s.") % {
                 "purpose": purpose, "date": due_date.isoformat()}))
    return loan


def approvers_of(loan: DocumentLoan) -> list:
    """The document's owner (its author when it has none) and management of the
    provider who may see it."""
    document = loan.document
    keeper = document.owner_id or document.created_by_id
    people = get_user_model().objects.filter(
        Q(pk=keeper) | Q(groups__name=Role.MANAGEMENT), is_active=True,
        profile__organization_id=document.provider_id).exclude(pk=loan.borrower_id).distinct()
    return [p for p in people.select_related("profile")
            if ControlledDocument.objects.visible_to(p).filter(pk=document.pk).exists()]


def _locked(loan: DocumentLoan) -> DocumentLoan:
    return DocumentLoan.objects.select_for_update().get(pk=loan.pk)


def _expect(loan: DocumentLoan, *statuses: str) -> None:
    if loan.status not in statuses:
        raise WorkflowError(_("Not possible while the loan is “%(status)s”.")
                            % {"status": loan.status_label})


@transaction.atomic
def decide_loan(loan: DocumentLoan, *, actor, approve: bool, comment: str = "",
                request=None) -> DocumentLoan:
    """Approve or reject a requested loan (the document's owner or management, not the
    borrower); a rejection says why. The borrower is told."""
    loan = _locked(loan)
    _expect(loan, LoanStatus.REQUESTED)
    if actor is not None and not perms.may_decide_loan(actor, loan):
        raise PermissionDenied(_("The document's owner or management decide its loans, "
                                 "never the borrower."))
    comment = (comment or "").strip()
    if not approve and not comment:
        raise ValidationError({"comment": _("Say why the loan is rejected.")})
    loan = _save(loan, actor=actor, document=loan.document, data={
        "status": LoanStatus.APPROVED if approve else LoanStatus.REJECTED,
        "approved_by": actor, "decided_at": timezone.now(), "decision_comment": comment[:500]})
    if approve:
        log_access(loan.document, user=actor, action=AccessAction.LOAN_APPROVED,
                   request=request)
    name = document_name(loan.document)
    tell(NotificationEvent.APPROVAL_DECIDED, loan.document, [loan.borrower],
         key=f"document-loan:{loan.pk}:decided", actor=actor, message=lambda: (
             _("[Loan %(decision)s] %(document)s") % {"decision": loan.status_label,
                                                      "document": name},
             comment or _("Your loan of %(document)s: %(decision)s.") % {
                 "document": name, "decision": loan.status_label}))
    return loan


@transaction.atomic
def lend(loan: DocumentLoan, *, actor, request=None) -> DocumentLoan:
    """Hand an approved loan out (the document's owner or keepers)."""
    loan = _locked(loan)
    _expect(loan, LoanStatus.APPROVED)
    if actor is not None and not perms.may_hand_over(actor, loan):
        raise PermissionDenied(_("The document's owner or its keepers lend it out."))
    if loan.due_date < timezone.localdate():
        raise ValidationError({"due_date": _("The return date is in the past.")})
    loan = _save(loan, actor=actor, document=loan.document,
                 data={"status": LoanStatus.LENT, "lent_at": timezone.now()})
    log_access(loan.document, user=loan.borrower, action=AccessAction.LENT, request=request)
    return loan


@transaction.atomic
def return_loan(loan: DocumentLoan, *, actor, request=None) -> DocumentLoan:
    """Take a lent (or overdue) document back (its owner or keepers)."""
    loan = _locked(loan)
    _expect(loan, LoanStatus.LENT, LoanStatus.OVERDUE)
    if actor is not None and not perms.may_hand_over(actor, loan):
        raise PermissionDenied(_("The document's owner or its keepers take it back."))
    loan = _save(loan, actor=actor, document=loan.document,
                 data={"status": LoanStatus.RETURNED, "returned_at": timezone.now()})
    log_access(loan.document, user=loan.borrower, action=AccessAction.RETURNED,
               request=request)
    return loan


def mark_overdue(today: dt.date | None = None) -> int:
    """Lent documents past their return date become overdue (the daily job); each
    change is audited. Returns how many."""
    today = today or timezone.localdate()
    count = 0
    for loan in DocumentLoan.objects.filter(status=LoanStatus.LENT, due_date__lt=today
                                            ).select_related("document").order_by("pk"):
        with transaction.atomic():
            _save(loan, actor=None, document=loan.document,
                  data={"status": LoanStatus.OVERDUE})
        count += 1
    return count
