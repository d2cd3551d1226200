"""Service catalogue, SLA policies with targets per priority, and the priority matrix."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from itsm.core import access
from itsm.core.choices import Priority
from itsm.core.limits import DESCRIPTION_MAX_LENGTH
from itsm.core.models import BusinessCalendar, Organization, ScopedQuerySet, Team

from .choices import Impact, Urgency


class ProviderScopedQuerySet(ScopedQuerySet):
    """Catalogue data belongs to a provider; its staff and its customers may read it."""

    organization_path = "provider"

    def visible_to(self, user):
        provider = access.provider_id_of(user)
        return self.filter(provider_id=provider) if provider else self.none()


class ServiceQuerySet(ProviderScopedQuerySet):
    def visible_to(self, user):
        """The provider's staff see its whole catalogue; a customer's people only the
        services their organization subscribes to (not who else is served)."""
        services = super().visible_to(user)
        if access.is_provider_staff(user):
            return services
        org = access.organization_of(user)
        return services.filter(customers=org) if org is not None else self.none()


class ProviderStaffCatalogQuerySet(ProviderScopedQuerySet):
    """Catalogue data only the provider's staff see (SLA policies, the priority matrix)."""

    def visible_to(self, user):
        return super().visible_to(user) if access.is_provider_staff(user) else self.none()


class Service(models.Model):
    """A service of the catalogue (服务目录): owner team, customers, support hours."""

    provider = models.ForeignKey(Organization, verbose_name=_("provider"),
                                 on_delete=models.PROTECT, related_name="services")
    code = models.SlugField(_("code"), max_length=50)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True, max_length=DESCRIPTION_MAX_LENGTH)
    owner_team = models.ForeignKey(Team, verbose_name=_("owner team"), on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="services")
    customers = models.ManyToManyField(Organization, verbose_name=_("customers"), blank=True,
                                       related_name="subscribed_services")
    calendar = models.ForeignKey(BusinessCalendar, verbose_name=_("support hours"),
                                 on_delete=models.PROTECT, related_name="services")
    availability_target = models.DecimalField(
        _("availability target (%)"), max_digits=6, decimal_places=3, default=Decimal("99.9"),
        validators=[MinValueValidator(0), MaxValueValidator(100)])
    max_interruption_minutes = models.PositiveIntegerField(_("max interruption (minutes)"),
                                                           default=60)
    is_active = models.BooleanField(_("active"), default=True)

    objects = ServiceQuerySet.as_manager()

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["provider", "code"],
                                               name="unique_service_code")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_24x7(self) -> bool:
        return self.calendar.always_on


class SLAPolicy(models.Model):
    """Targets for a service and/or customer; the most specific active policy applies."""

    provider = models.ForeignKey(Organization, verbose_name=_("provider"),
                                 on_delete=models.PROTECT, related_name="sla_policies")
    name = models.CharField(_("name"), max_length=200)
    service = models.ForeignKey(Service, verbose_name=_("service"), on_delete=models.CASCADE,
                                null=True, blank=True, related_name="sla_policies")
    customer = models.ForeignKey(Organization, verbose_name=_("customer"),
                                 on_delete=models.CASCADE, null=True, blank=True,
                                 related_name="customer_sla_policies")
    calendar = models.ForeignKey(BusinessCalendar, verbose_name=_("calendar"),
                                 on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+",
                                 help_text=_("Empty: the service's support hours."))
    availability_target = models.DecimalField(
        _("availability target (%)"), max_digits=6, decimal_places=3, default=Decimal("99.9"))
    warning_percent = models.PositiveSmallIntegerField(
        _("warning at (percent of target)"), default=75,
        validators=[MinValueValidator(1), MaxValueValidator(99)])
    second_escalation_percent = models.PositiveSmallIntegerField(
        _("escalate to management at (percent of target)"), default=150,
        validators=[MinValueValidator(101), MaxValueValidator(1000)])
    is_active = models.BooleanField(_("active"), default=True)

    objects = ProviderStaffCatalogQuerySet.as_manager()

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def specificity(self) -> int:
        return (2 if self.service_id else 0) + (1 if self.customer_id else 0)

    def target_for(self, priority: int) -> SLATarget | None:
        return next((t for t in self.targets.all() if t.priority == priority), None)


class SLATarget(models.Model):
    """Response and resolution targets (working minutes) for one priority."""

    policy = models.ForeignKey(SLAPolicy, on_delete=models.CASCADE, related_name="targets")
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices)
    response_minutes = models.PositiveIntegerField(_("response target (minutes)"))
    resolution_minutes = models.PositiveIntegerField(_("resolution target (minutes)"))

    class Meta:
        verbose_name = _("SLA target")
        verbose_name_plural = _("SLA targets")
        ordering = ["priority"]
        constraints = [models.UniqueConstraint(fields=["policy", "priority"],
                                               name="unique_sla_target")]

    def __str__(self) -> str:
        return f"{self.get_priority_display()}: {self.response_minutes}/{self.resolution_minutes}"


class PriorityRule(models.Model):
    """One cell of the priority matrix: impact × urgency → priority (INC-2)."""

    provider = models.ForeignKey(Organization, verbose_name=_("provider"),
                                 on_delete=models.CASCADE, related_name="priority_rules")
    impact = models.PositiveSmallIntegerField(_("impact"), choices=Impact.choices)
    urgency = models.PositiveSmallIntegerField(_("urgency"), choices=Urgency.choices)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices)

    objects = ProviderStaffCatalogQuerySet.as_manager()

    class Meta:
        verbose_name = _("priority rule")
        verbose_name_plural = _("priority matrix")
        ordering = ["impact", "urgency"]
        constraints = [models.UniqueConstraint(fields=["provider", "impact", "urgency"],
                                               name="unique_priority_rule")]

    def __str__(self) -> str:
        return f"{self.impact}×{self.urgency}→{self.priority}"
