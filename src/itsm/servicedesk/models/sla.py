"""SLA clocks on tickets, and customer satisfaction ratings."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from itsm.core.limits import COMMENT_MAX_LENGTH

from ..choices import ClockKind, ClockState


class SLAClock(models.Model):
    """One clock (response or resolution) of one ticket.

    Everything here is derived from the ticket's history by ``sla.recompute_clock``;
    the columns exist so that queues can sort by due time and the sweep can find
    clocks to warn or escalate with one indexed query. ``warned_at``/``breached_at``/
    ``escalated_at`` are set with a conditional UPDATE, so each happens exactly once
    however many workers race.
    """

    record_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    record_id = models.PositiveBigIntegerField()
    record = GenericForeignKey("record_type", "record_id")
    organization_id = models.BigIntegerField()
    kind = models.CharField(_("clock"), max_length=16, choices=ClockKind.choices)
    policy = models.ForeignKey("catalog.SLAPolicy", on_delete=models.SET_NULL, null=True,
                               related_name="+")
    calendar = models.ForeignKey("core.BusinessCalendar", on_delete=models.PROTECT,
                                 related_name="+")
    target_minutes = models.PositiveIntegerField(_("target (working minutes)"))
    started_at = models.DateTimeField(_("started"))
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    paused_since = models.DateTimeField(_("paused since"), null=True, blank=True)
    paused_seconds = models.PositiveBigIntegerField(_("paused (working seconds)"), default=0)
    stopped_at = models.DateTimeField(_("stopped"), null=True, blank=True)
    met = models.BooleanField(_("met"), null=True)
    warn_at = models.DateTimeField(_("warning due"), null=True, blank=True)
    escalate_at = models.DateTimeField(_("second escalation due"), null=True, blank=True)
    warned_at = models.DateTimeField(_("warned"), null=True, blank=True)
    breached_at = models.DateTimeField(_("breached"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated to management"), null=True, blank=True)
    explanation = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("SLA clock")
        verbose_name_plural = _("SLA clocks")
        constraints = [models.UniqueConstraint(fields=["record_type", "record_id", "kind"],
                                               name="unique_sla_clock")]
        indexes = [
            models.Index(fields=["record_type", "record_id"]),
            models.Index(fields=["stopped_at", "due_at"], name="sla_running_due"),
            models.Index(fields=["stopped_at", "warn_at"], name="sla_running_warn"),
            # The service-level report: an organization's clocks stopped / due in a month.
            models.Index(fields=["organization_id", "stopped_at"], name="sla_org_stopped"),
            models.Index(fields=["organization_id", "due_at"], name="sla_org_due"),
        ]

    def __str__(self) -> str:
        return f"{self.record_type_id}:{self.record_id} {self.kind}"

    @property
    def is_running(self) -> bool:
        return self.stopped_at is None and self.paused_since is None

    def state(self, now: dt.datetime | None = None) -> ClockState:
        """Met or breached once stopped; breached once past its due time (marked by the
        sweep, or due before ``now``), even if paused since; else paused or running."""
        if self.stopped_at is not None:
            return ClockState.MET if self.met else ClockState.BREACHED
        if self.met is False or self.breached_at is not None or (
                self.due_at is not None and self.due_at <= (now or timezone.now())):
            return ClockState.BREACHED
        if self.paused_since is not None:
            return ClockState.PAUSED
        return ClockState.RUNNING


class SatisfactionRating(models.Model):
    """The requester's rating of a closed ticket, 1–5 with a comment (FBK-1)."""

    record_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    record_id = models.PositiveBigIntegerField()
    record = GenericForeignKey("record_type", "record_id")
    organization_id = models.BigIntegerField()
    score = models.PositiveSmallIntegerField(
        _("score"), validators=[MinValueValidator(1), MaxValueValidator(5)])
    comment = models.TextField(_("comment"), blank=True, max_length=COMMENT_MAX_LENGTH)
    rated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                 null=True, related_name="+")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="+")
    team = models.ForeignKey("core.Team", on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="+")
    service = models.ForeignKey("catalog.Service", on_delete=models.SET_NULL, null=True,
                                blank=True, related_name="+")
    created_at = models.DateTimeField(_("rated"), default=timezone.now)

    class Meta:
        verbose_name = _("satisfaction rating")
        verbose_name_plural = _("satisfaction ratings")
        constraints = [
            models.UniqueConstraint(fields=["record_type", "record_id"],
                                    name="one_rating_per_ticket"),
            models.CheckConstraint(condition=models.Q(score__gte=1, score__lte=5),
                                   name="rating_score_range"),
        ]
        # The service-level report: an organization's ratings of a month.
        indexes = [models.Index(fields=["organization_id", "created_at"],
                                name="rating_org_created")]

    def __str__(self) -> str:
        return f"{self.record_type_id}:{self.record_id} {self.score}"
