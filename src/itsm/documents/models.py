"""Controlled documents (受控文档, DOC-1..4, REQ-5): categories with codes and templates,
the document record with its versions, reviews, clearances, the access log, loans and
the disposal register."""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from collections.abc import Iterator
from contextvars import ContextVar
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Exists, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from sequences import get_next_value

from itsm.core import access
from itsm.core.choices import Role
from itsm.core.limits import (
    COMMENT_MAX_LENGTH,
    DESCRIPTION_MAX_LENGTH,
    LONG_TEXT_MAX_LENGTH,
    TITLE_MAX_LENGTH,
)
from itsm.core.models import (
    Department,
    Organization,
    ProviderStaffQuerySet,
    Record,
    RecordQuerySet,
    WrittenOnce,
)

from .choices import (
    ACCESS_LOG_ROLES,
    DOCUMENT_WORKFLOW,
    PREVIEW_TYPES,
    RETENTION_YEARS,
    TIER_OF,
    AccessAction,
    ClearanceLevel,
    Confidentiality,
    DocumentKind,
    DocumentStatus,
    Importance,
    LoanStatus,
    ReviewDecision,
    ReviewTier,
)

#: Set while ``disposal.dispose`` removes a document: the only time a document, its
#: versions and its access log may be deleted (``receivers``).
_disposing: ContextVar[bool] = ContextVar("itsm_documents_disposing", default=False)


@contextlib.contextmanager
def disposing() -> Iterator[None]:
    token = _disposing.set(True)
    try:
        yield
    finally:
        _disposing.reset(token)


def is_disposing() -> bool:
    return _disposing.get()


def stored_name(prefix: str, filename: str) -> str:
    """Files are stored under generated names; the original name is kept in the row."""
    suffix = PurePath(filename).suffix.lower()[:16]
    if not suffix[1:].isalnum():
        suffix = ""
    return f"{prefix}/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}"


def version_path(instance: DocumentVersion, filename: str) -> str:
    return stored_name("documents", filename)


def template_path(instance: DocumentTemplate, filename: str) -> str:
    return stored_name("document-templates", filename)


# --- Categories and templates -------------------------------------------------------------


class DocumentCategory(models.Model):
    """A category of a provider's documents (DOC-1) with the code its numbers start
    with (DOC-2); a sub-category numbers with its parent's code unless it has its own."""

    provider = models.ForeignKey(Organization, verbose_name=_("provider"),
                                 on_delete=models.PROTECT, related_name="+")
    parent = models.ForeignKey("self", verbose_name=_("parent category"), null=True,
                               blank=True, on_delete=models.PROTECT, related_name="children")
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=DocumentKind.choices,
                            help_text=_("A sub-category is of its parent's kind."))
    code = models.CharField(
        _("code"), max_length=6, blank=True,
        validators=[RegexValidator(r"^[A-Z]{1,6}$", _("One to six capital letters."))],
        help_text=_("Numbers start with it: SN2026001. A sub-category without one uses "
                    "its parent's."))
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    objects = ProviderStaffQuerySet.as_manager()

    class Meta:
        verbose_name = _("document category")
        verbose_name_plural = _("document categories")
        ordering = ["order", "name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "code"], condition=~Q(code=""),
                                    name="unique_document_category_code"),
            models.UniqueConstraint(fields=["provider", "parent", "name"],
                                    name="unique_document_category_name"),
        ]

    def __str__(self) -> str:
        return f"{self.parent.name} / {self.name}" if self.parent_id else self.name

    @property
    def number_code(self) -> str:
        """The code the category's documents are numbered with."""
        return self.code or (self.parent.code if self.parent_id else "")

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.parent_id:
            parent = self.parent
            if parent.parent_id or parent.pk == self.pk or (
                    self.pk and DocumentCategory.objects.filter(parent_id=self.pk).exists()):
                errors["parent"] = _("Document categories have two levels only.")
            elif parent.provider_id != self.provider_id:
                errors["parent"] = _("Choose a category of the same provider.")
            else:
                self.kind = parent.kind
        elif not self.code:
            errors["code"] = _("A category needs a code; only sub-categories may use their "
                               "parent's.")
        if errors:
            raise ValidationError(errors)


class TemplateQuerySet(models.QuerySet):
    def visible_to(self, user) -> TemplateQuerySet:
        return self.filter(category__in=DocumentCategory.objects.visible_to(user))


class DocumentTemplate(models.Model):
    """A template of a category (DOC-3): a body with its headings that a new document's
    first version starts from, and/or a file to fill in."""

    category = models.ForeignKey(DocumentCategory, verbose_name=_("category"),
                                 on_delete=models.PROTECT, related_name="templates")
    name = models.CharField(_("name"), max_length=200)
    body = models.TextField(_("body"), blank=True, max_length=LONG_TEXT_MAX_LENGTH,
                            help_text=_("The headings and hints a new document starts from."))
    file = models.FileField(_("file"), upload_to=template_path, max_length=255, blank=True)
    original_name = models.CharField(_("file name"), max_length=255, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    objects = TemplateQuerySet.as_manager()

    class Meta:
        verbose_name = _("document template")
        verbose_name_plural = _("document templates")
        ordering = ["category__order", "name", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def provider_id(self) -> int | None:
        return self.category.provider_id

    def clean(self) -> None:
        if not self.body.strip() and not self.file:
            raise ValidationError({"body": _("Give the template a body or a file.")})


# --- The document ---------------------------------------------------------------------------


def _covering(level: str) -> Q:
    """Documents of confidentiality ``level`` or below."""
    order = list(Confidentiality.values)
    return Q(confidentiality__in=order[:order.index(level) + 1])


class DocumentQuerySet(RecordQuerySet):
    """What a person may see of the controlled documents (DOC-4). A document outside it
    is a 404 everywhere: pages, API, lists, search, the inbox, widgets, the access log.

    - Provider staff, in their scope: public and internal documents; confidential ones
      with management's role or a clearance (``DocumentClearance``); secret ones with a
      secret clearance only. Whoever owns, wrote, is assigned or reviews a document sees
      it whatever its level.
    - Customers, in their organization: its public documents once published, and the
      requirement documents of their own requests (all of their organization's for a
      customer administrator) to confirm them, unless secret.
    """

    def visible_to(self, user) -> DocumentQuerySet:
        scope = access.scope_organization_ids(user)
        if not scope:
            return self.none()
        qs = self.filter(organization_id__in=scope)
        if access.is_provider_staff(user):
            return qs.filter(self._staff_levels(user) | self._involved(user))
        public = Q(confidentiality=Confidentiality.PUBLIC,
                   status__in=(DocumentStatus.PUBLISHED, DocumentStatus.SUPERSEDED))
        own = Q(source_request__requester_id=user.pk)
        if access.has_role(user, Role.CUSTOMER_ADMIN):
            own = Q(source_request__isnull=False)
        return qs.filter(public | (own & ~Q(confidentiality=Confidentiality.SECRET)))

    @staticmethod
    def _staff_levels(user) -> Q:
        cleared = DocumentClearance.objects.filter(user_id=user.pk)
        levels = _covering(Confidentiality.INTERNAL)
        if access.has_role(user, Role.MANAGEMENT):
            levels = _covering(Confidentiality.CONFIDENTIAL)
        else:
            levels |= Q(confidentiality=Confidentiality.CONFIDENTIAL) & Q(Exists(cleared))
        secret = cleared.filter(level=ClearanceLevel.SECRET)
        return levels | (Q(confidentiality=Confidentiality.SECRET) & Q(Exists(secret)))

    @staticmethod
    def _involved(user) -> Q:
        return (Q(owner_id=user.pk) | Q(created_by_id=user.pk) | Q(assignee_id=user.pk)
                | Q(reviewer_id=user.pk))


class ControlledDocument(Record):
    """A controlled document (受控文档): numbered per category code and year
    (``SN2026001``), reviewed by the tier its importance needs, kept for the retention
    period of its importance, seen according to its confidentiality.

    Its content lives in its versions (``DocumentVersion``, immutable); the latest is
    ``current_version``. Check-out locks it for one person. A requirement document
    (REQ-5) comes from a service request and is confirmed by its requester.
    """

    number_prefix = "DOC"
    workflow = DOCUMENT_WORKFLOW
    url_prefix = "documents:document"
    customers_may_create = False
    #: Customers see a few documents (``DocumentQuerySet``), never through the generic
    #: record rules: no comments, no transitions, no lists of their own.
    customers_may_view = False
    staff_fields = (*Record.staff_fields, "importance", "confidentiality", "reviewer")
    requester_editable_fields = ()

    document_category = models.ForeignKey(
        DocumentCategory, verbose_name=_("category"), on_delete=models.PROTECT, null=True,
        blank=True, related_name="documents")
    importance = models.CharField(_("importance"), max_length=16, choices=Importance.choices,
                                  default=Importance.ORDINARY)
    confidentiality = models.CharField(_("confidentiality"), max_length=16,
                                       choices=Confidentiality.choices,
                                       default=Confidentiality.INTERNAL)
    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.PROTECT, null=True,
        blank=True, related_name="+",
        help_text=_("Its head approves the department's important documents."))
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("reviewer"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
        help_text=_("Who is asked to review it (else anyone of its review tier)."))
    effective_date = models.DateField(_("effective date"), null=True, blank=True)
    source_request = models.ForeignKey(
        "servicedesk.ServiceRequest", verbose_name=_("service request"),
        on_delete=models.PROTECT, null=True, blank=True, related_name="documents",
        help_text=_("The request a requirement document analyses."))
    supersedes = models.ForeignKey(
        "self", verbose_name=_("supersedes"), on_delete=models.SET_NULL, null=True,
        blank=True, related_name="superseded_by",
        help_text=_("A published document this one replaces once published."))
    current_version = models.ForeignKey(
        "DocumentVersion", verbose_name=_("current version"), on_delete=models.SET_NULL,
        null=True, blank=True, editable=False, related_name="+")
    checked_out_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("checked out by"), on_delete=models.PROTECT,
        null=True, blank=True, editable=False, related_name="+")
    checked_out_at = models.DateTimeField(_("checked out"), null=True, blank=True,
                                          editable=False)
    published_at = models.DateTimeField(_("published"), null=True, blank=True,
                                        editable=False)
    archived_at = models.DateTimeField(_("archived"), null=True, blank=True, editable=False)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("confirmed by"), on_delete=models.PROTECT,
        null=True, blank=True, editable=False, related_name="+")
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True, editable=False)

    objects = DocumentQuerySet.as_manager()

    class Meta(Record.Meta):
        verbose_name = _("controlled document")
        verbose_name_plural = _("controlled documents")
        indexes = [
            models.Index(fields=["organization", "status", "-created_at"],
                         name="doc_org_status"),
            models.Index(fields=["confidentiality", "-created_at"], name="doc_level"),
            models.Index(fields=["status", "importance"], name="doc_status_importance"),
        ]

    def __str__(self) -> str:
        # The audit log, notifications and reminders name a confidential or secret
        # document by its number alone: their readers may not be cleared for its title.
        if self.is_restricted:
            return self.number
        return super().__str__()

    def make_number(self) -> str:
        """``<code><YYYY><NNN>`` (``SN2026001``; four digits and more past 999), gap-free
        per code and year: the counter row is locked until the creation commits. A
        document without a category is numbered as a record (``DOC-2026-000001``)."""
        category = self.document_category
        if category is None or not category.number_code:
            return super().make_number()
        code, year = category.number_code, timezone.localdate().year
        return f"{code}{year}{get_next_value(f'DOC-{code}-{year}'):03d}"

    @property
    def is_restricted(self) -> bool:
        """Confidential or secret: not every member of the staff may see it."""
        return self.confidentiality in (Confidentiality.CONFIDENTIAL, Confidentiality.SECRET)

    @property
    def kind(self) -> str | None:
        return self.document_category.kind if self.document_category_id else None

    @property
    def is_requirement(self) -> bool:
        return self.kind == DocumentKind.REQUIREMENT

    @property
    def retention_years(self) -> int:  # type: ignore[override]
        """The years of its importance (ordinary 3, important 10, major 30). The type
        as such (an unsaved instance: what ``core.retention`` asks to find the record
        types its nightly purge deletes) has none: a document is never purged, only
        disposed of by a decision (``disposal``)."""
        if self._state.adding and self.pk is None:
            return 0
        return RETENTION_YEARS.get(self.importance, RETENTION_YEARS[Importance.ORDINARY])

    @property
    def retention_start(self) -> dt.date:
        """Publication (the latest), or creation for a document never published."""
        return timezone.localtime(self.published_at or self.created_at).date()

    @property
    def retained_until(self) -> dt.date:
        """The first day the document may be disposed of (core.retention reads it)."""
        start = self.retention_start
        try:
            return start.replace(year=start.year + self.retention_years)
        except ValueError:  # 29 February
            return start.replace(year=start.year + self.retention_years, day=28)

    @property
    def review_tier(self) -> str:
        return TIER_OF[self.importance]

    @property
    def review_tier_label(self) -> str:
        return str(ReviewTier(self.review_tier).label)

    @property
    def importance_color(self) -> str:
        return Importance.color_of(self.importance)

    @property
    def confidentiality_color(self) -> str:
        return Confidentiality.color_of(self.confidentiality)

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None

    def clean(self) -> None:
        super().clean()
        errors: dict[str, str] = {}
        if self.status == DocumentStatus.IN_REVIEW:
            if self.current_version_id is None:
                errors["current_version"] = _("Add a version (a file or a text) before "
                                              "submitting the document for review.")
            if self.checked_out_by_id is not None:
                errors["checked_out_by"] = _("Check the document in before submitting it.")
        if self.reviewer_id and self.reviewer_id in (self.created_by_id, self.owner_id):
            errors["reviewer"] = _("The author and the owner do not review their own "
                                   "document.")
        errors.update(self._provider_errors())
        if (self.source_request_id and self.organization_id
                and self.source_request.organization_id != self.organization_id):
            errors["source_request"] = _("The request must be of the document's "
                                         "organization.")
        if errors:
            raise ValidationError(errors)


    def _provider_errors(self) -> dict[str, str]:
        """Its category, department and the document it supersedes are its provider's
        (not checked before it has an organization: the service gives it one)."""
        if not self.organization_id:
            return {}
        provider, errors = self.provider_id, {}
        if self.department_id and self.department.organization_id != provider:
            errors["department"] = _("Choose a department of the service provider.")
        if self.document_category_id and self.document_category.provider_id != provider:
            errors["document_category"] = _("Choose a category of the service provider.")
        if self.supersedes_id and (self.supersedes_id == self.pk
                                   or self.supersedes.provider_id != provider):
            errors["supersedes"] = _("Choose another document of the same provider.")
        if self.reviewer_id and not access.is_staff_of(self.reviewer, provider):
            errors["reviewer"] = _("Choose a member of the service provider's staff.")
        return errors


class VersionQuerySet(models.QuerySet):
    def visible_to(self, user) -> VersionQuerySet:
        return self.filter(document_id__in=ControlledDocument.objects.visible_to(user)
                           .order_by().values("pk"))


class DocumentVersion(WrittenOnce):
    """One version of a document: a file (stored under a generated name, with its
    SHA-256, re-checked on every download) or a text. Immutable once written.

    Numbered ``major.minor``: the first is 1.0; each further version is the next minor
    (1.1) unless it is a major revision (2.0).
    """

    document = models.ForeignKey(ControlledDocument, verbose_name=_("document"),
                                 on_delete=models.CASCADE, related_name="versions")
    major = models.PositiveIntegerField(_("major version"))
    minor = models.PositiveIntegerField(_("minor version"))
    file = models.FileField(_("file"), upload_to=version_path, max_length=255, blank=True)
    original_name = models.CharField(_("file name"), max_length=255, blank=True)
    size = models.PositiveBigIntegerField(_("size"), default=0)
    mime_type = models.CharField(_("content type"), max_length=127, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    text = models.TextField(_("text"), blank=True, max_length=LONG_TEXT_MAX_LENGTH)
    change_summary = models.CharField(_("change summary"), max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"),
                                   on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects = VersionQuerySet.as_manager()

    written_once_message = "Document versions are immutable."

    class Meta:
        verbose_name = _("document version")
        verbose_name_plural = _("document versions")
        ordering = ["-major", "-minor", "-id"]
        constraints = [models.UniqueConstraint(fields=["document", "major", "minor"],
                                               name="unique_document_version")]

    def __str__(self) -> str:
        return f"{self.document.number} v{self.label}"


    def get_absolute_url(self) -> str:
        return reverse("documents:version-download", args=[self.document_id, self.pk])

    @property
    def label(self) -> str:
        return f"{self.major}.{self.minor}"

    @property
    def organization_id(self) -> int:
        return self.document.organization_id

    @property
    def has_file(self) -> bool:
        return bool(self.file)

    @property
    def previewable(self) -> bool:
        return self.has_file and self.mime_type in PREVIEW_TYPES

    @property
    def is_image(self) -> bool:
        return self.previewable and self.mime_type.startswith("image/")



class DocumentReview(models.Model):
    """One reviewer's decision on one version (DOC-3): kept, whatever came after."""

    document = models.ForeignKey(ControlledDocument, verbose_name=_("document"),
                                 on_delete=models.CASCADE, related_name="reviews")
    version = models.ForeignKey(DocumentVersion, verbose_name=_("version"),
                                on_delete=models.CASCADE, related_name="reviews")
    tier = models.CharField(_("review tier"), max_length=16, choices=ReviewTier.choices)
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("reviewer"),
                                 on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(_("decision"), max_length=16, choices=ReviewDecision.choices)
    comment = models.TextField(_("comment"), blank=True, max_length=COMMENT_MAX_LENGTH)
    decided_at = models.DateTimeField(_("decided"), default=timezone.now)

    class QS(models.QuerySet):
        def visible_to(self, user) -> models.QuerySet:
            return self.filter(document_id__in=ControlledDocument.objects.visible_to(user)
                               .order_by().values("pk"))

    objects = QS.as_manager()

    class Meta:
        verbose_name = _("document review")
        verbose_name_plural = _("document reviews")
        ordering = ["-decided_at", "-id"]

    def __str__(self) -> str:
        return f"{self.document.number} {self.get_decision_display()}"

    @property
    def organization_id(self) -> int:
        return self.document.organization_id


# --- Clearances -----------------------------------------------------------------------------


class ClearanceQuerySet(models.QuerySet):
    def visible_to(self, user) -> ClearanceQuerySet:
        """Those who grant clearances and the auditor see their provider's; everybody
        else of the staff their own."""
        if not access.is_provider_staff(user):
            return self.none()
        mine = self.filter(provider_id=access.provider_id_of(user))
        if access.has_role(user, Role.ADMINISTRATOR, Role.SECURITY_OFFICER, Role.AUDITOR):
            return mine
        return mine.filter(user_id=user.pk)


class DocumentClearance(models.Model):
    """A person's clearance for confidential or secret documents (DOC-4), granted by an
    administrator or a security officer for a reason."""

    provider = models.ForeignKey(Organization, verbose_name=_("provider"),
                                 on_delete=models.PROTECT, related_name="+")
    user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name=_("person"),
                                on_delete=models.CASCADE, related_name="document_clearance")
    level = models.CharField(_("highest level"), max_length=16, choices=ClearanceLevel.choices)
    reason = models.CharField(_("reason"), max_length=500)
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("granted by"),
                                   on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    granted_at = models.DateTimeField(_("granted"), default=timezone.now)

    objects = ClearanceQuerySet.as_manager()

    class Meta:
        verbose_name = _("document clearance")
        verbose_name_plural = _("document clearances")
        ordering = ["-granted_at", "-id"]

    def __str__(self) -> str:
        return f"{self.user} {self.get_level_display()}"


# --- The access log (查阅记录) --------------------------------------------------------------


class AccessQuerySet(models.QuerySet):
    def visible_to(self, user) -> AccessQuerySet:
        """Entries of documents the reader sees: all of them for the roles that read
        access logs, those of their own documents for an owner or author, and their own
        entries for everybody."""
        documents = ControlledDocument.objects.visible_to(user)
        qs = self.filter(document_id__in=documents.order_by().values("pk"))
        if access.is_provider_staff(user) and access.has_role(user, *ACCESS_LOG_ROLES):
            return qs
        owned = documents.filter(Q(owner_id=user.pk) | Q(created_by_id=user.pk))
        return qs.filter(Q(user_id=user.pk) | Q(document_id__in=owned.order_by().values("pk")))


class DocumentAccess(WrittenOnce):
    """One view, preview, download or loan step of a document: who, when, from where.
    Append-only."""

    document = models.ForeignKey(ControlledDocument, verbose_name=_("document"),
                                 on_delete=models.CASCADE, related_name="accesses")
    version = models.ForeignKey(DocumentVersion, verbose_name=_("version"),
                                on_delete=models.CASCADE, null=True, blank=True,
                                related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("person"),
                             on_delete=models.PROTECT, null=True, related_name="+")
    action = models.CharField(_("action"), max_length=16, choices=AccessAction.choices)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=255, blank=True)
    occurred_at = models.DateTimeField(_("time"), default=timezone.now)

    objects = AccessQuerySet.as_manager()

    written_once_message = "The access log is append-only."

    class Meta:
        verbose_name = _("document access")
        verbose_name_plural = _("access log")
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["document", "-occurred_at"], name="doc_access_doc"),
                   models.Index(fields=["user", "-occurred_at"], name="doc_access_user")]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.action}"



# --- Loans (文档借阅) -----------------------------------------------------------------------


class LoanQuerySet(models.QuerySet):
    def visible_to(self, user) -> LoanQuerySet:
        """Loans of documents the reader sees: a borrower's own; all of them for the
        document's owner or author and for the keepers and readers of access logs."""
        documents = ControlledDocument.objects.visible_to(user)
        qs = self.filter(document_id__in=documents.order_by().values("pk"))
        if access.is_provider_staff(user) and access.has_role(user, *ACCESS_LOG_ROLES):
            return qs
        owned = documents.filter(Q(owner_id=user.pk) | Q(created_by_id=user.pk))
        return qs.filter(Q(borrower_id=user.pk)
                         | Q(document_id__in=owned.order_by().values("pk")))


class DocumentLoan(models.Model):
    """A loan (借阅) of a document: requested, approved by its owner or management, lent
    until a return date (reminded), returned."""

    document = models.ForeignKey(ControlledDocument, verbose_name=_("document"),
                                 on_delete=models.CASCADE, related_name="loans")
    borrower = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("borrower"),
                                 on_delete=models.PROTECT, related_name="+")
    purpose = models.CharField(_("purpose"), max_length=500)
    due_date = models.DateField(_("return by"))
    status = models.CharField(_("status"), max_length=16, choices=LoanStatus.choices,
                              default=LoanStatus.REQUESTED)
    requested_at = models.DateTimeField(_("requested"), default=timezone.now)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("decided by"),
                                    on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_comment = models.CharField(_("comment"), max_length=500, blank=True)
    lent_at = models.DateTimeField(_("lent"), null=True, blank=True)
    returned_at = models.DateTimeField(_("returned"), null=True, blank=True)

    objects = LoanQuerySet.as_manager()

    class Meta:
        verbose_name = _("document loan")
        verbose_name_plural = _("document loans")
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["status", "due_date"], name="doc_loan_status_due")]

    def __str__(self) -> str:
        return f"{self.document} → {self.borrower}"

    def get_absolute_url(self) -> str:
        return reverse("documents:loan-detail", args=[self.pk])

    @property
    def organization_id(self) -> int:
        return self.document.organization_id

    @property
    def status_label(self) -> str:
        return LoanStatus(self.status).label if self.status in LoanStatus.values else ""

    @property
    def status_color(self) -> str:
        return LoanStatus.color_of(self.status)


# --- Disposal -------------------------------------------------------------------------------


class DisposalQuerySet(ProviderStaffQuerySet):
    def visible_to(self, user) -> DisposalQuerySet:
        if not access.has_role(user, Role.ADMINISTRATOR, Role.MANAGEMENT, Role.AUDITOR):
            return self.none()
        return super().visible_to(user)


class DisposalRecord(WrittenOnce):
    """What was disposed of after its retention period, by whom and why: kept for good
    (the document and its files are gone)."""

    provider = models.ForeignKey(Organization, verbose_name=_("provider"),
                                 on_delete=models.PROTECT, related_name="+")
    organization = models.ForeignKey(Organization, verbose_name=_("organization"),
                                     on_delete=models.PROTECT, related_name="+")
    number = models.CharField(_("number"), max_length=32, unique=True)
    title = models.CharField(_("title"), max_length=TITLE_MAX_LENGTH)
    category = models.CharField(_("category"), max_length=200, blank=True)
    importance = models.CharField(_("importance"), max_length=16, choices=Importance.choices)
    confidentiality = models.CharField(_("confidentiality"), max_length=16,
                                       choices=Confidentiality.choices)
    created_at = models.DateTimeField(_("created"))
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    retained_until = models.DateField(_("kept until"))
    versions = models.JSONField(_("versions"), default=list, blank=True)
    reason = models.TextField(_("reason"), max_length=DESCRIPTION_MAX_LENGTH)
    disposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("disposed by"),
                                    on_delete=models.PROTECT, related_name="+")
    disposed_at = models.DateTimeField(_("disposed"), default=timezone.now)

    objects = DisposalQuerySet.as_manager()

    written_once_message = "Disposal records are kept as written."

    class Meta:
        verbose_name = _("disposal record")
        verbose_name_plural = _("disposal records")
        ordering = ["-disposed_at", "-id"]

    def __str__(self) -> str:
        return self.number

