"""Satisfaction surveys (FBK-2) and feedback items (FBK-3).

- A :class:`Questionnaire` (调查问卷) is an object of the object layer: sections and
  questions, each question mapped to a dimension code. It is frozen when a campaign
  launches; changing a frozen one makes a new version (same ``code``, ``version`` + 1),
  so answers stay comparable across versions by dimension code.
- A :class:`Campaign` (调查活动) sends one :class:`Recipient` a single-use link (a random
  token, stored as its SHA-256), open until the campaign's close time.
- A :class:`SurveyResponse` holds the :class:`Answer` rows of one respondent (named or
  anonymous), from the link, the portal or typed by staff after a phone call.
- A :class:`FeedbackItem` is a record (``FBK``) handled as a closed loop.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from itsm.core import access
from itsm.core.limits import COMMENT_MAX_LENGTH, LONG_TEXT_MAX_LENGTH, TITLE_MAX_LENGTH
from itsm.core.models import Department, Organization, Record, ScopedQuerySet

from .choices import (
    FEEDBACK_WORKFLOW,
    CampaignStatus,
    FeedbackClass,
    FeedbackSource,
    FeedbackStatus,
    QuestionKind,
    SurveyChannel,
)


class QuestionnaireQuerySet(models.QuerySet):
    """Provider staff see the shipped questionnaires (no provider) and their provider's;
    sections and questions go with their questionnaire (``questionnaire_path``)."""

    questionnaire_path = ""

    def visible_to(self, user) -> QuestionnaireQuerySet:
        if not access.is_provider_staff(user):
            return self.none()
        prefix = f"{self.questionnaire_path}__" if self.questionnaire_path else ""
        return self.filter(Q(**{f"{prefix}provider__isnull": True})
                           | Q(**{f"{prefix}provider_id": access.provider_id_of(user)}))


class SectionQuerySet(QuestionnaireQuerySet):
    questionnaire_path = "questionnaire"


class QuestionQuerySet(QuestionnaireQuerySet):
    questionnaire_path = "section__questionnaire"


class Questionnaire(models.Model):
    """A versioned questionnaire; the shipped default has no provider."""

    provider = models.ForeignKey(Organization, verbose_name=_("provider"), null=True,
                                 blank=True, on_delete=models.PROTECT, related_name="+")
    code = models.SlugField(_("code"), max_length=50)
    version = models.PositiveSmallIntegerField(_("version"), default=1, editable=False)
    title = models.CharField(_("title"), max_length=TITLE_MAX_LENGTH)
    title_en = models.CharField(_("title (English)"), max_length=TITLE_MAX_LENGTH, blank=True)
    introduction = models.TextField(_("introduction"), blank=True, max_length=COMMENT_MAX_LENGTH)
    introduction_en = models.TextField(_("introduction (English)"), blank=True,
                                       max_length=COMMENT_MAX_LENGTH)
    is_active = models.BooleanField(_("active"), default=True)
    frozen_at = models.DateTimeField(_("frozen"), null=True, blank=True, editable=False,
                                     help_text=_("Set when a campaign launches with it."))
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    objects = QuestionnaireQuerySet.as_manager()

    class Meta:
        verbose_name = _("questionnaire")
        verbose_name_plural = _("questionnaires")
        ordering = ["code", "-version"]
        constraints = [models.UniqueConstraint(fields=["provider", "code", "version"],
                                               name="unique_questionnaire_version")]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"

    def text(self, field: str, language: str | None) -> str:
        """``field`` in ``language`` (English when asked and given, else Chinese)."""
        english = getattr(self, f"{field}_en", "")
        return english if (language or "").startswith("en") and english else getattr(self, field)


class Section(models.Model):
    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.CASCADE,
                                      related_name="sections")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    title = models.CharField(_("title"), max_length=TITLE_MAX_LENGTH)
    title_en = models.CharField(_("title (English)"), max_length=TITLE_MAX_LENGTH, blank=True)

    objects = SectionQuerySet.as_manager()

    class Meta:
        verbose_name = _("section")
        verbose_name_plural = _("sections")
        ordering = ["questionnaire", "position", "id"]

    def __str__(self) -> str:
        return self.title

    text = Questionnaire.text


class Question(models.Model):
    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    kind = models.CharField(_("kind"), max_length=16, choices=QuestionKind.choices,
                            default=QuestionKind.LIKERT)
    title = models.CharField(_("question"), max_length=500)
    title_en = models.CharField(_("question (English)"), max_length=500, blank=True)
    dimension = models.SlugField(_("dimension"), max_length=50, blank=True)
    #: Choices of single/multiple choice questions: [{"value", "label", "label_en"}].
    options = models.JSONField(_("options"), default=list, blank=True)
    allow_not_applicable = models.BooleanField(_("“not applicable” allowed"), default=True)
    required = models.BooleanField(_("required"), default=True)

    objects = QuestionQuerySet.as_manager()

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["section__position", "position", "id"]

    def __str__(self) -> str:
        return self.title

    text = Questionnaire.text

    def option_labels(self, language: str | None) -> list[tuple[str, str]]:
        english = (language or "").startswith("en")
        return [(str(o["value"]), (o.get("label_en") if english and o.get("label_en")
                                   else o.get("label", o["value"]))) for o in self.options]


class CampaignQuerySet(models.QuerySet):
    """Provider staff see their provider's campaigns; customers none (they answer)."""

    def visible_to(self, user) -> CampaignQuerySet:
        if not access.is_provider_staff(user):
            return self.none()
        return self.filter(provider_id=access.provider_id_of(user))


class Campaign(models.Model):
    """One round of a satisfaction survey (调查活动) to target organizations."""

    provider = models.ForeignKey(Organization, verbose_name=_("provider"),
                                 on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=TITLE_MAX_LENGTH)
    questionnaire = models.ForeignKey(Questionnaire, verbose_name=_("questionnaire"),
                                      on_delete=models.PROTECT, related_name="campaigns")
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    closes_at = models.DateTimeField(_("closes"))
    channels = models.JSONField(_("channels"), default=list, blank=True)
    anonymous = models.BooleanField(_("anonymous"), default=False)
    organizations = models.ManyToManyField(Organization, verbose_name=_("organizations"),
                                           blank=True, related_name="+")
    departments = models.ManyToManyField(Department, verbose_name=_("departments"),
                                         blank=True, related_name="+")
    people = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("people"),
                                    blank=True, related_name="+")
    sample_size = models.PositiveIntegerField(
        _("sample of recent requesters"), null=True, blank=True,
        help_text=_("Ask only this many people who raised tickets recently."))
    reminder_days = models.PositiveSmallIntegerField(
        _("remind after days"), default=3,
        help_text=_("Remind recipients who have not answered every this many days (0: never)."))
    status = models.CharField(_("status"), max_length=16, choices=CampaignStatus.choices,
                              default=CampaignStatus.DRAFT, editable=False)
    launched_at = models.DateTimeField(_("launched"), null=True, blank=True, editable=False)
    launched_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("launched by"),
                                    null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    objects = CampaignQuerySet.as_manager()

    class Meta:
        verbose_name = _("survey campaign")
        verbose_name_plural = _("survey campaigns")
        ordering = ["-period_start", "-id"]
        indexes = [models.Index(fields=["provider", "status"], name="campaign_provider_status")]

    def __str__(self) -> str:
        return self.name

    @property
    def status_color(self) -> str:
        return CampaignStatus.color_of(self.status)

    @property
    def is_open(self) -> bool:
        return self.status == CampaignStatus.OPEN and timezone.now() < self.closes_at


class RecipientQuerySet(models.QuerySet):
    """The campaign's provider staff see its recipients; a person their own invitations."""

    def visible_to(self, user) -> RecipientQuerySet:
        if user is None or not user.is_authenticated:
            return self.none()
        if access.is_provider_staff(user):
            return self.filter(campaign__provider_id=access.provider_id_of(user))
        return self.filter(person_id=user.pk)


class Recipient(models.Model):
    """A person asked to answer a campaign, with the hash of their single-use link."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="recipients")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="+")
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey(Department, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_at = models.DateTimeField(default=timezone.now)
    reminded_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    objects = RecipientQuerySet.as_manager()

    class Meta:
        verbose_name = _("recipient")
        verbose_name_plural = _("recipients")
        constraints = [models.UniqueConstraint(fields=["campaign", "person"],
                                               name="one_recipient_per_person")]
        indexes = [models.Index(fields=["person", "answered_at"], name="recipient_person")]

    def __str__(self) -> str:
        return f"{self.campaign_id}:{self.person_id}"


class SurveyResponseQuerySet(ScopedQuerySet):
    """Staff see the responses of their scope; a customer administrator those of their
    organization; a requester their own named ones."""

    def visible_to(self, user) -> SurveyResponseQuerySet:
        qs = super().visible_to(user)
        if access.is_provider_staff(user):
            return qs.filter(campaign__provider_id=access.provider_id_of(user))
        if not access.sees_all_records_of_organization(user):
            qs = qs.filter(respondent_id=user.pk)
        return qs


class SurveyResponse(models.Model):
    """One respondent's answers to a campaign."""

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="responses")
    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.PROTECT, related_name="+")
    #: None for an anonymous campaign (the recipient's link is still used up).
    recipient = models.OneToOneField(Recipient, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="response")
    respondent = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("respondent"),
                                   null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    organization = models.ForeignKey(Organization, verbose_name=_("organization"),
                                     on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey(Department, verbose_name=_("department"), null=True,
                                   blank=True, on_delete=models.SET_NULL, related_name="+")
    channel = models.CharField(_("channel"), max_length=16, choices=SurveyChannel.choices)
    interviewer = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("interviewer"),
                                    null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    submitted_at = models.DateTimeField(_("submitted"), default=timezone.now)

    objects = SurveyResponseQuerySet.as_manager()

    class Meta:
        verbose_name = _("survey answer")
        verbose_name_plural = _("survey answers")
        ordering = ["-submitted_at", "-id"]
        indexes = [models.Index(fields=["campaign", "organization"], name="response_campaign_org")]

    def __str__(self) -> str:
        return f"{self.campaign} #{self.pk}"


class Answer(models.Model):
    """The answer to one question; campaign, organization, department and dimension are
    copied from the response and question so results aggregate on one table."""

    response = models.ForeignKey(SurveyResponse, on_delete=models.CASCADE,
                                 related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+")
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="+")
    organization_id = models.BigIntegerField()
    department_id = models.BigIntegerField(null=True, blank=True)
    dimension = models.CharField(max_length=50, blank=True)
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    choices = models.JSONField(default=list, blank=True)
    text = models.TextField(blank=True, max_length=COMMENT_MAX_LENGTH)
    not_applicable = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        indexes = [models.Index(fields=["campaign", "dimension"], name="answer_campaign_dim")]
        constraints = [models.CheckConstraint(
            condition=Q(score__isnull=True) | Q(score__gte=1, score__lte=5),
            name="answer_score_range")]

    def __str__(self) -> str:
        return f"{self.response_id}:{self.question_id}"


class FeedbackItem(Record):
    """A piece of customer feedback (服务反馈) handled as a closed loop (FBK-3)."""

    number_prefix = "FBK"
    workflow = FEEDBACK_WORKFLOW
    url_prefix = "surveys:feedbackitem"
    waiting_statuses = (FeedbackStatus.AWAITING_CONFIRMATION,)
    search_fields = ("number", "title", "description", "analysis", "handling")

    classification = models.CharField(_("classification"), max_length=16,
                                      choices=FeedbackClass.choices,
                                      default=FeedbackClass.GENERAL)
    source = models.CharField(_("source"), max_length=16, choices=FeedbackSource.choices,
                              default=FeedbackSource.PORTAL)
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True, editable=False)
    survey_response = models.ForeignKey(SurveyResponse, verbose_name=_("survey answer"),
                                        null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="+", editable=False)
    #: The ticket a low rating was given to (its number; the rating's id beside it).
    source_number = models.CharField(_("rated ticket"), max_length=32, blank=True,
                                     editable=False)
    rating_id = models.BigIntegerField(null=True, blank=True, editable=False, unique=True)
    analysis = models.TextField(_("analysis"), blank=True, max_length=LONG_TEXT_MAX_LENGTH)
    handling = models.TextField(_("handling"), blank=True, max_length=LONG_TEXT_MAX_LENGTH)
    handled_at = models.DateTimeField(_("handled"), null=True, blank=True, editable=False)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True, editable=False)

    class Meta(Record.Meta):
        verbose_name = _("feedback item")
        verbose_name_plural = _("feedback items")
        indexes = [
            models.Index(fields=["organization", "status", "-created_at"], name="fbk_org_status"),
            models.Index(fields=["classification", "status"], name="fbk_class_status"),
        ]
