"""Quality targets (QA-1) and their evaluations (QA-2); service improvement plans with
their measures, staff improvement suggestions and quality reviews (QA-2, QA-3).

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
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from itsm.core import access
from itsm.core.limits import DESCRIPTION_MAX_LENGTH, LONG_TEXT_MAX_LENGTH
from itsm.core.models import Organization, Record, Team
from itsm.core.models.records import ProviderStaffQuerySet

from . import indicators
from .choices import (
    PLAN_MANAGER_ROLES,
    PLAN_WORKFLOW,
    REVIEW_WORKFLOW,
    SOURCE_FIELDS,
    STATE_COLOURS,
    SUGGESTION_WORKFLOW,
    EvaluationState,
    PeriodKind,
    PlanSource,
    PlanStage,
    ReviewKind,
)


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

    @property
    def colour(self) -> str:
        """The Bootstrap colour of its state (the traffic light)."""
        return STATE_COLOURS.get(self.state, "secondary")


# --- Improvement: suggestions, reviews, plans and their measures (QA-2, QA-3) -----------


class ImprovementSuggestion(Record):
    """A staff member's improvement suggestion (改进建议): adopted, it becomes an
    improvement plan (``improvement``); declined, with a reason."""

    number_prefix = "SUG"
    workflow = SUGGESTION_WORKFLOW
    url_prefix = "quality:suggestion"
    customers_may_create = False
    customers_may_view = False

    service = models.ForeignKey("catalog.Service", verbose_name=_("service"),
                                on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+")
    decision_reason = models.TextField(_("reason for the decision"), blank=True,
                                       max_length=DESCRIPTION_MAX_LENGTH)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True, editable=False)

    class Meta(Record.Meta):
        verbose_name = _("improvement suggestion")
        verbose_name_plural = _("improvement suggestions")

    def clean(self) -> None:
        super().clean()
        if (self.service_id and self.organization_id
                and self.service.provider_id != self.provider_id):
            raise ValidationError({"service": _("Choose one of your services.")})


class QualityReview(Record):
    """A quality review (质量评审): quarterly, half-yearly or ad hoc, over a period, with
    its participants and conclusions; its follow-up actions are the improvement plans
    opened from it (``plans``)."""

    number_prefix = "QRV"
    workflow = REVIEW_WORKFLOW
    url_prefix = "quality:review"
    customers_may_create = False
    customers_may_view = False
    handler_roles = PLAN_MANAGER_ROLES
    search_fields = (*Record.search_fields, "conclusions")

    kind = models.CharField(_("kind of review"), max_length=16, choices=ReviewKind.choices,
                            default=ReviewKind.QUARTERLY)
    period_start = models.DateField(_("reviewed from"), null=True, blank=True)
    period_end = models.DateField(_("reviewed until"), null=True, blank=True)
    participants = models.ManyToManyField(settings.AUTH_USER_MODEL,
                                          verbose_name=_("participants"), blank=True,
                                          related_name="+")
    conclusions = models.TextField(_("conclusions"), blank=True,
                                   max_length=LONG_TEXT_MAX_LENGTH)
    concluded_at = models.DateTimeField(_("concluded"), null=True, blank=True,
                                        editable=False)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True, editable=False)

    class Meta(Record.Meta):
        verbose_name = _("quality review")
        verbose_name_plural = _("quality reviews")

    def clean(self) -> None:
        super().clean()
        if self.period_start and self.period_end and self.period_end < self.period_start:
            raise ValidationError({"period_end": _("The period ends before it starts.")})

    def validate_many(self, values: dict[str, list]) -> None:
        provider_id = self.provider_id if self.organization_id else None
        strangers = [p for p in values.get("participants", ())
                     if not access.is_staff_of(p, provider_id)]
        if strangers:
            raise ValidationError({"participants": _(
                "Choose members of the service provider's staff.")})


class ImprovementPlan(Record):
    """A service improvement plan (服务改进计划, SIP) run through PDCA.

    Its source is a complaint cause, a survey dimension, an indicator breach (a target
    evaluation), a problem, a staff suggestion, an audit finding or a quality review,
    with the matching reference. It names the indicator it must move (for a team,
    customer or service, or the whole provider) and the target value; entering "do"
    captures the baseline — the indicator over the ``window_days`` before that moment —
    and after the evaluation date the system checks the effect: the same indicator over
    the same-length window ending with the evaluation date, met or not (``improvement``).
    The baseline and the effect check are written by the system only."""

    number_prefix = "SIP"
    workflow = PLAN_WORKFLOW
    url_prefix = "quality:plan"
    customers_may_create = False
    customers_may_view = False
    handler_roles = PLAN_MANAGER_ROLES
    search_fields = (*Record.search_fields, "root_cause", "source_detail")
    #: Written by the system (``improvement``), never by a form or the API.
    system_fields = ("baseline_value", "baseline_start", "baseline_end", "before_value",
                     "before_start", "before_end", "after_value", "after_start",
                     "after_end", "effect_met", "effect_checked_at")

    source_kind = models.CharField(_("source"), max_length=20, choices=PlanSource.choices,
                                   default=PlanSource.OTHER)
    source_cause = models.ForeignKey(
        "complaints.CauseCategory", verbose_name=_("complaint cause"), null=True,
        blank=True, on_delete=models.PROTECT, related_name="+")
    source_problem = models.ForeignKey("problems.Problem", verbose_name=_("problem"),
                                       null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="+")
    source_evaluation = models.ForeignKey(
        TargetEvaluation, verbose_name=_("target evaluation"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+")
    source_suggestion = models.ForeignKey(
        ImprovementSuggestion, verbose_name=_("improvement suggestion"), null=True,
        blank=True, on_delete=models.PROTECT, related_name="plans")
    source_review = models.ForeignKey(
        QualityReview, verbose_name=_("quality review"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="plans")
    source_detail = models.CharField(
        _("audit finding or survey dimension"), max_length=200, blank=True)
    root_cause = models.TextField(_("root cause"), blank=True,
                                  max_length=LONG_TEXT_MAX_LENGTH)
    indicator = models.CharField(_("indicator"), max_length=64, blank=True)
    scope_team = models.ForeignKey(Team, verbose_name=_("team"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    scope_customer = models.ForeignKey(Organization, verbose_name=_("customer"), null=True,
                                       blank=True, on_delete=models.PROTECT,
                                       related_name="+")
    scope_service = models.ForeignKey("catalog.Service", verbose_name=_("service"),
                                      null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="+")
    target_value = models.DecimalField(_("target value"), max_digits=12, decimal_places=2,
                                       null=True, blank=True)
    window_days = models.PositiveSmallIntegerField(
        _("comparison window (days)"), default=30,
        validators=[MinValueValidator(1), MaxValueValidator(366)])
    evaluation_date = models.DateField(_("evaluation date"), null=True, blank=True)
    baseline_value = models.FloatField(_("baseline value"), null=True, blank=True)
    baseline_start = models.DateTimeField(_("baseline from"), null=True, blank=True)
    baseline_end = models.DateTimeField(_("baseline until"), null=True, blank=True)
    before_value = models.FloatField(_("value before"), null=True, blank=True)
    before_start = models.DateTimeField(_("before from"), null=True, blank=True)
    before_end = models.DateTimeField(_("before until"), null=True, blank=True)
    after_value = models.FloatField(_("value after"), null=True, blank=True)
    after_start = models.DateTimeField(_("after from"), null=True, blank=True)
    after_end = models.DateTimeField(_("after until"), null=True, blank=True)
    effect_met = models.BooleanField(_("target met"), null=True, blank=True)
    effect_checked_at = models.DateTimeField(_("effect checked"), null=True, blank=True)
    outcome = models.TextField(_("outcome and follow-up"), blank=True,
                               max_length=DESCRIPTION_MAX_LENGTH)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True, editable=False)

    class Meta(Record.Meta):
        verbose_name = _("service improvement plan")
        verbose_name_plural = _("service improvement plans")
        indexes = [models.Index(fields=["status", "evaluation_date"], name="sip_due_check")]

    @property
    def indicator_definition(self) -> indicators.Indicator | None:
        try:
            return indicators.indicator(self.indicator) if self.indicator else None
        except KeyError:
            return None

    @property
    def scope_label(self) -> str:
        parts = [str(o.name) for o in (self.scope_team, self.scope_customer, self.scope_service)
                 if o is not None]
        return " / ".join(parts) or str(_("Whole provider"))

    @property
    def source_reference(self):
        """The object or text the plan's source kind refers to (None when not given)."""
        name = SOURCE_FIELDS.get(self.source_kind)
        return (getattr(self, name) or None) if name else None

    def clean(self) -> None:
        super().clean()
        errors: dict[str, list] = {}
        provider_id = self.organization.serving_provider_id if self.organization_id else None
        self._clean_source(errors, provider_id)
        self._clean_indicator(errors, provider_id)
        if errors:
            raise ValidationError(errors)
        if (self.status == PlanStage.CHECK and self.pk is not None
                and self.measures.filter(done_at__isnull=True).exists()):
            raise ValidationError(_("Complete every measure before the plan moves to "
                                    "check (or remove the ones no longer needed)."))

    def _clean_source(self, errors: dict[str, list], provider_id: int | None) -> None:
        wanted = SOURCE_FIELDS.get(self.source_kind)
        for name in set(SOURCE_FIELDS.values()) - {wanted}:
            if getattr(self, name if name == "source_detail" else f"{name}_id"):
                errors[name] = [_("Only for a plan of the matching source.")]
        if provider_id is None:
            return
        for name, owner in (("source_problem", lambda o: o.provider_id),
                            ("source_suggestion", lambda o: o.provider_id),
                            ("source_review", lambda o: o.provider_id),
                            ("source_evaluation", lambda o: o.target.provider_id)):
            if getattr(self, f"{name}_id") and owner(getattr(self, name)) != provider_id:
                errors.setdefault(name, []).append(_("Choose one of your own."))
        if self.source_cause_id and self.source_cause.provider_id not in (None, provider_id):
            errors.setdefault("source_cause", []).append(_("Choose one of your own."))

    def _clean_indicator(self, errors: dict[str, list], provider_id: int | None) -> None:
        scope = {"scope_team": "team", "scope_customer": "customer",
                 "scope_service": "service"}
        if not self.indicator:
            for name in ("target_value", *scope):
                if getattr(self, name if name == "target_value" else f"{name}_id") is not None:
                    errors[name] = [_("Choose the indicator first.")]
            return
        found = self.indicator_definition
        if found is None:
            errors["indicator"] = [_("Unknown indicator “%(key)s”.") % {"key": self.indicator}]
            return
        for name, dimension in scope.items():
            if getattr(self, f"{name}_id") and dimension not in found.dimensions:
                errors[name] = [_("This indicator cannot be narrowed to a %(dimension)s.")
                                % {"dimension": indicators.DIMENSIONS[dimension]}]
        if provider_id is not None:
            for name, owner in (("scope_team", lambda o: o.organization_id),
                                ("scope_customer", lambda o: o.provider_id),
                                ("scope_service", lambda o: o.provider_id)):
                if getattr(self, f"{name}_id") and owner(getattr(self, name)) != provider_id:
                    errors.setdefault(name, []).append(_("Choose one of your own."))
        if self.target_value is None:
            errors["target_value"] = [_("Give the value the indicator must reach.")]
        else:
            message = target_error(found, self.target_value, self.baseline_value)
            if message:
                errors["target_value"] = [message]


def target_error(found: indicators.Indicator, target: Decimal, baseline: float | None
                 ) -> str | None:
    """Why ``target`` is no target for the indicator: outside its unit's range, or (with a
    baseline) not better than the baseline in the indicator's direction."""
    target = Decimal(target)
    if target < 0:
        return _("The target value cannot be negative.")
    if found.unit == indicators.PERCENT and target > 100:
        return _("A percentage: at most 100.")
    if baseline is None:
        return None
    if found.direction == indicators.UP and float(target) <= baseline:
        return _("More is better for this indicator: the target must be above the "
                 "baseline %(baseline)s.") % {"baseline": f"{baseline:g}"}
    if found.direction == indicators.DOWN and float(target) >= baseline:
        return _("Less is better for this indicator: the target must be below the "
                 "baseline %(baseline)s.") % {"baseline": f"{baseline:g}"}
    return None


class MeasureQuerySet(models.QuerySet):
    """Measures are seen with their plan: the provider's staff, in their scope."""

    def visible_to(self, user) -> MeasureQuerySet:
        if not access.is_provider_staff(user):
            return self.none()
        return self.filter(plan__organization_id__in=access.scope_organization_ids(user))


class ImprovementMeasure(models.Model):
    """A measure of an improvement plan (改进措施): a task with an owner and a due date,
    done when its owner (or a plan manager) completes it."""

    plan = models.ForeignKey(ImprovementPlan, verbose_name=_("service improvement plan"),
                             on_delete=models.CASCADE, related_name="measures")
    title = models.CharField(_("title"), max_length=200)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"),
                              on_delete=models.PROTECT, related_name="+")
    due_date = models.DateField(_("due date"), null=True, blank=True)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True, max_length=DESCRIPTION_MAX_LENGTH)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    objects = MeasureQuerySet.as_manager()

    class Meta:
        verbose_name = _("improvement measure")
        verbose_name_plural = _("improvement measures")
        ordering = [models.F("due_date").asc(nulls_last=True), "pk"]
        indexes = [models.Index(fields=["owner", "done_at"], name="sip_measure_owner")]

    def __str__(self) -> str:
        return self.title

    @property
    def organization_id(self) -> int | None:
        """Audited under the plan's organization."""
        return self.plan.organization_id

    def clean(self) -> None:
        if self.owner_id and self.plan_id and not access.is_staff_of(
                self.owner, self.plan.provider_id):
            raise ValidationError({"owner": _("Choose a member of the service provider's "
                                              "staff.")})
