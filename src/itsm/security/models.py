"""Emergency response plans (应急预案), drills (应急演练) and plan uses (SEC-3).

Plans belong to a provider, optionally for one customer and one service. Provider staff
read their provider's plans; customers read the approved plans that name their
organization. Drills and plan uses are the provider's (staff only).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from itsm.catalog.models import Service
from itsm.core import access
from itsm.core.limits import COMMENT_MAX_LENGTH, LONG_TEXT_MAX_LENGTH
from itsm.core.models import Organization, ProviderStaffQuerySet
from itsm.core.safejson import BoundedJSONDecoder

from .choices import DrillEvaluation, PlanStatus


def _check_rows(value: Any, keys: tuple[str, ...], required: tuple[str, ...]) -> str | None:
    """An error message if ``value`` is not a list of objects with ``keys`` (or None)."""
    if not isinstance(value, list):
        return gettext("Enter a list.")
    for index, row in enumerate(value, start=1):
        if not isinstance(row, dict):
            return gettext("Row %(row)d is not an object.") % {"row": index}
        unknown = sorted(set(row) - set(keys))
        if unknown:
            return gettext("Row %(row)d has unknown keys: %(keys)s.") % {
                "row": index, "keys": ", ".join(unknown)}
        missing = [k for k in required if not str(row.get(k) or "").strip()]
        if missing:
            return gettext("Row %(row)d lacks: %(keys)s.") % {
                "row": index, "keys": ", ".join(missing)}
    return None


class PlanQuerySet(models.QuerySet):
    def visible_to(self, user) -> PlanQuerySet:
        org = access.organization_of(user)
        if org is None:
            return self.none()
        if access.is_provider_staff(user):
            return self.filter(provider_id=org.pk)
        if access.is_customer(user):
            return self.filter(provider_id=org.provider_id, customer_id=org.pk,
                               status=PlanStatus.APPROVED)
        return self.none()


class EmergencyPlan(models.Model):
    """An emergency response plan with its levels, roles, contacts and the four phases."""

    provider = models.ForeignKey(Organization, verbose_name=_("provider"),
                                 on_delete=models.PROTECT, related_name="emergency_plans")
    customer = models.ForeignKey(Organization, verbose_name=_("customer"),
                                 on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="customer_emergency_plans")
    service = models.ForeignKey(Service, verbose_name=_("service"), on_delete=models.PROTECT,
                                null=True, blank=True, related_name="emergency_plans")
    title = models.CharField(_("title"), max_length=200)
    scope = models.TextField(_("scope"), blank=True, max_length=LONG_TEXT_MAX_LENGTH)
    response_levels = models.JSONField(
        _("response levels"), default=list, blank=True, decoder=BoundedJSONDecoder,
        help_text=_("A list of {level, criteria, actions}."))
    roles = models.TextField(_("roles and responsibilities"), blank=True,
                             max_length=LONG_TEXT_MAX_LENGTH)
    contacts = models.JSONField(_("contacts"), default=list, blank=True,
                                decoder=BoundedJSONDecoder,
                                help_text=_("A list of {name, role, phone}."))
    resources = models.TextField(_("resources"), blank=True, max_length=LONG_TEXT_MAX_LENGTH)
    steps = models.TextField(_("steps"), blank=True, max_length=LONG_TEXT_MAX_LENGTH)
    preparation = models.TextField(_("emergency preparation"), blank=True,
                                   max_length=LONG_TEXT_MAX_LENGTH)
    monitoring_warning = models.TextField(_("monitoring and warning"), blank=True,
                                          max_length=LONG_TEXT_MAX_LENGTH)
    response = models.TextField(_("emergency response"), blank=True,
                                max_length=LONG_TEXT_MAX_LENGTH)
    review = models.TextField(_("review and improvement"), blank=True,
                              max_length=LONG_TEXT_MAX_LENGTH)
    version = models.CharField(_("version"), max_length=20, default="1.0")
    status = models.CharField(_("status"), max_length=20, choices=PlanStatus.choices,
                              default=PlanStatus.DRAFT)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("approved by"),
                                    on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = PlanQuerySet.as_manager()

    class Meta:
        verbose_name = _("emergency plan")
        verbose_name_plural = _("emergency plans")
        ordering = ["title", "id"]
        indexes = [models.Index(fields=["provider", "status"])]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"

    def get_absolute_url(self) -> str:
        return reverse("security:plan-detail", args=[self.pk])

    def clean(self) -> None:
        errors: dict[str, str] = {}
        level_error = _check_rows(self.response_levels, ("level", "criteria", "actions"),
                                  ("level",))
        if level_error:
            errors["response_levels"] = level_error
        contact_error = _check_rows(self.contacts, ("name", "role", "phone"), ("name",))
        if contact_error:
            errors["contacts"] = contact_error
        if self.customer_id and self.customer.provider_id != self.provider_id:
            errors["customer"] = gettext("Choose a customer of this provider.")
        if self.service_id and self.service.provider_id != self.provider_id:
            errors["service"] = gettext("Choose a service of this provider.")
        if errors:
            raise ValidationError(errors)


class DrillQuerySet(ProviderStaffQuerySet):
    provider_path = "plan__provider"


class Drill(models.Model):
    """An exercise of a plan, its evaluation and the follow-up actions it produced."""

    plan = models.ForeignKey(EmergencyPlan, verbose_name=_("emergency plan"),
                             on_delete=models.PROTECT, related_name="drills")
    date = models.DateField(_("date"))
    participants = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True,
                                          verbose_name=_("participants"), related_name="+")
    scenario = models.TextField(_("scenario"), max_length=LONG_TEXT_MAX_LENGTH)
    findings = models.TextField(_("findings"), blank=True, max_length=LONG_TEXT_MAX_LENGTH)
    evaluation = models.CharField(_("evaluation"), max_length=20, blank=True,
                                  choices=DrillEvaluation.choices)
    evaluation_notes = models.TextField(_("evaluation notes"), blank=True,
                                        max_length=LONG_TEXT_MAX_LENGTH)
    follow_ups = models.JSONField(_("follow-up actions"), default=list, blank=True,
                                  decoder=BoundedJSONDecoder,
                                  help_text=_("A list of {action, owner, due, done}."))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = DrillQuerySet.as_manager()

    class Meta:
        verbose_name = _("drill")
        verbose_name_plural = _("drills")
        ordering = ["-date", "-id"]

    def __str__(self) -> str:
        return f"{self.plan.title} {self.date}"

    def get_absolute_url(self) -> str:
        return reverse("security:drill-detail", args=[self.pk])

    @property
    def open_follow_ups(self) -> int:
        return sum(1 for row in self.follow_ups or [] if not row.get("done"))

    def clean(self) -> None:
        error = _check_rows(self.follow_ups, ("action", "owner", "due", "done"), ("action",))
        if error is None:
            for index, row in enumerate(self.follow_ups, start=1):
                due = row.get("due")
                if due:
                    try:
                        dt.date.fromisoformat(str(due))
                    except ValueError:
                        error = gettext("Row %(row)d: the due date must be YYYY-MM-DD.") % {
                            "row": index}
                        break
                if "done" in row and not isinstance(row["done"], bool):
                    error = gettext("Row %(row)d: “done” must be true or false.") % {
                        "row": index}
                    break
        if error:
            raise ValidationError({"follow_ups": error})


class PlanUse(models.Model):
    """A record (e.g. a major incident) that was handled following a plan."""

    plan = models.ForeignKey(EmergencyPlan, verbose_name=_("emergency plan"),
                             on_delete=models.PROTECT, related_name="uses")
    record_type = models.CharField(_("record type"), max_length=50)
    record_id = models.PositiveBigIntegerField(_("record"))
    note = models.TextField(_("note"), blank=True, max_length=COMMENT_MAX_LENGTH)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"),
                                   on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("plan use")
        verbose_name_plural = _("plan uses")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["plan", "record_type", "record_id"],
                                               name="unique_plan_use")]
        indexes = [models.Index(fields=["record_type", "record_id"])]

    def __str__(self) -> str:
        return f"{self.plan} → {self.record_type} {self.record_id}"
