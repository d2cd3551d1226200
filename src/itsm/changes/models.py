"""Changes (变更) with risk assessment, tiered approval by boards, schedule, tasks,
verification and post-implementation review (CHG-1..5)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from itsm.core.limits import (
    COMMENT_MAX_LENGTH,
    DESCRIPTION_MAX_LENGTH,
    LONG_TEXT_MAX_LENGTH,
)
from itsm.core.models import Organization, ProviderStaffQuerySet, Record

from .choices import (
    CHANGE_WORKFLOW,
    DEFAULT_RISK_MATRIX,
    DEFAULT_SCALE_BY_RISK,
    ApprovalStatus,
    ChangeScale,
    ChangeStatus,
    ChangeType,
    ImpactLevel,
    Likelihood,
    MeetingDecision,
    MeetingStatus,
    Outcome,
    RiskLevel,
    Stage,
    TaskStatus,
    VoteDecision,
)


class ChangeBoard(models.Model):
    """A change advisory board: the IT service management committee (CAB) of a
    provider, or a project's change control board (CHG-6)."""

    provider = models.ForeignKey(Organization, verbose_name=_("provider"),
                                 on_delete=models.PROTECT, related_name="change_boards",
                                 limit_choices_to={"kind": "provider"})
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True, max_length=DESCRIPTION_MAX_LENGTH)
    chair = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("chair"),
                              on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+")
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("members"),
                                     related_name="change_boards", blank=True)
    emergency_approvers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("emergency approvers"), blank=True,
        related_name="+", help_text=_("Approve emergency changes before the board reviews "
                                      "them."))
    quorum = models.PositiveSmallIntegerField(
        _("quorum"), default=0,
        help_text=_("Members who must vote before the board decides; 0 means more than "
                    "half of the members."))
    is_default = models.BooleanField(_("default board"), default=False,
                                     help_text=_("Reviews the provider's changes unless "
                                                 "another board is chosen."))
    is_active = models.BooleanField(_("active"), default=True)

    objects = ProviderStaffQuerySet.as_manager()

    class Meta:
        verbose_name = _("change board")
        verbose_name_plural = _("change boards")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "name"], name="unique_board_name"),
            models.UniqueConstraint(fields=["provider"], condition=models.Q(is_default=True),
                                    name="one_default_board"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("changes:board-detail", args=[self.pk])

    def effective_quorum(self, member_count: int) -> int:
        return self.quorum or member_count // 2 + 1


class ChangeTemplate(models.Model):
    """A standard change model (标准变更): pre-approved, low risk, repeatable."""

    provider = models.ForeignKey(Organization, verbose_name=_("provider"),
                                 on_delete=models.PROTECT, related_name="change_templates",
                                 limit_choices_to={"kind": "provider"})
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True, max_length=DESCRIPTION_MAX_LENGTH)
    implementation_plan = models.TextField(_("implementation plan"),
                                           max_length=LONG_TEXT_MAX_LENGTH)
    backout_plan = models.TextField(_("back-out plan"), max_length=LONG_TEXT_MAX_LENGTH)
    test_plan = models.TextField(_("test / verification plan"), blank=True,
                                 max_length=LONG_TEXT_MAX_LENGTH)
    is_active = models.BooleanField(_("active"), default=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("approved by"),
                                    on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")

    objects = ProviderStaffQuerySet.as_manager()

    class Meta:
        verbose_name = _("standard change template")
        verbose_name_plural = _("standard change templates")
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["provider", "name"],
                                               name="unique_change_template_name")]

    def __str__(self) -> str:
        return self.name


class FreezeWindowQuerySet(ProviderStaffQuerySet):
    def covering(self, change: Change, start: dt.datetime | None = None,
                 end: dt.datetime | None = None) -> list[FreezeWindow]:
        """Freeze windows of the change's provider overlapping its planned window (or
        the one given) that cover every service or one of the change's services."""
        start, end = start or change.planned_start, end or change.planned_end
        if not (start and end):
            return []
        windows = self.filter(provider_id=change.provider_id, start__lt=end, end__gt=start)
        service_ids = (set(change.services.values_list("pk", flat=True)) if change.pk
                       else set())
        return [w for w in windows.prefetch_related("services")
                if not w.services.all() or {s.pk for s in w.services.all()} & service_ids]


class FreezeWindow(models.Model):
    """A period in which no change may be scheduled (变更冻结期), for all services or
    the listed ones; emergency changes pass with a warning."""

    provider = models.ForeignKey(Organization, verbose_name=_("provider"),
                                 on_delete=models.PROTECT, related_name="freeze_windows",
                                 limit_choices_to={"kind": "provider"})
    name = models.CharField(_("name"), max_length=200)
    reason = models.TextField(_("reason"), blank=True, max_length=COMMENT_MAX_LENGTH)
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    services = models.ManyToManyField("catalog.Service", verbose_name=_("services"),
                                      blank=True, related_name="+",
                                      help_text=_("Empty: the freeze applies to every "
                                                  "service."))

    objects = FreezeWindowQuerySet.as_manager()

    class Meta:
        verbose_name = _("change freeze window")
        verbose_name_plural = _("change freeze windows")
        ordering = ["start", "id"]
        constraints = [models.CheckConstraint(condition=models.Q(end__gt=models.F("start")),
                                              name="freeze_ends_after_start")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.start and self.end and self.end <= self.start:
            raise ValidationError({"end": _("The end must be after the start.")})


class Change(Record):
    """A request for change and everything that happens to it until it is closed."""

    number_prefix = "CHG"
    workflow = CHANGE_WORKFLOW
    customers_may_create = False
    customers_may_view = False
    url_prefix = "changes:change"
    staff_fields = (*Record.staff_fields, "board")

    change_type = models.CharField(_("change type"), max_length=16, choices=ChangeType.choices,
                                   default=ChangeType.NORMAL)
    template = models.ForeignKey(ChangeTemplate, verbose_name=_("standard change template"),
                                 on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="changes")
    board = models.ForeignKey(ChangeBoard, verbose_name=_("change board"),
                              on_delete=models.PROTECT, null=True, blank=True,
                              related_name="changes",
                              help_text=_("Empty: the provider's default board."))
    services = models.ManyToManyField("catalog.Service", verbose_name=_("affected services"),
                                      blank=True, related_name="changes")
    # The request (CHG-1); ``description`` holds its content.
    reason = models.TextField(_("reason"), blank=True, max_length=LONG_TEXT_MAX_LENGTH)
    scope = models.TextField(_("scope"), blank=True, max_length=LONG_TEXT_MAX_LENGTH)
    expected_impact = models.TextField(_("expected impact"), blank=True,
                                       max_length=LONG_TEXT_MAX_LENGTH)
    implementation_plan = models.TextField(_("implementation plan"), blank=True,
                                           max_length=LONG_TEXT_MAX_LENGTH)
    backout_plan = models.TextField(_("back-out plan"), blank=True, max_length=LONG_TEXT_MAX_LENGTH)
    test_plan = models.TextField(_("test / verification plan"), blank=True,
                                 max_length=LONG_TEXT_MAX_LENGTH)
    planned_start = models.DateTimeField(_("planned start"), null=True, blank=True)
    planned_end = models.DateTimeField(_("planned end"), null=True, blank=True)
    # Assessment (CHG-2).
    impact_business = models.TextField(_("impact on business"), blank=True,
                                       max_length=LONG_TEXT_MAX_LENGTH)
    impact_technology = models.TextField(_("impact on technology"), blank=True,
                                         max_length=LONG_TEXT_MAX_LENGTH)
    impact_security = models.TextField(_("impact on security"), blank=True,
                                       max_length=LONG_TEXT_MAX_LENGTH)
    impact_cost = models.TextField(_("impact on cost"), blank=True, max_length=LONG_TEXT_MAX_LENGTH)
    likelihood = models.PositiveSmallIntegerField(_("likelihood"), choices=Likelihood.choices,
                                                  null=True, blank=True)
    impact = models.PositiveSmallIntegerField(_("impact"), choices=ImpactLevel.choices,
                                              null=True, blank=True)
    risk_level = models.CharField(_("risk level"), max_length=16, choices=RiskLevel.choices,
                                  blank=True, editable=False)
    scale = models.CharField(_("scale"), max_length=20, choices=ChangeScale.choices,
                             blank=True,
                             help_text=_("Empty: derived from the risk level."))
    assessed_at = models.DateTimeField(_("assessed"), null=True, blank=True, editable=False)
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True, editable=False)
    # Implementation, verification and review (CHG-4).
    actual_start = models.DateTimeField(_("actual start"), null=True, blank=True,
                                        editable=False)
    actual_end = models.DateTimeField(_("actual end"), null=True, blank=True, editable=False)
    verification_function = models.TextField(_("function verified"), blank=True,
                                             max_length=LONG_TEXT_MAX_LENGTH)
    verification_performance = models.TextField(_("performance verified"), blank=True,
                                                max_length=LONG_TEXT_MAX_LENGTH)
    verification_security = models.TextField(_("security verified"), blank=True,
                                             max_length=LONG_TEXT_MAX_LENGTH)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices,
                               blank=True)
    review_findings = models.TextField(_("post-implementation review findings"),
                                       blank=True, max_length=LONG_TEXT_MAX_LENGTH)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True, editable=False)

    class Meta(Record.Meta):
        verbose_name = _("change")
        verbose_name_plural = _("changes")
        indexes = [
            models.Index(fields=["organization", "status", "-created_at"],
                         name="chg_org_status"),
            models.Index(fields=["planned_start", "planned_end"], name="chg_window"),
            models.Index(fields=["assignee_team", "status"], name="chg_team_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(planned_start__isnull=True) | models.Q(planned_end__isnull=True)
                | models.Q(planned_end__gt=models.F("planned_start")),
                name="chg_window_ends_after_start"),
        ]

    @property
    def retention_years(self) -> int:  # type: ignore[override]
        """Change records are kept ``ITSM_CHANGE_RETENTION_YEARS`` (default 5, CHG-5)."""
        return settings.ITSM_CHANGE_RETENTION_YEARS


    @property
    def is_emergency(self) -> bool:
        return self.change_type == ChangeType.EMERGENCY

    def clean(self) -> None:
        super().clean()
        self._derive_risk()
        errors: dict[str, str] = {}
        if self.planned_start and self.planned_end and self.planned_end <= self.planned_start:
            errors["planned_end"] = _("The planned end must be after the planned start.")
        if self.change_type == ChangeType.STANDARD and not self.template_id:
            errors["template"] = _("A standard change follows a standard change template.")
        if self.change_type != ChangeType.STANDARD and self.template_id:
            errors["template"] = _("Only standard changes follow a template.")
        provider_id = self.provider_id if self.organization_id else None
        if self.template_id and self.template.provider_id != provider_id:
            errors["template"] = _("Choose a template of this provider.")
        if self.board_id and self.board.provider_id != provider_id:
            errors["board"] = _("Choose a board of this provider.")
        if self.status == ChangeStatus.SCHEDULED and not self.is_emergency:
            frozen = FreezeWindow.objects.covering(self)
            if frozen:
                errors["planned_start"] = _(
                    "The planned window falls in the change freeze “%(name)s” "
                    "(%(start)s – %(end)s).") % {
                        "name": frozen[0].name,
                        "start": timezone.localtime(frozen[0].start).strftime("%Y-%m-%d %H:%M"),
                        "end": timezone.localtime(frozen[0].end).strftime("%Y-%m-%d %H:%M")}
        if (self.status == ChangeStatus.CLOSED and self.is_emergency and not
                self.approvals.filter(stage=Stage.RETROSPECTIVE,
                                      status__in=[ApprovalStatus.APPROVED,
                                                  ApprovalStatus.REJECTED]).exists()):
            errors["review_findings"] = _("An emergency change is closed after the board's "
                                          "retrospective review.")
        if errors:
            raise ValidationError(errors)

    def validate_many(self, values: dict[str, list]) -> None:
        if any(s.provider_id != self.provider_id for s in values.get("services", [])):
            raise ValidationError({"services": _("Choose services of this provider.")})

    def _derive_risk(self) -> None:
        """Likelihood × impact → risk level; the scale follows unless set."""
        if self.change_type == ChangeType.STANDARD:
            self.risk_level, self.scale = RiskLevel.LOW, self.scale or ChangeScale.ORDINARY
        elif self.likelihood and self.impact:
            self.risk_level = DEFAULT_RISK_MATRIX[self.likelihood - 1][self.impact - 1]
            self.scale = self.scale or DEFAULT_SCALE_BY_RISK[self.risk_level]


class ApprovalQuerySet(models.QuerySet):
    def visible_to(self, user) -> ApprovalQuerySet:
        return self.filter(change__in=Change.objects.visible_to(user).order_by().values("pk"))


class Approval(models.Model):
    """One stage of one approval round of a change (department head, CAB, …)."""

    change = models.ForeignKey(Change, verbose_name=_("change"), on_delete=models.CASCADE,
                               related_name="approvals")
    round = models.PositiveSmallIntegerField(_("round"), default=1)
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices)
    board = models.ForeignKey(ChangeBoard, verbose_name=_("change board"),
                              on_delete=models.PROTECT, null=True, blank=True,
                              related_name="approvals")
    approvers = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("approvers"),
                                       related_name="+")
    quorum = models.PositiveSmallIntegerField(_("quorum"), default=1)
    status = models.CharField(_("status"), max_length=16, choices=ApprovalStatus.choices,
                              default=ApprovalStatus.PENDING)
    opened_at = models.DateTimeField(_("opened"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    objects = ApprovalQuerySet.as_manager()

    class Meta:
        verbose_name = _("approval")
        verbose_name_plural = _("approvals")
        ordering = ["change", "round", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["change", "round", "position"],
                                               name="unique_approval_step")]
        indexes = [models.Index(fields=["status", "stage"], name="approval_status_stage")]

    def __str__(self) -> str:
        return f"{self.change_id} #{self.round} {self.stage}"

    @property
    def is_open(self) -> bool:
        return self.status == ApprovalStatus.PENDING and self.opened_at is not None


class Vote(models.Model):
    """An approver's vote on one approval step."""

    approval = models.ForeignKey(Approval, verbose_name=_("approval"),
                                 on_delete=models.CASCADE, related_name="votes")
    voter = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("voter"),
                              on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(_("decision"), max_length=8, choices=VoteDecision.choices)
    comment = models.TextField(_("comment"), blank=True, max_length=COMMENT_MAX_LENGTH)
    cast_at = models.DateTimeField(_("cast"), default=timezone.now)

    class Meta:
        verbose_name = _("vote")
        verbose_name_plural = _("votes")
        ordering = ["cast_at", "id"]
        constraints = [models.UniqueConstraint(fields=["approval", "voter"],
                                               name="one_vote_per_approver")]

    def __str__(self) -> str:
        return f"{self.voter_id} {self.decision}"

    @property
    def decision_color(self) -> str:
        return VoteDecision.color_of(self.decision)


class ChangeTask(models.Model):
    """A piece of the implementation with its own assignee and times."""

    change = models.ForeignKey(Change, verbose_name=_("change"), on_delete=models.CASCADE,
                               related_name="tasks")
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True, max_length=DESCRIPTION_MAX_LENGTH)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("assignee"),
                                 on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+")
    status = models.CharField(_("status"), max_length=16, choices=TaskStatus.choices,
                              default=TaskStatus.OPEN)
    planned_start = models.DateTimeField(_("planned start"), null=True, blank=True)
    planned_end = models.DateTimeField(_("planned end"), null=True, blank=True)
    started_at = models.DateTimeField(_("actual start"), null=True, blank=True)
    finished_at = models.DateTimeField(_("actual end"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True, max_length=COMMENT_MAX_LENGTH)

    class Meta:
        verbose_name = _("change task")
        verbose_name_plural = _("change tasks")
        ordering = ["change", "position", "id"]

    def __str__(self) -> str:
        return self.title

    @property
    def organization_id(self) -> int:
        return self.change.organization_id


class CabMeeting(models.Model):
    """A meeting of a change board: agenda (changes awaiting it), minutes, decisions."""

    board = models.ForeignKey(ChangeBoard, verbose_name=_("change board"),
                              on_delete=models.PROTECT, related_name="meetings")
    title = models.CharField(_("title"), max_length=200)
    scheduled_at = models.DateTimeField(_("date and time"))
    location = models.CharField(_("location"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=MeetingStatus.choices,
                              default=MeetingStatus.PLANNED)
    attendees = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("attendees"),
                                       blank=True, related_name="+")
    minutes = models.TextField(_("minutes"), blank=True, max_length=LONG_TEXT_MAX_LENGTH)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"),
                                   on_delete=models.PROTECT, null=True, related_name="+")

    class QS(ProviderStaffQuerySet):
        provider_path = "board__provider"

    objects = QS.as_manager()

    class Meta:
        verbose_name = _("CAB meeting")
        verbose_name_plural = _("CAB meetings")
        ordering = ["-scheduled_at", "-id"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("changes:meeting-detail", args=[self.pk])

    @property
    def organization_id(self) -> int:
        return self.board.provider_id


class MeetingItem(models.Model):
    """A change on a meeting's agenda and the decision recorded for it."""

    meeting = models.ForeignKey(CabMeeting, verbose_name=_("CAB meeting"),
                                on_delete=models.CASCADE, related_name="items")
    change = models.ForeignKey(Change, verbose_name=_("change"), on_delete=models.PROTECT,
                               related_name="meeting_items")
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    decision = models.CharField(_("decision"), max_length=16,
                                choices=MeetingDecision.choices, blank=True)
    notes = models.TextField(_("notes"), blank=True, max_length=COMMENT_MAX_LENGTH)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    class Meta:
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")
        ordering = ["meeting", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["meeting", "change"],
                                               name="unique_meeting_change")]

    def __str__(self) -> str:
        return f"{self.meeting_id}: {self.change_id}"
