"""Complaints (CPL-1..5) and improvement actions on the record base; cause categories and
complaint clock policies on the object layer."""

from __future__ import annotations

import datetime as dt

from django.contrib.contenttypes.fields import GenericRelation
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from itsm.core import access
from itsm.core.limits import DESCRIPTION_MAX_LENGTH
from itsm.core.models import Organization, ProviderOrSharedQuerySet, Record

from .choices import (
    COMPLAINT_WORKFLOW,
    HANDLER_ROLES,
    IMPROVEMENT_WORKFLOW,
    ComplaintChannel,
    ComplaintLevel,
    ComplaintStatus,
)


class CauseCategory(models.Model):
    """A complaint cause (投诉原因分类), two levels: a category and its subcategories.
    Rows without a provider are the shared defaults."""

    provider = models.ForeignKey(Organization, verbose_name=_("provider"), null=True,
                                 blank=True, on_delete=models.PROTECT, related_name="+")
    parent = models.ForeignKey("self", verbose_name=_("parent category"), null=True,
                               blank=True, on_delete=models.PROTECT, related_name="children")
    name = models.CharField(_("name"), max_length=100)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    objects = ProviderOrSharedQuerySet.as_manager()

    class Meta:
        verbose_name = _("cause category")
        verbose_name_plural = _("cause categories")
        ordering = ["parent_id", "order", "name"]
        constraints = [models.UniqueConstraint(fields=["provider", "parent", "name"],
                                               name="unique_cause_category")]

    def __str__(self) -> str:
        return f"{self.parent.name} / {self.name}" if self.parent_id else self.name

    def clean(self) -> None:
        if self.parent_id and (self.parent.parent_id or self.parent_id == self.pk or (
                self.pk and CauseCategory.objects.filter(parent_id=self.pk).exists())):
            raise ValidationError({"parent": _("Cause categories have two levels only.")})


class ComplaintPolicy(models.Model):
    """Targets of a complaint level (working minutes on a calendar): the provider's
    default (no organization) or for one customer organization."""

    provider = models.ForeignKey(Organization, verbose_name=_("provider"),
                                 on_delete=models.PROTECT, related_name="+")
    organization = models.ForeignKey(Organization, verbose_name=_("organization"), null=True,
                                     blank=True, on_delete=models.PROTECT, related_name="+")
    level = models.CharField(_("level"), max_length=16, choices=ComplaintLevel.choices)
    response_minutes = models.PositiveIntegerField(_("first response (working minutes)"))
    resolution_minutes = models.PositiveIntegerField(_("resolution (working minutes)"),
                                                     null=True, blank=True)
    calendar = models.ForeignKey("core.BusinessCalendar", verbose_name=_("business calendar"),
                                 null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")

    class QS(models.QuerySet):
        def visible_to(self, user):
            if not access.is_provider_staff(user):
                return self.none()
            return self.filter(provider_id=access.provider_id_of(user))

    objects = QS.as_manager()

    class Meta:
        verbose_name = _("complaint policy")
        verbose_name_plural = _("complaint policies")
        constraints = [models.UniqueConstraint(fields=["provider", "organization", "level"],
                                               name="unique_complaint_policy")]

    def __str__(self) -> str:
        resolution = "—" if self.resolution_minutes is None else self.resolution_minutes
        return f"{self.get_level_display()} {self.response_minutes}/{resolution}"

    def clean(self) -> None:
        # The unique constraint lets NULLs differ: one "all customers" policy per level.
        if self.provider_id and self.organization_id is None and ComplaintPolicy.objects.filter(
                provider_id=self.provider_id, organization__isnull=True,
                level=self.level).exclude(pk=self.pk).exists():
            raise ValidationError({"level": _("This level has a policy for all customers "
                                              "already.")})


class Complaint(Record):
    """A complaint (投诉) about the service, from any channel, handled by designated
    handlers under a first-response and (urgent) a resolution clock."""

    number_prefix = "CPL"
    workflow = COMPLAINT_WORKFLOW
    url_prefix = "complaints:complaint"
    retention_years = 2  # CPL-4
    handler_roles = HANDLER_ROLES
    staff_fields = (*Record.staff_fields, "level", "assessment", "cause_category")
    #: What the complainant's side never sees: the internal analysis.
    internal_fields = ("assessment", "cause_category", "rejection_count", "reopen_count")
    waiting_statuses = (ComplaintStatus.PROPOSED,)
    requester_editable_fields = ("title", "description", "service", "system", "remedy_sought")
    search_fields = (*Record.search_fields, "system", "remedy_sought", "resolution")

    channel = models.CharField(_("channel"), max_length=16, choices=ComplaintChannel.choices,
                               default=ComplaintChannel.PORTAL)
    level = models.CharField(_("level"), max_length=16, choices=ComplaintLevel.choices,
                             blank=True)
    received_at = models.DateTimeField(_("time of complaint"), null=True, blank=True)
    service = models.ForeignKey("catalog.Service", verbose_name=_("service"),
                                on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+")
    system = models.CharField(_("system concerned"), max_length=200, blank=True)
    remedy_sought = models.TextField(_("remedy sought"), blank=True,
                                     max_length=DESCRIPTION_MAX_LENGTH)
    assessment = models.TextField(_("assessment"), blank=True, max_length=DESCRIPTION_MAX_LENGTH)
    resolution = models.TextField(_("result"), blank=True, max_length=DESCRIPTION_MAX_LENGTH)
    compensation = models.TextField(_("compensation"), blank=True,
                                    max_length=DESCRIPTION_MAX_LENGTH)
    cause_category = models.ForeignKey(
        CauseCategory, verbose_name=_("cause"), on_delete=models.PROTECT, null=True,
        blank=True, related_name="+", limit_choices_to={"parent__isnull": False})
    satisfaction_score = models.PositiveSmallIntegerField(
        _("satisfaction score"), null=True, blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)])
    evaluated_at = models.DateTimeField(_("evaluated"), null=True, blank=True, editable=False)
    responded_at = models.DateTimeField(_("first response"), null=True, blank=True,
                                        editable=False)
    proposed_at = models.DateTimeField(_("resolution proposed"), null=True, blank=True,
                                       editable=False)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True, editable=False)
    rejection_count = models.PositiveSmallIntegerField(_("rejected by the customer"),
                                                       default=0, editable=False)
    reopen_count = models.PositiveSmallIntegerField(_("reopened"), default=0, editable=False)
    sla_clocks = GenericRelation("servicedesk.SLAClock", content_type_field="record_type",
                                 object_id_field="record_id")

    class Meta(Record.Meta):
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        indexes = [
            models.Index(fields=["status", "created_at"], name="complaint_status"),
            models.Index(fields=["organization", "created_at"], name="complaint_org_created"),
            models.Index(fields=["closed_at"], name="complaint_closed"),
        ]

    @property
    def handling_time(self) -> dt.timedelta | None:
        """From receipt to close (calendar time)."""
        if self.closed_at is None:
            return None
        return self.closed_at - (self.received_at or self.created_at)


class ImprovementAction(Record):
    """An improvement measure opened from complaints sharing a cause (CPL-4): specific,
    measurable, verified. Linked to its complaints."""

    number_prefix = "IMP"
    workflow = IMPROVEMENT_WORKFLOW
    url_prefix = "complaints:improvementaction"
    customers_may_create = False
    customers_may_view = False

    cause_category = models.ForeignKey(CauseCategory, verbose_name=_("cause"),
                                       on_delete=models.PROTECT, null=True, blank=True,
                                       related_name="+")
    measure = models.TextField(_("measure"), blank=True, max_length=DESCRIPTION_MAX_LENGTH)
    verification = models.TextField(_("verification"), blank=True,
                                    max_length=DESCRIPTION_MAX_LENGTH)
    verified_at = models.DateTimeField(_("verified"), null=True, blank=True, editable=False)

    class Meta(Record.Meta):
        verbose_name = _("improvement action")
        verbose_name_plural = _("improvement actions")
