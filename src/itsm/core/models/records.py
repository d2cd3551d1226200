"""Core models: organizations and people, the record base, comments, attachments,
timeline and the hash-chained audit log."""

from __future__ import annotations

import uuid
from pathlib import PurePath
from typing import TYPE_CHECKING, ClassVar

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey, GenericRelation
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from sequences import get_next_value

from .. import access
from ..choices import (
    AuditAction,
    AuditSource,
    Language,
    LinkKind,
    OrganizationKind,
    Priority,
    TimelineKind,
)
from ..limits import COMMENT_MAX_LENGTH, DESCRIPTION_MAX_LENGTH, TITLE_MAX_LENGTH
from ..safejson import BoundedJSONDecoder

if TYPE_CHECKING:
    from ..workflow import Workflow
from ..search import search_text


class ScopedQuerySet(models.QuerySet):
    """A queryset that knows how to restrict itself to what a user may see."""

    #: Path from the model to its organization, e.g. "organization" or "team__organization".
    organization_path: ClassVar[str] = "organization"

    def visible_to(self, user) -> ScopedQuerySet:
        ids = access.scope_organization_ids(user)
        if not ids:
            return self.none()
        return self.filter(**{f"{self.organization_path}__in": ids})


class SharedQuerySet(models.QuerySet):
    """Reference data every signed-in person may see and pick (CI types …)."""

    def visible_to(self, user) -> SharedQuerySet:
        active = user is not None and user.is_authenticated and user.is_active
        return self.all() if active else self.none()


class ProviderStaffQuerySet(models.QuerySet):
    """Objects internal to a provider (change boards, drills …): its staff see them,
    nobody else. ``provider_path`` leads from the model to the provider."""

    provider_path: ClassVar[str] = "provider"

    def visible_to(self, user) -> ProviderStaffQuerySet:
        if not access.is_provider_staff(user):
            return self.none()
        return self.filter(**{f"{self.provider_path}_id": access.provider_id_of(user)})


class ProviderOrSharedQuerySet(models.QuerySet):
    """Reference rows of a provider and the shared defaults (no provider: cause
    categories, knowledge categories): the provider's staff see both, and so do its
    customers' people where ``customers_read``."""

    customers_read: ClassVar[bool] = False

    def visible_to(self, user) -> ProviderOrSharedQuerySet:
        if not (self.customers_read or access.is_provider_staff(user)):
            return self.none()
        provider = access.provider_id_of(user)
        if provider is None:
            return self.none()
        return self.filter(Q(provider__isnull=True) | Q(provider_id=provider))


class Organization(models.Model):
    """A service provider or one of its customer organizations."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    code = models.SlugField(_("code"), max_length=32, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=OrganizationKind.choices)
    provider = models.ForeignKey(
        "self",
        verbose_name=_("provider"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="customers",
        limit_choices_to={"kind": OrganizationKind.PROVIDER},
        help_text=_("The service provider that serves this customer organization."),
    )
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class QS(ScopedQuerySet):
        organization_path = "pk"

    objects = QS.as_manager()

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind=OrganizationKind.PROVIDER, provider__isnull=True)
                | Q(kind=OrganizationKind.CUSTOMER),
                name="provider_has_no_provider",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def organization_id(self) -> int | None:
        """Lets an organization be audited and scoped like the objects it owns."""
        return self.pk

    @property
    def serving_provider_id(self) -> int | None:
        """The provider serving this organization: itself when it is a provider."""
        if self.kind == OrganizationKind.PROVIDER or self.provider_id is None:
            return self.pk
        return self.provider_id


class Department(models.Model):
    """A department inside an organization (may be nested)."""

    organization = models.ForeignKey(
        Organization, verbose_name=_("organization"), on_delete=models.PROTECT,
        related_name="departments",
    )
    name = models.CharField(_("name"), max_length=200)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent department"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="children",
    )
    head = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("department head"), on_delete=models.SET_NULL,
        null=True, blank=True, related_name="headed_departments",
        help_text=_("Approves the department's ordinary changes."),
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["organization__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="unique_department_name")
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """Its place in its organization's tree: the parent belongs to the same
        organization and is neither the department itself nor one below it; the head is
        a person of the organization."""
        errors: dict[str, list] = {}
        parent, seen = self.parent, set()
        if parent is not None and parent.organization_id != self.organization_id:
            errors["parent"] = [_("Choose a department of the same organization.")]
        while parent is not None and "parent" not in errors and parent.pk not in seen:
            if self.pk is not None and parent.pk == self.pk:
                errors["parent"] = [_("A department cannot be placed below itself.")]
            seen.add(parent.pk)
            parent = parent.parent
        profile = getattr(self.head, "profile", None) if self.head_id else None
        if self.head_id and (profile is None
                             or profile.organization_id != self.organization_id):
            errors["head"] = [_("Choose a person of the department's organization.")]
        if errors:
            raise ValidationError(errors)


class Team(models.Model):
    """A group of people that records can be assigned to (e.g. 一线服务台)."""

    organization = models.ForeignKey(
        Organization, verbose_name=_("organization"), on_delete=models.PROTECT,
        related_name="teams",
    )
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True, max_length=DESCRIPTION_MAX_LENGTH)
    email = models.EmailField(_("email"), blank=True)
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("team lead"), on_delete=models.SET_NULL,
        null=True, blank=True, related_name="led_teams",
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("members"), blank=True, related_name="teams"
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["organization__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="unique_team_name")
        ]

    def __str__(self) -> str:
        return self.name


class Profile(models.Model):
    """What ITSM knows about a person beyond the login account."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    organization = models.ForeignKey(
        Organization, verbose_name=_("organization"), on_delete=models.PROTECT,
        related_name="profiles",
    )
    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.SET_NULL,
        null=True, blank=True, related_name="profiles",
    )
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    job_title = models.CharField(_("job title"), max_length=100, blank=True)
    language = models.CharField(
        _("language"), max_length=10, choices=Language.choices, default=Language.ZH_HANS
    )
    #: Keys of the notices the person has dismissed (``"holidays:2027"``): a notice shown
    #: on every page stays away for them once they close it.
    dismissed_notices = models.JSONField(_("dismissed notices"), default=list, blank=True,
                                         decoder=BoundedJSONDecoder)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("profile")
        verbose_name_plural = _("profiles")

    def __str__(self) -> str:
        return display_name(self.user)


def display_name(user) -> str:
    """A person's name as our users write it: family name first, no space for Chinese."""
    if user is None:
        return ""
    first, last = user.first_name.strip(), user.last_name.strip()
    if first or last:
        if any("\u4e00" <= ch <= "\u9fff" for ch in first + last):
            return f"{last}{first}"
        return f"{first} {last}".strip()
    return user.get_username()


# --- Comments, attachments, timeline -----------------------------------------------


class RecordChildQuerySet(models.QuerySet):
    """Children of records (comments, attachments, events) scoped through their record."""

    def for_record(self, record: Record) -> RecordChildQuerySet:
        ct = ContentType.objects.get_for_model(type(record))
        return self.filter(content_type=ct, object_id=record.pk)


class RecordChild(models.Model):
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.PositiveBigIntegerField()
    record = GenericForeignKey("content_type", "object_id")

    objects = RecordChildQuerySet.as_manager()

    class Meta:
        abstract = True
        indexes = [models.Index(fields=["content_type", "object_id"])]


class Comment(RecordChild):
    """A public reply or an internal note on a record."""

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.PROTECT,
        null=True, related_name="+",
    )
    body = models.TextField(_("comment"), max_length=COMMENT_MAX_LENGTH)
    internal = models.BooleanField(
        _("internal note"), default=False, help_text=_("Visible to service staff only.")
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    #: The words of the body (``core.search``): the global search and a list's ``q``
    #: find a record by its comments, those the reader may see.
    search_text = models.TextField(_("search text"), blank=True, default="", editable=False)

    class Meta(RecordChild.Meta):
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["content_type", "object_id"], name="comment_record")]

    def __str__(self) -> str:
        return self.body[:50]

    def save(self, *args, **kwargs) -> None:
        self.search_text = search_text(self.body)
        super().save(*args, **kwargs)


def attachment_path(instance: Attachment, filename: str) -> str:
    """Files are stored under generated names; the original name is kept in the row."""
    suffix = PurePath(filename).suffix.lower()[:16]
    if not suffix[1:].isalnum():
        suffix = ""
    now = timezone.now()
    return f"attachments/{now:%Y/%m}/{uuid.uuid4().hex}{suffix}"


class Attachment(RecordChild):
    """A file attached to a record; downloaded only through an access-checked view."""

    file = models.FileField(_("file"), upload_to=attachment_path, max_length=255)
    original_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size"))
    mime_type = models.CharField(_("content type"), max_length=127)
    sha256 = models.CharField(max_length=64)
    internal = models.BooleanField(_("internal"), default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT,
        null=True, related_name="+",
    )
    created_at = models.DateTimeField(_("uploaded"), default=timezone.now)

    class Meta(RecordChild.Meta):
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["content_type", "object_id"], name="attachment_record")]

    def __str__(self) -> str:
        return self.original_name

    def get_absolute_url(self) -> str:
        return reverse("attachment-download", args=[self.pk])


class TimelineEvent(RecordChild):
    """One entry of a record's history as its users read it."""

    occurred_at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    kind = models.CharField(max_length=16, choices=TimelineKind.choices)
    internal = models.BooleanField(default=False)
    data = models.JSONField(default=dict, blank=True)

    class Meta(RecordChild.Meta):
        verbose_name = _("timeline event")
        verbose_name_plural = _("timeline events")
        ordering = ["occurred_at", "id"]
        indexes = [models.Index(fields=["content_type", "object_id"], name="timeline_record")]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.kind}"


# --- Rows written once -----------------------------------------------------------------


class WrittenOnce(models.Model):
    """A row written once and never changed afterwards (the audit log, article revisions,
    document versions, access logs): saving it again raises, and so does deleting one
    where ``deletable`` is off. Cascades and queryset deletes are the owner's business
    (a retention rule or a disposal decides those)."""

    #: Whether one row may be deleted on its own.
    deletable: ClassVar[bool] = True
    #: What the refusal says (developers read it: nothing user-facing saves twice).
    written_once_message: ClassVar[str] = "This row is written once and never changed."

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise PermissionError(self.written_once_message)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if not self.deletable:
            raise PermissionError(self.written_once_message)
        return super().delete(*args, **kwargs)


# --- Audit log ------------------------------------------------------------------------


class AuditEntry(WrittenOnce):
    """One append-only, hash-chained line of the audit log.

    ``hash`` covers every other column and the previous entry's hash, so changing
    or deleting a row behind the application's back breaks the chain at that row;
    ``itsm verify-audit`` finds it. The actor is kept as id and name, without a
    foreign key, so that removing a user never rewrites history.
    """

    occurred_at = models.DateTimeField(default=timezone.now)
    actor_id = models.BigIntegerField(null=True)
    actor_name = models.CharField(max_length=150, blank=True)
    source = models.CharField(max_length=8, choices=AuditSource.choices)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    action = models.CharField(max_length=16, choices=AuditAction.choices)
    object_type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=255)
    organization_id = models.BigIntegerField(null=True)
    changes = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    deletable = False
    written_once_message = "Audit log entries are append-only."

    class Meta:
        verbose_name = _("audit log entry")
        verbose_name_plural = _("audit log")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["object_type", "object_id"]),
            models.Index(fields=["occurred_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.action} {self.object_repr}"



class AuditChainHead(models.Model):
    """The single row that serializes audit appends and remembers the last hash."""

    last_hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("audit chain head")

    def __str__(self) -> str:
        return self.last_hash


# --- The record base ------------------------------------------------------------------


class RecordQuerySet(ScopedQuerySet):
    def visible_to(self, user) -> RecordQuerySet:
        if not self.model.customers_may_view and not access.is_provider_staff(user):
            return self.none()  # internal to the provider (problems, changes)
        qs = super().visible_to(user)
        if not access.sees_all_records_of_organization(user):
            qs = qs.filter(requester_id=user.pk)
        return qs


class Record(models.Model):
    """The abstract base of every ticket-like record (request, incident, change, …).

    A subclass declares ``number_prefix``, ``workflow`` and ``url_prefix`` and adds its
    own fields;
    numbering, status enforcement, comments, attachments, timeline, audit and access
    scoping come from here and from ``core.services``.
    """

    number_prefix: ClassVar[str]
    workflow: ClassVar[Workflow]
    #: ``<namespace>:<name>`` of its pages (``core.views.record_urls``): ``<prefix>-list``,
    #: ``-detail`` … The registry, the generic views and the links read it from here.
    url_prefix: ClassVar[str]
    #: Fields that only provider staff may set (ignored / read-only for customers).
    staff_fields: ClassVar[tuple[str, ...]] = ("owner", "assignee", "assignee_team", "priority")
    #: Years a record must be kept after creation; inside it no interface may delete it
    #: (GEN-7: changes ≥5, complaints ≥2). 0: no retention period.
    retention_years: ClassVar[int] = 0
    #: Whether customers may raise records of this type (else provider staff only).
    customers_may_create: ClassVar[bool] = True
    #: Whether customers may see records of this type at all (else provider staff only).
    customers_may_view: ClassVar[bool] = True
    #: Provider roles that may work on records of this type (edit, assign, move them);
    #: empty: any staff member who may write (complaints: designated handlers only).
    handler_roles: ClassVar[frozenset[str]] = frozenset()
    #: Fields the requester's side never reads (internal analysis), in the API and pages.
    internal_fields: ClassVar[tuple[str, ...]] = ()
    #: Fields a requester may edit while the record is in its initial status.
    requester_editable_fields: ClassVar[tuple[str, ...]] = ("title", "description")
    #: Statuses in which the record waits for someone else (the customer, a supplier):
    #: not in its assignee's inbox (``core.workspace``).
    waiting_statuses: ClassVar[tuple[str, ...]] = ()
    #: Fields whose words keyword search finds (``core.search``).
    search_fields: ClassVar[tuple[str, ...]] = ("number", "title", "description")

    number = models.CharField(_("number"), max_length=32, unique=True, editable=False)
    organization = models.ForeignKey(
        Organization, verbose_name=_("organization"), on_delete=models.PROTECT,
        related_name="+",
    )
    title = models.CharField(_("title"), max_length=TITLE_MAX_LENGTH)
    description = models.TextField(_("description"), blank=True, max_length=DESCRIPTION_MAX_LENGTH)
    status = models.CharField(_("status"), max_length=32, editable=False)
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.GENERAL
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requester"), on_delete=models.PROTECT,
        related_name="+",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("assignee"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )
    assignee_team = models.ForeignKey(
        Team, verbose_name=_("team"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT,
        null=True, editable=False, related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now, editable=False)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    #: The words of ``search_fields``, segmented (core.search); kept up to date by save().
    search_text = models.TextField(_("search text"), blank=True, default="", editable=False)

    comments = GenericRelation(Comment)
    attachments = GenericRelation(Attachment)
    timeline = GenericRelation(TimelineEvent)

    objects = RecordQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def save(self, *args, **kwargs) -> None:
        update_fields = kwargs.get("update_fields")
        if update_fields is None or set(update_fields) & set(self.search_fields):
            self.search_text = self.make_search_text()
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "search_text"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse(f"{self.url_prefix}-detail", args=[self.pk])

    def make_number(self) -> str:
        """The number of a new record, drawn when it is inserted: ``PREFIX-YYYY-NNNNNN``,
        gap-free because the counter row is locked until commit. A register with its
        own scheme overrides it (controlled documents: ``SN2026001``)."""
        year = timezone.localdate().year
        value = get_next_value(f"{self.number_prefix}-{year}")
        return f"{self.number_prefix}-{year}-{value:06d}"

    def make_search_text(self) -> str:
        """The search text of the record as it is now (``core.search``)."""

        return search_text(*(getattr(self, name) for name in self.search_fields))

    def validate_many(self, values: dict[str, list]) -> None:
        """Hook: check many-to-many values (field name → objects) before they are set;
        raise ValidationError. The base accepts them."""

    def shared_with(self, user) -> bool:
        """Whether ``user``, of the requester's side, may read this record although it
        is someone else's (an approver asked to decide on it); the record type's
        queryset ``visible_to`` says the same. The base shares nothing."""
        return False

    @property
    def provider_id(self) -> int | None:
        """The provider serving the record's organization."""
        return self.organization.serving_provider_id

    @property
    def status_label(self) -> str:
        return self.workflow.label(self.status)

    @property
    def status_color(self) -> str:
        """The Bootstrap colour of the status badge, declared on the status choice."""
        return self.workflow.color(self.status)

    @property
    def retained_until(self):
        """The first day the record may be deleted, or None without a retention period."""
        if not self.retention_years:
            return None
        created = timezone.localtime(self.created_at).date()
        try:
            return created.replace(year=created.year + self.retention_years)
        except ValueError:  # 29 February
            return created.replace(year=created.year + self.retention_years, day=28)

    @property
    def is_final(self) -> bool:
        return self.status in self.workflow.final


class RecordLink(models.Model):
    """A typed link between two records of any types (related, duplicate of, …)."""

    source_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    source_id = models.PositiveBigIntegerField()
    source = GenericForeignKey("source_type", "source_id")
    target_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    target_id = models.PositiveBigIntegerField()
    target = GenericForeignKey("target_type", "target_id")
    kind = models.CharField(_("kind"), max_length=16, choices=LinkKind.choices,
                            default=LinkKind.RELATED)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("record link")
        verbose_name_plural = _("record links")
        constraints = [
            models.UniqueConstraint(
                fields=["source_type", "source_id", "target_type", "target_id", "kind"],
                name="unique_record_link"),
        ]
        indexes = [models.Index(fields=["source_type", "source_id"]),
                   models.Index(fields=["target_type", "target_id"])]

    def __str__(self) -> str:
        return (f"{self.source_type_id}:{self.source_id} {self.kind} "
                f"{self.target_type_id}:{self.target_id}")


# --- Saved views of record lists ------------------------------------------------------


class SavedViewQuerySet(models.QuerySet):
    def visible_to(self, user) -> SavedViewQuerySet:
        """A person's own views, and those the staff of their provider share."""
        if user is None or not user.is_authenticated:
            return self.none()
        mine = Q(owner_id=user.pk)
        if access.is_provider_staff(user):
            mine |= Q(shared=True, provider_id=access.provider_id_of(user))
        return self.filter(mine)


class SavedView(models.Model):
    """A record list's filters and sort kept under a name (保存的视图): personal, or
    shared with the staff of the owner's provider."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"),
                              on_delete=models.CASCADE, related_name="saved_views")
    provider = models.ForeignKey(Organization, verbose_name=_("provider"),
                                 on_delete=models.CASCADE, related_name="+")
    record_type = models.CharField(_("record type"), max_length=100)
    name = models.CharField(_("name"), max_length=100)
    query = models.CharField(_("filters and sort"), max_length=2000, blank=True)
    shared = models.BooleanField(_("shared with colleagues"), default=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    objects = SavedViewQuerySet.as_manager()

    class Meta:
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        ordering = ["record_type", "name", "id"]
        constraints = [models.UniqueConstraint(fields=["owner", "record_type", "name"],
                                               name="unique_saved_view_name")]

    def __str__(self) -> str:
        return self.name
