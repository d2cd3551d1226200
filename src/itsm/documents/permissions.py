"""Who may do what with controlled documents, beyond seeing them (which is
``DocumentQuerySet.visible_to``): edit and version them, review them by tier, read the
access logs, grant clearances, keep, lend and dispose of them. ``None`` as the user is
the system itself; the services skip these checks for it."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from itsm.core import access
from itsm.core.choices import Role
from itsm.core.models import Department

from .choices import (
    ACCESS_LOG_ROLES,
    CLEARANCE_ROLES,
    KEEPER_ROLES,
    LEVELS,
    Confidentiality,
    DocumentStatus,
    ReviewTier,
)
from .models import ControlledDocument, DocumentClearance, DocumentLoan

User = get_user_model()


def max_level(user) -> str:
    """The highest confidentiality ``user`` sees by role and clearance (the rule of
    ``DocumentQuerySet.visible_to``, for what is not a document: a disposal record)."""
    if not access.is_provider_staff(user):
        return Confidentiality.PUBLIC
    level = (Confidentiality.CONFIDENTIAL if access.has_role(user, Role.MANAGEMENT)
             else Confidentiality.INTERNAL)
    cleared = DocumentClearance.objects.filter(user_id=user.pk).values_list(
        "level", flat=True).first()
    if cleared and LEVELS.index(cleared) > LEVELS.index(level):
        level = cleared
    return level


def covers(user, confidentiality: str) -> bool:
    return LEVELS.index(confidentiality) <= LEVELS.index(max_level(user))


def staff_of_document(user, document: ControlledDocument) -> bool:
    return access.is_staff_of(user, document.provider_id)


def may_create(user) -> bool:
    """Provider staff who may write create documents (customers never do)."""
    return access.is_staff_writer(user)


def is_keeper(user) -> bool:
    """Administrators and management keep the documents: categories, templates,
    archiving, disposal."""
    return access.is_staff_writer(user) and access.has_role(user, *KEEPER_ROLES)


def is_involved(user, document: ControlledDocument) -> bool:
    return user.pk in (document.owner_id, document.created_by_id, document.assignee_id)


def may_edit(user, document: ControlledDocument) -> bool:
    """Its owner, author and assignee, and administrators, change a document and add
    its versions (no unauthorized modification, DOC-4)."""
    return (access.is_staff_writer(user) and staff_of_document(user, document)
            and (is_involved(user, document) or access.has_role(user, Role.ADMINISTRATOR)))


def may_add_version(user, document: ControlledDocument) -> bool:
    return (may_edit(user, document) and document.status == DocumentStatus.DRAFT
            and document.checked_out_by_id in (None, user.pk))


def may_read_access_log(user, document: ControlledDocument) -> bool:
    """The owner and author of a document, and management, auditors, security officers
    and administrators."""
    return staff_of_document(user, document) and (
        user.pk in (document.owner_id, document.created_by_id)
        or access.has_role(user, *ACCESS_LOG_ROLES))


def may_read_access_logs(user) -> bool:
    """Whether the reader sees other people's access logs (the per-person page)."""
    return access.is_provider_staff(user) and access.has_role(user, *ACCESS_LOG_ROLES)


def may_manage_clearances(user) -> bool:
    return access.is_staff_writer(user) and access.has_role(user, *CLEARANCE_ROLES)


def may_read_clearances(user) -> bool:
    return access.is_provider_staff(user) and access.has_role(
        user, *CLEARANCE_ROLES, Role.AUDITOR)


def may_force_release(user, document: ControlledDocument) -> bool:
    return (access.is_staff_writer(user) and staff_of_document(user, document)
            and access.has_role(user, Role.ADMINISTRATOR))


# --- Review tiers (DOC-3) -----------------------------------------------------------------


def heads_of(document: ControlledDocument) -> QuerySet:
    """The IT or business heads who approve an important document: its department's
    head, or (no department) the head of any department of the provider."""
    if document.department_id:
        return User.objects.filter(pk=document.department.head_id)
    return User.objects.filter(pk__in=Department.objects.filter(
        organization_id=document.provider_id, head__isnull=False).values("head_id"))


def fits_tier(user, document: ControlledDocument) -> bool:
    """Whether ``user`` holds the authority the document's importance needs: a team lead
    (ordinary), the IT or business head (important), management (major); a higher
    authority may approve what a lower one may."""
    if access.has_role(user, Role.MANAGEMENT):
        return True
    tier = document.review_tier
    if tier == ReviewTier.MANAGEMENT:
        return False
    is_head = heads_of(document).filter(pk=user.pk).exists()
    if tier == ReviewTier.DEPARTMENT_HEAD:
        return is_head
    return is_head or access.has_role(user, Role.TEAM_LEAD)


def review_refusal(user, document: ControlledDocument) -> str | None:
    """Why ``user`` may not decide the review of ``document`` now (None: they may)."""
    if not (access.is_staff_writer(user) and staff_of_document(user, document)):
        return _("Only the service provider's staff review its documents.")
    if document.status != DocumentStatus.IN_REVIEW:
        return _("%(number)s is not in review.") % {"number": document.number}
    if user.pk in (document.created_by_id, document.owner_id):
        return _("The author and the owner do not approve their own document.")
    if not fits_tier(user, document):
        return _("This %(importance)s document needs the approval of: %(tier)s.") % {
            "importance": document.get_importance_display(),
            "tier": ReviewTier(document.review_tier).label}
    if (document.reviewer_id and document.reviewer_id != user.pk
            and not access.has_role(user, Role.MANAGEMENT)):
        return _("The review is assigned to someone else.")
    return None


def may_review(user, document: ControlledDocument) -> bool:
    return review_refusal(user, document) is None


def reviewers_of(document: ControlledDocument) -> list:
    """Whom to ask for the review: the assigned reviewer, else every person of the
    provider who fits the tier and may see the document (not its author or owner)."""
    if document.reviewer_id:
        return [document.reviewer]
    tier = document.review_tier
    wanted = Q(groups__name=Role.MANAGEMENT)
    if tier != ReviewTier.MANAGEMENT:
        wanted |= Q(pk__in=heads_of(document).values("pk"))
    if tier == ReviewTier.TEAM_LEAD:
        wanted |= Q(groups__name=Role.TEAM_LEAD)
    people = (User.objects.filter(wanted, is_active=True,
                                  profile__organization_id=document.provider_id)
              .exclude(pk__in=[p for p in (document.created_by_id, document.owner_id) if p])
              .select_related("profile").distinct().order_by("pk"))
    return [p for p in people
            if ControlledDocument.objects.visible_to(p).filter(pk=document.pk).exists()]


# --- Loans, confirmation, disposal -------------------------------------------------------


def may_decide_loan(user, loan: DocumentLoan) -> bool:
    """The document's owner (its author when it has none) or management; never the
    borrower."""
    document = loan.document
    keeper = document.owner_id or document.created_by_id
    return (access.is_staff_writer(user) and staff_of_document(user, document)
            and user.pk != loan.borrower_id
            and (user.pk == keeper or access.has_role(user, Role.MANAGEMENT)))


def may_hand_over(user, loan: DocumentLoan) -> bool:
    """Who lends the document out and takes it back: its owner or author, its keepers."""
    document = loan.document
    return (access.is_staff_writer(user) and staff_of_document(user, document)
            and (user.pk in (document.owner_id, document.created_by_id)
                 or access.has_role(user, *KEEPER_ROLES)))


def may_confirm(user, document: ControlledDocument) -> bool:
    """The requester of a requirement document's request, or a customer administrator
    of its organization, confirms it (REQ-5)."""
    request = document.source_request
    if request is None or document.current_version_id is None:
        return False
    if user.pk == request.requester_id:
        return True
    org = access.organization_of(user)
    return (access.has_role(user, Role.CUSTOMER_ADMIN) and org is not None
            and org.pk == request.organization_id)


def may_dispose(user) -> bool:
    return is_keeper(user)
