"""Knowledge articles (知识条目) on the record base, their immutable revisions, readers'
feedback, error reports and deflections; categories on the object layer (KB-1..3)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from itsm.core import access
from itsm.core.choices import Role
from itsm.core.limits import COMMENT_MAX_LENGTH, LONG_TEXT_MAX_LENGTH, TITLE_MAX_LENGTH
from itsm.core.models import (
    Organization,
    ProviderOrSharedQuerySet,
    Record,
    Team,
    WrittenOnce,
)
from itsm.core.models.records import RecordQuerySet

from . import content
from .choices import (
    ARTICLE_WORKFLOW,
    DEFAULT_REVIEW_INTERVAL_DAYS,
    ArticleStatus,
    ArticleType,
    FlagStatus,
    Visibility,
    wrote_it,
)

#: The fields of an article a revision keeps (its content, as readers read it).
REVISION_FIELDS = ("title", "description", "keywords", "symptom", "cause", "solution", "body")


class KnowledgeCategory(models.Model):
    """A category of the knowledge base (知识分类), nested: a provider's own, or one of the
    shared defaults (no provider) every provider starts with."""

    provider = models.ForeignKey(Organization, verbose_name=_("provider"), null=True,
                                 blank=True, on_delete=models.PROTECT, related_name="+")
    parent = models.ForeignKey("self", verbose_name=_("parent category"), null=True,
                               blank=True, on_delete=models.PROTECT, related_name="children")
    name = models.CharField(_("name"), max_length=100)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class QS(ProviderOrSharedQuerySet):
        """Everyone reads the categories of the provider serving them and the shared
        defaults (customers browse by them)."""

        customers_read = True

    objects = QS.as_manager()

    class Meta:
        verbose_name = _("knowledge category")
        verbose_name_plural = _("knowledge categories")
        ordering = ["order", "name", "pk"]
        constraints = [models.UniqueConstraint(fields=["provider", "parent", "name"],
                                               name="unique_knowledge_category")]

    def __str__(self) -> str:
        return f"{self.parent.name} / {self.name}" if self.parent_id else self.name

    def clean(self) -> None:
        parent, seen = self.parent, set()
        while parent is not None and parent.pk not in seen:
            if self.pk is not None and parent.pk == self.pk:
                raise ValidationError({"parent": _("A category cannot be placed below "
                                                   "itself.")})
            seen.add(parent.pk)
            parent = parent.parent
        if self.parent_id and self.parent.provider_id not in (None, self.provider_id):
            raise ValidationError({"parent": _("Choose a category of the same provider.")})


class ArticleQuerySet(RecordQuerySet):
    def visible_to(self, user) -> ArticleQuerySet:
        """What ``user`` may read (the one rule for pages, API, search and suggestions).

        Provider staff: every article of their scope except restricted ones they are not
        admitted to (by role or team); the owner, author, last editor and reviewer always.
        Anyone else: the published, unexpired articles for customers of the provider
        serving them, for all its customers or for their organization among others.
        """
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if access.is_provider_staff(user):
            return self.filter(organization_id__in=access.scope_organization_ids(user)).filter(
                self._admitted(user))
        organization = access.organization_of(user)
        if organization is None:
            return self.none()
        chosen = Article.customer_organizations.through.objects
        return self.filter(
            organization_id=organization.serving_provider_id, status=ArticleStatus.PUBLISHED,
            visibility=Visibility.CUSTOMERS, published_revision__isnull=False,
        ).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=timezone.localdate())
        ).filter(
            ~Q(pk__in=chosen.values("article_id"))
            | Q(pk__in=chosen.filter(organization_id=organization.pk).values("article_id")))

    @staticmethod
    def _admitted(user) -> Q:
        teams = Article.restricted_teams.through.objects.filter(
            team_id__in=access.team_ids_of(user)).values("article_id")
        admitted = (~Q(visibility=Visibility.RESTRICTED) | Q(owner_id=user.pk)
                    | Q(requester_id=user.pk) | Q(created_by_id=user.pk) | Q(editor_id=user.pk)
                    | Q(reviewer_id=user.pk) | Q(pk__in=teams))
        for role in access.roles_of(user):
            admitted |= Q(restricted_roles__icontains=f'"{role!s}"')
        return admitted

    def stale(self, today: dt.date | None = None) -> ArticleQuerySet:
        """Published articles whose review date has come."""
        return self.filter(status=ArticleStatus.PUBLISHED,
                           review_due__lte=today or timezone.localdate())


class Article(Record):
    """A knowledge article (知识条目): a FAQ, a fault-handling procedure, a manual, a best
    practice or a solved problem, owned by its provider, reviewed before readers see it.

    ``customers_may_view`` is False: customers never use the record pages of an article
    (timeline, comments, edit); they read published articles on the knowledge pages
    (``knowledge:browse``, ``knowledge:article-read``, suggestions, the API), which apply
    ``Article.objects.visible_to``.
    """

    number_prefix = "KB"
    workflow = ARTICLE_WORKFLOW
    url_prefix = "knowledge:article"
    customers_may_create = False
    customers_may_view = False
    staff_fields = (*Record.staff_fields, "reviewer")
    search_fields = ("number", "title", "description", "keywords", "symptom", "cause",
                     "solution", "body_text")

    article_type = models.CharField(_("article type"), max_length=16,
                                    choices=ArticleType.choices, default=ArticleType.FAQ)
    article_category = models.ForeignKey(KnowledgeCategory, verbose_name=_("category"),
                                         null=True, blank=True, on_delete=models.PROTECT,
                                         related_name="articles")
    services = models.ManyToManyField("catalog.Service", verbose_name=_("services"),
                                      blank=True, related_name="+")
    configuration_items = models.ManyToManyField(
        "cmdb.ConfigurationItem", verbose_name=_("configuration items"), blank=True,
        related_name="+")
    keywords = models.CharField(_("keywords"), max_length=500, blank=True,
                                help_text=_("Words readers search for that the text may "
                                            "not use, separated by spaces."))
    symptom = models.TextField(_("symptom"), blank=True, max_length=LONG_TEXT_MAX_LENGTH)
    cause = models.TextField(_("cause"), blank=True, max_length=LONG_TEXT_MAX_LENGTH)
    solution = models.TextField(_("solution"), blank=True, max_length=LONG_TEXT_MAX_LENGTH)
    body = models.TextField(_("content"), blank=True, max_length=LONG_TEXT_MAX_LENGTH,
                            help_text=_("Rich text (HTML): headings, lists, tables, links "
                                        "and images of the article's own files."))
    #: The body's words without tags (search text, phrase search, diffs).
    body_text = models.TextField(_("content as text"), blank=True, editable=False,
                                 max_length=LONG_TEXT_MAX_LENGTH)
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("reviewer"),
                                 null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    editor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("last edited by"),
                               null=True, blank=True, editable=False,
                               on_delete=models.PROTECT, related_name="+")
    review_interval_days = models.PositiveSmallIntegerField(
        _("review interval (days)"), default=DEFAULT_REVIEW_INTERVAL_DAYS,
        validators=[MinValueValidator(1), MaxValueValidator(3650)])
    review_due = models.DateField(_("review due"), null=True, blank=True, editable=False)
    valid_to = models.DateField(_("valid until"), null=True, blank=True,
                                help_text=_("Readers no longer see the article after "
                                            "this day."))
    visibility = models.CharField(_("visibility"), max_length=16, choices=Visibility.choices,
                                  default=Visibility.INTERNAL)
    customer_organizations = models.ManyToManyField(
        Organization, verbose_name=_("customer organizations"), blank=True, related_name="+",
        help_text=_("For customers: only these organizations (none chosen: all customers)."))
    restricted_roles = models.JSONField(_("roles admitted"), default=list, blank=True)
    restricted_teams = models.ManyToManyField(Team, verbose_name=_("teams admitted"),
                                              blank=True, related_name="+")
    current_revision = models.ForeignKey(
        "ArticleRevision", verbose_name=_("current revision"), null=True, blank=True,
        editable=False, on_delete=models.SET_NULL, related_name="+")
    published_revision = models.ForeignKey(
        "ArticleRevision", verbose_name=_("published revision"), null=True, blank=True,
        editable=False, on_delete=models.SET_NULL, related_name="+")
    published_at = models.DateTimeField(_("published"), null=True, blank=True, editable=False)
    helpful_count = models.PositiveIntegerField(_("helpful"), default=0, editable=False)
    not_helpful_count = models.PositiveIntegerField(_("not helpful"), default=0,
                                                    editable=False)

    objects = ArticleQuerySet.as_manager()

    class Meta(Record.Meta):
        verbose_name = _("knowledge article")
        verbose_name_plural = _("knowledge articles")
        indexes = [
            models.Index(fields=["organization", "status", "-created_at"],
                         name="kb_org_status"),
            models.Index(fields=["status", "review_due"], name="kb_review_due"),
            models.Index(fields=["status", "visibility", "-helpful_count"],
                         name="kb_readers"),
        ]

    def save(self, *args, **kwargs) -> None:
        self.body = content.sanitize(self.body)
        self.body_text = content.text_of(self.body)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "body" in update_fields:
            kwargs["update_fields"] = {*update_fields, "body_text"}
        super().save(*args, **kwargs)

    def clean(self) -> None:
        super().clean()
        errors: dict[str, str] = {}
        roles = self.restricted_roles
        if not isinstance(roles, list) or any(r not in Role.values for r in roles):
            errors["restricted_roles"] = _("Choose roles from the list.")
        provider_id = self.provider_id if self.organization_id else None
        if self.reviewer_id is not None:
            if not access.is_staff_of(self.reviewer, provider_id):
                errors["reviewer"] = _("Choose a member of the service provider's staff.")
            elif self.status == ArticleStatus.IN_REVIEW and wrote_it(self.reviewer, self):
                errors["reviewer"] = _("Choose a reviewer other than the author and the "
                                       "last editor.")
        category = self.article_category if self.article_category_id else None
        if category is not None and category.provider_id not in (None, provider_id):
            errors["article_category"] = _("Choose a category of your knowledge base.")
        if errors:
            raise ValidationError(errors)

    def validate_many(self, values: dict[str, list]) -> None:
        provider_id = self.provider_id
        errors: dict[str, str] = {}
        if any(s.provider_id != provider_id for s in values.get("services", ())):
            errors["services"] = _("Choose services of the provider.")
        if any(o.serving_provider_id != provider_id or o.pk == provider_id
               for o in values.get("customer_organizations", ())):
            errors["customer_organizations"] = _("Choose customers of the provider.")
        if any(t.organization_id != provider_id for t in values.get("restricted_teams", ())):
            errors["restricted_teams"] = _("Choose teams of the provider.")
        if any(ci.organization.serving_provider_id != provider_id
               for ci in values.get("configuration_items", ())):
            errors["configuration_items"] = _("Choose configuration items the provider "
                                              "serves.")
        if errors:
            raise ValidationError(errors)

    @property
    def structured(self) -> bool:
        """Written as symptom → cause → solution (fault-handling, solved problems)."""
        from .choices import STRUCTURED_TYPES

        return self.article_type in STRUCTURED_TYPES

    @property
    def expired(self) -> bool:
        return self.valid_to is not None and self.valid_to < timezone.localdate()

    @property
    def stale(self) -> bool:
        return (self.status == ArticleStatus.PUBLISHED and self.review_due is not None
                and self.review_due <= timezone.localdate())

    @property
    def reader_url(self) -> str:
        from django.urls import reverse

        return reverse("knowledge:article-read", args=[self.pk])


class RevisionQuerySet(models.QuerySet):
    def visible_to(self, user) -> RevisionQuerySet:
        """Revisions of the articles ``user`` may see, for provider staff (readers read
        the published content through the article)."""
        if not access.is_provider_staff(user):
            return self.none()
        return self.filter(article__in=Article.objects.visible_to(user).values("pk"))


class ArticleRevision(WrittenOnce):
    """One saved state of an article's content (知识修订版本): who, when, what, why.

    Immutable: saving an existing revision or deleting one raises; restoring an older
    revision writes a new one with its content.
    """

    article = models.ForeignKey(Article, verbose_name=_("article"), on_delete=models.CASCADE,
                                related_name="revisions")
    number = models.PositiveIntegerField(_("revision"))
    title = models.CharField(_("title"), max_length=TITLE_MAX_LENGTH)
    description = models.TextField(_("summary"), blank=True, max_length=LONG_TEXT_MAX_LENGTH)
    keywords = models.CharField(_("keywords"), max_length=500, blank=True)
    symptom = models.TextField(_("symptom"), blank=True, max_length=LONG_TEXT_MAX_LENGTH)
    cause = models.TextField(_("cause"), blank=True, max_length=LONG_TEXT_MAX_LENGTH)
    solution = models.TextField(_("solution"), blank=True, max_length=LONG_TEXT_MAX_LENGTH)
    body = models.TextField(_("content"), blank=True, max_length=LONG_TEXT_MAX_LENGTH)
    editor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("editor"),
                               null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("saved"), default=timezone.now)
    summary = models.CharField(_("change summary"), max_length=300, blank=True)

    objects = RevisionQuerySet.as_manager()

    deletable = False
    written_once_message = "Article revisions are immutable."

    class Meta:
        verbose_name = _("article revision")
        verbose_name_plural = _("article revisions")
        ordering = ["article_id", "number"]
        constraints = [models.UniqueConstraint(fields=["article", "number"],
                                               name="unique_article_revision")]

    def __str__(self) -> str:
        return f"{self.article_id} r{self.number}"



    def texts(self) -> dict[str, str]:
        """The text of each part, as the diff compares them (the body without tags)."""
        values = {name: getattr(self, name) or "" for name in REVISION_FIELDS}
        values["body"] = content.text_of(self.body)
        return values


class ReaderQuerySet(models.QuerySet):
    """Feedback and error reports: provider staff see those on the articles they see,
    anyone else their own."""

    def visible_to(self, user) -> ReaderQuerySet:
        if user is None or not user.is_authenticated:
            return self.none()
        if access.is_provider_staff(user):
            return self.filter(article__in=Article.objects.visible_to(user).values("pk"))
        return self.filter(**{self.model.person_field: user.pk})


class ArticleFeedback(models.Model):
    """A reader's vote on an article: helpful or not (one per person, changeable)."""

    person_field = "user_id"

    article = models.ForeignKey(Article, verbose_name=_("article"), on_delete=models.CASCADE,
                                related_name="feedback")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("reader"),
                             on_delete=models.CASCADE, related_name="+")
    helpful = models.BooleanField(_("helpful"))
    comment = models.CharField(_("comment"), max_length=1000, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    objects = ReaderQuerySet.as_manager()

    class Meta:
        verbose_name = _("article feedback")
        verbose_name_plural = _("article feedback")
        constraints = [models.UniqueConstraint(fields=["article", "user"],
                                               name="unique_article_feedback")]

    def __str__(self) -> str:
        return f"{self.article_id} {self.user_id} {self.helpful}"


class ArticleFlag(models.Model):
    """A reader's report of an error in an article: a task for its owner until resolved."""

    person_field = "reporter_id"

    article = models.ForeignKey(Article, verbose_name=_("article"), on_delete=models.CASCADE,
                                related_name="flags")
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("reported by"),
                                 on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("what is wrong"), max_length=COMMENT_MAX_LENGTH)
    status = models.CharField(_("status"), max_length=16, choices=FlagStatus.choices,
                              default=FlagStatus.OPEN)
    created_at = models.DateTimeField(_("reported"), default=timezone.now)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("resolved by"),
                                    null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    resolution = models.TextField(_("resolution"), blank=True, max_length=COMMENT_MAX_LENGTH)

    objects = ReaderQuerySet.as_manager()

    class Meta:
        verbose_name = _("error report")
        verbose_name_plural = _("error reports")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "article"], name="kb_flag_open")]

    def __str__(self) -> str:
        return self.text[:50]


class DeflectionQuerySet(models.QuerySet):
    def visible_to(self, user) -> DeflectionQuerySet:
        """Provider staff only: the deflections on their provider's articles."""
        if not access.is_provider_staff(user):
            return self.none()
        return self.filter(article__organization_id__in=access.scope_organization_ids(user))


class Deflection(models.Model):
    """A request that was not submitted because an article solved it (the reader said so
    after opening a suggestion)."""

    article = models.ForeignKey(Article, verbose_name=_("article"), on_delete=models.CASCADE,
                                related_name="deflections")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("reader"),
                             on_delete=models.PROTECT, related_name="+")
    organization = models.ForeignKey(Organization, verbose_name=_("organization"),
                                     on_delete=models.PROTECT, related_name="+")
    query = models.CharField(_("what they typed"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)

    objects = DeflectionQuerySet.as_manager()

    class Meta:
        verbose_name = _("deflection")
        verbose_name_plural = _("deflections")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.article_id} {self.created_at:%Y-%m-%d}"
