"""The documents' inbox entries and home-page card, each in a fixed number of queries and
on what the reader may see (``visible_to``): a secret document never shows up for
someone without the clearance."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from itsm.core import access
from itsm.core.choices import Role
from itsm.core.models import Department
from itsm.core.registry import InboxItem
from itsm.core.workspace import CARD_ROWS, count_and_first

from .choices import OUT_ON_LOAN, DocumentStatus, Importance, LoanStatus
from .disposal import due_for_disposal
from .models import ControlledDocument, DocumentLoan


def may_review_documents(user) -> bool:
    """Team leads, management and department heads (the inbox entry's readers)."""
    return access.is_staff_writer(user) and (
        access.has_role(user, Role.TEAM_LEAD, Role.MANAGEMENT)
        or Department.objects.filter(head_id=user.pk).exists())


def _tier_condition(user) -> Q:
    """The documents whose tier ``user`` fits (``permissions.fits_tier`` in SQL)."""
    if access.has_role(user, Role.MANAGEMENT):
        return Q()
    headed = Department.objects.filter(head_id=user.pk).values("pk")
    head = Q(department_id__in=headed) | Q(department__isnull=True, organization_id__in=(
        Department.objects.filter(head_id=user.pk).values("organization_id")))
    condition = Q(importance__in=(Importance.ORDINARY, Importance.IMPORTANT)) & head
    if access.has_role(user, Role.TEAM_LEAD):
        condition |= Q(importance=Importance.ORDINARY)
    return condition


def reviews_waiting(user, limit: int) -> tuple[int, list[InboxItem]]:
    """Documents in review that ``user`` may decide: assigned to them, or to nobody and
    of a tier they fit; never their own. One query."""
    assigned = Q(reviewer_id=user.pk) | Q(reviewer__isnull=True)
    if access.has_role(user, Role.MANAGEMENT):
        assigned = Q()
    queryset = (ControlledDocument.objects.visible_to(user)
                .filter(_tier_condition(user), assigned, status=DocumentStatus.IN_REVIEW)
                .exclude(Q(created_by_id=user.pk) | Q(owner_id=user.pk))
                .order_by("updated_at", "pk"))
    count, rows = count_and_first(queryset, limit)
    return count, [InboxItem(kind=_("Document to review"), title=d.title,
                             url=d.get_absolute_url(), number=d.number, since=d.updated_at)
                   for d in rows]


def _loan_item(kind: str, loan: DocumentLoan, **kwargs: Any) -> InboxItem:
    return InboxItem(kind=kind, title=loan.document.title, url=loan.get_absolute_url(),
                     number=loan.document.number, **kwargs)


def loans_to_approve(user, limit: int) -> tuple[int, list[InboxItem]]:
    """Requested loans of documents ``user`` owns (or wrote, without an owner) — all of
    them for management — not their own: one query."""
    queryset = DocumentLoan.objects.visible_to(user).filter(
        status=LoanStatus.REQUESTED).exclude(borrower_id=user.pk)
    if not access.has_role(user, Role.MANAGEMENT):
        queryset = queryset.filter(Q(document__owner_id=user.pk) | Q(
            document__owner__isnull=True, document__created_by_id=user.pk))
    count, rows = count_and_first(queryset.select_related("document")
                                  .order_by("requested_at", "pk"), limit)
    return count, [_loan_item(_("Loan to approve"), loan, since=loan.requested_at)
                   for loan in rows]


def loans_due_back(user, limit: int) -> tuple[int, list[InboxItem]]:
    """Documents out on loan that ``user`` borrowed or keeps, the soonest due first."""
    queryset = DocumentLoan.objects.visible_to(user).filter(status__in=OUT_ON_LOAN).filter(
        Q(borrower_id=user.pk) | Q(document__owner_id=user.pk)
        | Q(document__created_by_id=user.pk))
    count, rows = count_and_first(queryset.select_related("document")
                                  .order_by("due_date", "pk"), limit)
    return count, [_loan_item(_("Loan due back"), loan, due=_end_of(loan.due_date))
                   for loan in rows]


def _end_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(23, 59)))


def requirements_to_confirm(user, limit: int) -> tuple[int, list[InboxItem]]:
    """A customer's requirement documents waiting for their confirmation: one query."""
    queryset = ControlledDocument.objects.visible_to(user).filter(
        source_request__isnull=False, confirmed_at__isnull=True,
        current_version__isnull=False).exclude(
        status__in=(DocumentStatus.ARCHIVED, DocumentStatus.SUPERSEDED))
    count, rows = count_and_first(queryset.order_by("created_at", "pk"), limit)
    return count, [InboxItem(kind=_("Requirements to confirm"), title=d.title,
                             url=d.get_absolute_url(), number=d.number, since=d.created_at)
                   for d in rows]


def overview(user) -> dict[str, Any]:
    """The document keeper's card: documents by status, loans out and overdue, documents
    due for disposal, the latest changes. Four queries."""
    visible = ControlledDocument.objects.visible_to(user)
    counts = visible.aggregate(
        draft=Count("pk", filter=Q(status=DocumentStatus.DRAFT)),
        in_review=Count("pk", filter=Q(status=DocumentStatus.IN_REVIEW)),
        published=Count("pk", filter=Q(status=DocumentStatus.PUBLISHED)),
        checked_out=Count("pk", filter=Q(checked_out_by__isnull=False)))
    loans = DocumentLoan.objects.visible_to(user).aggregate(
        out=Count("pk", filter=Q(status__in=OUT_ON_LOAN)),
        overdue=Count("pk", filter=Q(status=LoanStatus.OVERDUE)
                      | Q(status=LoanStatus.LENT, due_date__lt=timezone.localdate())),
        requested=Count("pk", filter=Q(status=LoanStatus.REQUESTED)))
    due = due_for_disposal(visible).count()
    latest = list(visible.order_by(F("updated_at").desc(), "-pk")[:CARD_ROWS])
    return {"counts": counts, "loans": loans, "due_for_disposal": due, "records": latest}
