"""What controlled documents declare in the core registry: the record type (in the
"knowledge" menu) and its pages, the inbox entries, the keeper's home-page card, the
loan-return reminder, and — on a service request's page — the requirement analysis
(REQ-5) and its documents."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from itsm.core import access
from itsm.core.choices import Role
from itsm.core.registry import (
    ListColumn,
    everyone,
    register_inbox_source,
    register_menu_item,
    register_record_action,
    register_record_panel,
    register_record_type,
    register_widget,
    role_predicate,
)
from itsm.core.reminders import register_reminder
from itsm.servicedesk.models import ServiceRequest

from . import (
    permissions,
    tasks,  # noqa: F401 - registers the daily overdue job
    widgets,
)
from .choices import KEEPER_ROLES, OUT_ON_LOAN
from .models import ControlledDocument, DocumentLoan
from .views import requirement_action, requirement_panel

register_record_type(
    ControlledDocument, group="knowledge", label=_("Controlled documents"), order=30,
    menu_key="documents", columns=(
        ListColumn("document_category", _("category"),
                   lambda d: d.document_category.name if d.document_category_id else None),
        ListColumn("importance", _("importance")),
        ListColumn("confidentiality", _("confidentiality")),
    ))
register_menu_item("knowledge", _("Document loans"), "documents:loan-list", order=32,
                   key="document-loans")
register_menu_item("knowledge", _("Access log"), "documents:access-log", order=34,
                   key="document-access-log")
register_menu_item("knowledge", _("Documents due for disposal"), "documents:disposal",
                   visible=lambda u: permissions.may_dispose(u) or (
                       access.is_provider_staff(u) and access.is_read_only(u)),
                   order=36, key="document-disposal")
register_menu_item("settings", _("Document categories"), "documents:category-list",
                   order=60, key="document-categories")
register_menu_item("settings", _("Document templates"), "documents:template-list",
                   order=61, key="document-templates")
register_menu_item("settings", _("Document clearances"), "documents:clearance-list",
                   visible=permissions.may_read_clearances, order=62,
                   key="document-clearances")


def customer(user) -> bool:
    return everyone(user) and not access.is_provider_staff(user)


register_inbox_source("documents-review", _("Documents waiting for my review"),
                      widgets.reviews_waiting, visible=widgets.may_review_documents,
                      order=40)
register_inbox_source("document-loans-approve", _("Loans to approve"),
                      widgets.loans_to_approve, order=42)
register_inbox_source("document-loans-due", _("Loans due back"), widgets.loans_due_back,
                      visible=everyone, order=44)
register_inbox_source("documents-confirm", _("Requirement documents to confirm"),
                      widgets.requirements_to_confirm, visible=customer, order=24)
register_widget("documents-overview", _("Controlled documents"),
                "documents/widgets/overview.html", widgets.overview,
                visible=role_predicate(*KEEPER_ROLES, Role.QUALITY_MANAGER), order=70)

register_reminder(
    "document-loan-return", _("Document loan return"),
    queryset=lambda: DocumentLoan.objects.filter(status__in=OUT_ON_LOAN).select_related(
        "document__owner", "document__created_by", "borrower"),
    date_field="due_date", days_before=(3, 1),
    recipients=lambda loan: [loan.borrower, loan.document.owner or loan.document.created_by],
    organization_id=lambda loan: loan.document.organization_id,
    url=lambda loan: loan.get_absolute_url())

register_record_action("requirement-analysis", _("Requirement analysis"), requirement_action,
                       models=(ServiceRequest,), order=20)
register_record_panel("requirement-document", requirement_panel, models=(ServiceRequest,))
