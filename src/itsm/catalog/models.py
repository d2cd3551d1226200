"""Service catalogue, SLA policies with targets per priority, and the priority matrix."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from itsm.core import access
from itsm.core.choices import Priority, Role
from itsm.core.limits import DESCRIPTION_MAX_LENGTH
from itsm.core.models import BusinessCalendar, Organization, ScopedQuerySet, Team
from itsm.core.safejson import BoundedJSONDecoder

from .choices import TILE_ICONS, ApproverKind, FieldKind, Impact, Urgency


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


class RequestTypeQuerySet(ProviderScopedQuerySet):
    def visible_to(self, user):
        """Staff see their provider's request types; a customer's people the active ones
        of the services their organization subscribes to."""
        types = super().visible_to(user)
        if access.is_provider_staff(user):
            return types
        org = access.organization_of(user)
        if org is None:
            return self.none()
        return types.filter(is_active=True, service__is_active=True, service__customers=org)


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
    icon = models.CharField(_("icon"), max_length=40, default="grid",
                            choices=[(name, name) for name in TILE_ICONS])
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


class RequestType(models.Model):
    """A request type of the catalogue (请求类型, 服务目录项): what a customer can ask for
    under a service, with its own fields, approvals, SLA and fulfilment tasks."""

    provider = models.ForeignKey(Organization, verbose_name=_("provider"),
                                 on_delete=models.PROTECT, related_name="request_types")
    service = models.ForeignKey(Service, verbose_name=_("service"), on_delete=models.PROTECT,
                                related_name="request_types")
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True,
                                   max_length=DESCRIPTION_MAX_LENGTH)
    icon = models.CharField(_("icon"), max_length=40, default="grid",
                            choices=[(name, name) for name in TILE_ICONS])
    order = models.PositiveSmallIntegerField(_("order"), default=100)
    sla_policy = models.ForeignKey(
        SLAPolicy, verbose_name=_("SLA policy"), on_delete=models.PROTECT, null=True,
        blank=True, related_name="request_types",
        help_text=_("Empty: the policy of the service and customer applies."))
    is_active = models.BooleanField(_("active"), default=True)

    objects = RequestTypeQuerySet.as_manager()

    class Meta:
        verbose_name = _("request type")
        verbose_name_plural = _("request types")
        ordering = ["service__name", "order", "name"]
        constraints = [models.UniqueConstraint(fields=["service", "name"],
                                               name="unique_request_type_name")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors = {}
        if self.service_id and self.provider_id and self.service.provider_id != self.provider_id:
            errors["service"] = _("Choose a service of your provider.")
        if self.sla_policy_id and self.sla_policy.provider_id != self.provider_id:
            errors["sla_policy"] = _("Choose an SLA policy of your provider.")
        if errors:
            raise ValidationError(errors)


class RequestTypePartQuerySet(models.QuerySet):
    """The parts of a request type: its provider's staff see them."""

    def visible_to(self, user) -> RequestTypePartQuerySet:
        if not access.is_provider_staff(user):
            return self.none()
        return self.filter(request_type__provider_id=access.provider_id_of(user))


class RequestTypeField(models.Model):
    """One field a request type asks for, beside the title and description."""

    request_type = models.ForeignKey(RequestType, verbose_name=_("request type"),
                                     on_delete=models.CASCADE, related_name="fields")
    key = models.SlugField(_("key"), max_length=50,
                           help_text=_("The field's name in the API and the export."))
    label = models.CharField(_("label"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=FieldKind.choices,
                            default=FieldKind.TEXT)
    required = models.BooleanField(_("required"), default=False)
    choices = models.JSONField(_("choices"), default=list, blank=True,
                               decoder=BoundedJSONDecoder,
                               help_text=_("The options of a choice field."))
    help_text = models.CharField(_("help text"), max_length=300, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=100)

    objects = RequestTypePartQuerySet.as_manager()

    class Meta:
        verbose_name = _("request type field")
        verbose_name_plural = _("request type fields")
        ordering = ["order", "id"]
        constraints = [models.UniqueConstraint(fields=["request_type", "key"],
                                               name="unique_request_type_field")]

    def __str__(self) -> str:
        return self.label

    @property
    def organization_id(self) -> int | None:
        return self.request_type.provider_id

    def clean(self) -> None:
        options = self.choices if isinstance(self.choices, list) else None
        if options is None or not all(isinstance(o, str) and o.strip() for o in options):
            raise ValidationError({"choices": _("List the options as texts.")})
        if self.kind == FieldKind.CHOICE and not options:
            raise ValidationError({"choices": _("A choice field needs at least one option.")})
        if len(set(options)) != len(options):
            raise ValidationError({"choices": _("The options must differ.")})


class RequestTypeApproval(models.Model):
    """One step of a request type's approvals, decided in ``order`` before fulfilment."""

    request_type = models.ForeignKey(RequestType, verbose_name=_("request type"),
                                     on_delete=models.CASCADE, related_name="approval_steps")
    order = models.PositiveSmallIntegerField(_("order"), default=1)
    kind = models.CharField(_("approver"), max_length=20, choices=ApproverKind.choices,
                            default=ApproverKind.DEPARTMENT_HEAD)
    role = models.CharField(_("role"), max_length=32, choices=Role.choices, blank=True,
                            help_text=_("For approval by a role: the role the approver holds "
                                        "(customer roles: of the requester's organization)."))

    objects = RequestTypePartQuerySet.as_manager()

    class Meta:
        verbose_name = _("approval step")
        verbose_name_plural = _("approval steps")
        ordering = ["order", "id"]

    def __str__(self) -> str:
        if self.kind == ApproverKind.ROLE:
            return str(Role(self.role).label) if self.role in Role.values else self.role
        return str(self.get_kind_display())

    @property
    def organization_id(self) -> int | None:
        return self.request_type.provider_id

    def clean(self) -> None:
        if self.kind == ApproverKind.ROLE and not self.role:
            raise ValidationError({"role": _("Choose the role that approves.")})
        if self.kind == ApproverKind.DEPARTMENT_HEAD:
            self.role = ""


class RequestTypeTask(models.Model):
    """One task of a request type's fulfilment template, for a team."""

    request_type = models.ForeignKey(RequestType, verbose_name=_("request type"),
                                     on_delete=models.CASCADE, related_name="task_templates")
    order = models.PositiveSmallIntegerField(_("order"), default=1)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True,
                                   max_length=DESCRIPTION_MAX_LENGTH)
    team = models.ForeignKey(Team, verbose_name=_("team"), on_delete=models.PROTECT,
                             related_name="+")

    objects = RequestTypePartQuerySet.as_manager()

    class Meta:
        verbose_name = _("fulfilment task template")
        verbose_name_plural = _("fulfilment tasks")
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.title

    @property
    def organization_id(self) -> int | None:
        return self.request_type.provider_id

    def clean(self) -> None:
        if self.team_id and self.team.organization_id != self.request_type.provider_id:
            raise ValidationError({"team": _("Choose a team of the service provider.")})
