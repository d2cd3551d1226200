"""Quality targets (QA-1) and their evaluations (QA-2).

A :class:`QualityTarget` holds one indicator of the registry (``indicators``) to a
target value with a warning and a critical threshold, per period kind (month, quarter,
half-year, year), for the whole provider or narrowed to a team, a customer and/or a
service. Narrower scopes without a target of their own are held to the provider's
(``targets.target_for``). A :class:`TargetEvaluation` is one period's value of a target
for one scope: the target's own, or one team that inherits it (``scope_key``).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from itsm.core.models import Organization, Team
from itsm.core.models.records import ProviderStaffQuerySet

from . import indicators
from .choices import EvaluationState, PeriodKind


class QualityTarget(models.Model):
    """An indicator's target of a provider (see the module's docstring). For an
    indicator where more is better the thresholds lie below the target (critical ≤
    warning ≤ target), for one where less is better above it."""

    provider = models.ForeignKey(Organization, verbose_name=_("provider"),
                                 on_delete=models.PROTECT, related_name="+")
    indicator = models.CharField(_("indicator"), max_length=64)
    period_kind = models.CharField(_("period"), max_length=16, choices=PeriodKind.choices,
                                   default=PeriodKind.MONTH)
    team = models.ForeignKey(Team, verbose_name=_("team"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(Organization, verbose_name=_("customer"), null=True,
                                 blank=True, on_delete=models.PROTECT, related_name="+")
    service = models.ForeignKey("catalog.Service", verbose_name=_("service"), null=True,
                                blank=True, on_delete=models.PROTECT, related_name="+")
    target = models.DecimalField(_("target value"), max_digits=12, decimal_places=2)
    warning = models.DecimalField(_("warning threshold"), max_digits=12, decimal_places=2)
    critical = models.DecimalField(_("critical threshold"), max_digits=12, decimal_places=2)
    owners = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("owners"),
                                    blank=True, related_name="+")
    is_active = models.BooleanField(_("active"), default=True)

    objects = ProviderStaffQuerySet.as_manager()

    class Meta:
        verbose_name = _("quality target")
        verbose_name_plural = _("quality targets")
        ordering = ["indicator", "period_kind", "pk"]

    def __str__(self) -> str:
        return f"{self.indicator_name} · {self.scope_label}"

    @property
    def indicator_name(self) -> str:
        try:
            return str(indicators.indicator(self.indicator).name)
        except KeyError:
            return self.indicator

    @property
    def direction(self) -> str | None:
        try:
            return indicators.indicator(self.indicator).direction
        except KeyError:
            return None

    @property
    def scope_label(self) -> str:
        parts = [str(o.name) for o in (self.team, self.customer, self.service) if o is not None]
        return " / ".join(parts) or str(_("Whole provider"))

    def clean(self) -> None:
        errors: dict[str, list] = {}
        try:
            found = indicators.indicator(self.indicator)
        except KeyError:
            found = None
            errors["indicator"] = [_("Unknown indicator “%(key)s”.") % {"key": self.indicator}]
        if found is not None:
            for name, dimension in (("team", "team"), ("customer", "customer"),
                                    ("service", "service")):
                if getattr(self, f"{name}_id") and dimension not in found.dimensions:
                    errors.setdefault(name, []).append(
                        _("This indicator cannot be narrowed to a %(dimension)s.")
                        % {"dimension": indicators.DIMENSIONS[dimension]})
        if self.provider_id:
            if self.team_id and self.team.organization_id != self.provider_id:
                errors.setdefault("team", []).append(_("Choose a team of your own."))
            if self.customer_id and self.customer.provider_id != self.provider_id:
                errors.setdefault("customer", []).append(_("Choose one of your customers."))
            if self.service_id and self.service.provider_id != self.provider_id:
                errors.setdefault("service", []).append(_("Choose one of your services."))
        if found is not None and None not in (self.target, self.warning, self.critical):
            errors.update(threshold_errors(found.direction, Decimal(self.target),
                                           Decimal(self.warning), Decimal(self.critical)))
        if self.provider_id and not errors and self.duplicates().exists():
            errors["indicator"] = [_("This indicator has a target for this period and "
                                     "scope already.")]
        if errors:
            raise ValidationError(errors)

    def duplicates(self) -> models.QuerySet:
        """Other targets of the same indicator, period kind and scope (the scope's empty
        fields are NULL, which a unique constraint would let differ)."""
        return QualityTarget.objects.filter(
            provider_id=self.provider_id, indicator=self.indicator,
            period_kind=self.period_kind, team_id=self.team_id,
            customer_id=self.customer_id, service_id=self.service_id).exclude(pk=self.pk)


def threshold_errors(direction: str, target: Decimal, warning: Decimal, critical: Decimal
                     ) -> dict[str, list]:
    """The thresholds must lie on the indicator's bad side of the target, the critical
    one beyond the warning one."""
    errors: dict[str, list] = {}
    if direction == indicators.UP:
        if warning > target:
            errors["warning"] = [_("More is better for this indicator: the warning "
                                   "threshold must not be above the target.")]
        if critical > warning:
            errors["critical"] = [_("More is better for this indicator: the critical "
                                    "threshold must not be above the warning threshold.")]
    else:
        if warning < target:
            errors["warning"] = [_("Less is better for this indicator: the warning "
                                   "threshold must not be below the target.")]
        if critical < warning:
            errors["critical"] = [_("Less is better for this indicator: the critical "
                                    "threshold must not be below the warning threshold.")]
    return errors


class EvaluationQuerySet(ProviderStaffQuerySet):
    provider_path = "target__provider"


class TargetEvaluation(models.Model):
    """One complete period's value of a target for one scope: ``scope_key`` is empty for
    the target's own scope, ``team:<id>`` for a team that inherits a target without a
    team (``team`` is then that team). Written once per target, scope and period."""

    target = models.ForeignKey(QualityTarget, verbose_name=_("quality target"),
                               on_delete=models.CASCADE, related_name="evaluations")
    scope_key = models.CharField(_("scope"), max_length=32, blank=True, default="")
    team = models.ForeignKey(Team, verbose_name=_("team"), null=True, blank=True,
                             on_delete=models.CASCADE, related_name="+")
    period_start = models.DateTimeField(_("period start"))
    period_end = models.DateTimeField(_("period end"))
    value = models.FloatField(_("value"), null=True, blank=True)
    numerator = models.FloatField(_("numerator"), default=0)
    denominator = models.FloatField(_("denominator"), default=0)
    state = models.CharField(_("state"), max_length=16, choices=EvaluationState.choices)
    target_value = models.DecimalField(_("target value"), max_digits=12, decimal_places=2)
    warning = models.DecimalField(_("warning threshold"), max_digits=12, decimal_places=2)
    critical = models.DecimalField(_("critical threshold"), max_digits=12, decimal_places=2)
    computed_at = models.DateTimeField(_("computed at"))

    objects = EvaluationQuerySet.as_manager()

    class Meta:
        verbose_name = _("target evaluation")
        verbose_name_plural = _("target evaluations")
        ordering = ["-period_start", "scope_key"]
        constraints = [models.UniqueConstraint(fields=["target", "scope_key", "period_start"],
                                               name="unique_target_evaluation")]

    def __str__(self) -> str:
        return f"{self.target} {self.period_start:%Y-%m-%d}: {self.get_state_display()}"
