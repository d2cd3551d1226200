"""Controlled documents (受控文档, DOC-1..4): categories, importance, confidentiality, the
document workflow, review tiers, loans and the access log's actions, declared as data."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from itsm.core.choices import ColoredTextChoices, Role
from itsm.core.workflow import STAFF, Transition, Workflow


class DocumentKind(models.TextChoices):
    """The nine categories of DOC-1; each provider's categories (and their codes) are
    data (``DocumentCategory``), these are what they are about."""

    REQUIREMENT = "requirement", _("Requirement document")
    SOLUTION = "solution", _("Solution document")
    IMPLEMENTATION = "implementation", _("Implementation document")
    TEST = "test", _("Test document")
    ACCEPTANCE = "acceptance", _("Acceptance document")
    OPERATIONS = "operations", _("O&M document")
    TRAINING = "training", _("Training document")
    CONTRACT = "contract", _("Contract document")
    REPORT = "report", _("Report document")


#: The default categories' names (seed data in the manuals' words, GLOSSARY; providers
#: rename them as they like).
DEFAULT_NAMES: dict[str, str] = {
    DocumentKind.REQUIREMENT: "需求文档", DocumentKind.SOLUTION: "方案文档",
    DocumentKind.IMPLEMENTATION: "实施文档", DocumentKind.TEST: "测试文档",
    DocumentKind.ACCEPTANCE: "验收文档", DocumentKind.OPERATIONS: "运维文档",
    DocumentKind.TRAINING: "培训文档", DocumentKind.CONTRACT: "合同文档",
    DocumentKind.REPORT: "报告文档",
}
#: The code each kind's default category numbers with (DOC-2: SN2026001 …).
DEFAULT_CODES: dict[str, str] = {
    DocumentKind.REQUIREMENT: "SN", DocumentKind.SOLUTION: "FA",
    DocumentKind.IMPLEMENTATION: "SS", DocumentKind.TEST: "CS",
    DocumentKind.ACCEPTANCE: "YS", DocumentKind.OPERATIONS: "YW",
    DocumentKind.TRAINING: "PX", DocumentKind.CONTRACT: "HT", DocumentKind.REPORT: "BG",
}


class Importance(ColoredTextChoices):
    """How important a document is: decides its review tier and its retention period."""

    ORDINARY = "ordinary", "secondary", _("Ordinary")
    IMPORTANT = "important", "warning", _("Important")
    MAJOR = "major", "danger", _("Major")


#: Years a document is kept after publication (after creation when never published):
#: no interface deletes it before (GEN-7, DOC-4). Not "delete after": disposal after
#: the period is a decision someone takes and records (``disposal.dispose``).
RETENTION_YEARS: dict[str, int] = {Importance.ORDINARY: 3, Importance.IMPORTANT: 10,
                                   Importance.MAJOR: 30}


class Confidentiality(ColoredTextChoices):
    """Who may even see a document's title (DOC-4), lowest first."""

    PUBLIC = "public", "success", _("Public")
    INTERNAL = "internal", "info", _("Internal")
    CONFIDENTIAL = "confidential", "warning", _("Confidential")
    SECRET = "secret", "danger", _("Secret")


#: The levels in order: a clearance of one level covers those before it.
LEVELS: tuple[str, ...] = tuple(Confidentiality.values)


class ClearanceLevel(models.TextChoices):
    """The highest level a clearance grants (staff see internal documents without one)."""

    CONFIDENTIAL = "confidential", _("Confidential")
    SECRET = "secret", _("Secret")


class ReviewTier(models.TextChoices):
    """Who approves a document, by its importance (DOC-3)."""

    TEAM_LEAD = "team_lead", _("Team lead")
    DEPARTMENT_HEAD = "department_head", _("IT or business head")
    MANAGEMENT = "management", _("Management")


#: The tier each importance needs.
TIER_OF: dict[str, str] = {Importance.ORDINARY: ReviewTier.TEAM_LEAD,
                           Importance.IMPORTANT: ReviewTier.DEPARTMENT_HEAD,
                           Importance.MAJOR: ReviewTier.MANAGEMENT}


class ReviewDecision(ColoredTextChoices):
    APPROVED = "approved", "success", _("Approved")
    REJECTED = "rejected", "danger", _("Rejected")


class DocumentStatus(ColoredTextChoices):
    DRAFT = "draft", "secondary", _("Draft")
    IN_REVIEW = "in_review", "warning", _("In review")
    PUBLISHED = "published", "success", _("Published")
    SUPERSEDED = "superseded", "info", _("Superseded")
    ARCHIVED = "archived", "dark", _("Archived")


S = DocumentStatus
#: Roles that keep the documents: archive them, dispose of them after their period.
KEEPER_ROLES = frozenset({Role.ADMINISTRATOR, Role.MANAGEMENT})

DOCUMENT_WORKFLOW = Workflow(
    statuses=S,
    initial=S.DRAFT,
    final=frozenset({S.ARCHIVED}),
    transitions=(
        # A document goes to review with its latest version (``ControlledDocument.clean``
        # refuses one without); the reviewer may be named (secret documents: their
        # reviewer must be, to see it).
        Transition("submit", _("Submit for review"), (S.DRAFT,), S.IN_REVIEW,
                   frozenset({STAFF}), fields=("reviewer",), style="primary"),
        Transition("withdraw", _("Withdraw from review"), (S.IN_REVIEW,), S.DRAFT,
                   frozenset({STAFF}), comment_required=True, style="secondary"),
        # Decided by a reviewer of the document's tier (``services.decide_review``).
        Transition("approve", _("Approve and publish"), (S.IN_REVIEW,), S.PUBLISHED,
                   frozenset(), stamp="published_at", style="success", automatic=True),
        Transition("reject", _("Reject"), (S.IN_REVIEW,), S.DRAFT, frozenset(),
                   comment_required=True, style="danger", automatic=True),
        # A published document being revised: a draft again until its new version is
        # approved (its earlier versions stay readable).
        Transition("revise", _("Revise"), (S.PUBLISHED,), S.DRAFT, frozenset({STAFF}),
                   style="secondary"),
        # When a document that replaces it (``supersedes``) is published.
        Transition("supersede", _("Supersede"), (S.PUBLISHED,), S.SUPERSEDED, frozenset(),
                   automatic=True),
        Transition("archive", _("Archive"), (S.DRAFT, S.PUBLISHED, S.SUPERSEDED),
                   S.ARCHIVED, KEEPER_ROLES, stamp="archived_at", style="dark"),
    ),
)


class LoanStatus(ColoredTextChoices):
    REQUESTED = "requested", "info", _("Requested")
    APPROVED = "approved", "primary", _("Approved")
    REJECTED = "rejected", "secondary", _("Rejected")
    LENT = "lent", "warning", _("Lent")
    RETURNED = "returned", "success", _("Returned")
    OVERDUE = "overdue", "danger", _("Overdue")


#: Loans a borrower holds (the reminder's and the "due back" inbox's).
OUT_ON_LOAN = (LoanStatus.LENT, LoanStatus.OVERDUE)


class AccessAction(ColoredTextChoices):
    """What the access log (查阅记录) records."""

    VIEW = "view", "secondary", _("Viewed")
    PREVIEW = "preview", "info", _("Previewed")
    DOWNLOAD = "download", "primary", _("Downloaded")
    LOAN_REQUESTED = "loan_requested", "info", _("Loan requested")
    LOAN_APPROVED = "loan_approved", "primary", _("Loan approved")
    LENT = "lent", "warning", _("Lent")
    RETURNED = "returned", "success", _("Returned")
    #: A file whose checksum no longer matches: refused, and recorded here and in the
    #: audit log.
    REFUSED = "refused", "danger", _("Refused: file altered")


#: Roles that read any document's access log (and everybody's): besides its owner.
ACCESS_LOG_ROLES = frozenset({Role.MANAGEMENT, Role.AUDITOR, Role.SECURITY_OFFICER,
                              Role.ADMINISTRATOR})
#: Roles that grant and withdraw clearances.
CLEARANCE_ROLES = frozenset({Role.ADMINISTRATOR, Role.SECURITY_OFFICER})
#: Content types shown in the browser (preview); every other file is downloaded.
PREVIEW_TYPES = frozenset({"application/pdf", "image/png", "image/jpeg", "image/gif",
                           "image/webp"})
