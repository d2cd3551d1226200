"""The write path of continual improvement (QA-2, QA-3): service improvement plans with
their measures, staff suggestions and quality reviews.

- Plans (``create_plan``, ``update_plan``): quality managers, management, team leads and
  administrators open and manage them (``may_manage_plans``); every member of the
  provider's staff reads them. A plan moves through PDCA with
  ``core.services.transition_record`` (the workflow in ``choices``); entering "do"
  captures the baseline (``capture_baseline``, a reaction in ``receivers``): the
  indicator over the plan's window (30 days by default) before that moment.
- Measures (``save_measure``, ``complete_measure``, ``delete_measure``): tasks with an
  owner and a due date, planned and done in the "plan" and "do" stages; their owner or a
  plan manager completes them; a plan moves to "check" only once every one is done.
- The effect check (``check_effect``; ``check_due_effects`` is the daily job): once the
  evaluation date is over (midnight after it, in the provider's time zone), the
  indicator over the baseline window ("before", computed again now, so both values read
  the records as they are today) and over the same-length window ending with the
  evaluation date ("after"); met when "after" reaches the target in the indicator's
  direction (no value: not decided). The result is written by the system (audited, in
  the timeline) and the plan's owner and assignee are told once, whoever runs it.
- Suggestions (``submit_suggestion``): any staff member; adopting one (a transition of
  plan managers) opens a plan from it (``plan_from_suggestion``, a reaction), and the
  submitter hears of the decision.
- Reviews (``create_review``, ``review_evaluations``): the stored target evaluations of
  the review's period; its follow-ups are plans opened from it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from itsm.complaints.models import Complaint
from itsm.core import access, links, objects, services
from itsm.core.choices import LinkKind, NotificationEvent, TimelineKind
from itsm.core.exceptions import WorkflowError
from itsm.core.models import Organization, Record
from itsm.core.notifications import absolute, by_language, notify
from itsm.problems.models import Problem

from . import indicators
from .choices import (
    CHECKED_STAGES,
    MEASURE_STAGES,
    PLAN_MANAGER_ROLES,
    PlanSource,
    SuggestionStatus,
)
from .models import (
    ImprovementMeasure,
    ImprovementPlan,
    ImprovementSuggestion,
    QualityReview,
    TargetEvaluation,
)
from .targets import zone_of

logger = logging.getLogger(__name__)

#: What a plan's form and the API may set on a measure.
MEASURE_FIELDS = ("title", "owner", "due_date", "note")


# --- Who may do what -----------------------------------------------------------------------

def may_manage_plans(user) -> bool:
    """Quality managers, management, team leads and administrators of a provider: they
    open and manage improvement plans and reviews, and decide staff suggestions."""
    return (access.is_staff_writer(user)
            and access.has_role(user, *PLAN_MANAGER_ROLES))


def require_plan_manager(actor) -> None:
    """PermissionDenied unless ``actor`` may manage plans (no check for the system)."""
    if actor is not None and not may_manage_plans(actor):
        raise PermissionDenied(_("Only quality managers, management, team leads and "
                                 "administrators may manage improvement plans and "
                                 "reviews."))


def may_complete(user, measure: ImprovementMeasure) -> bool:
    """The measure's owner or a plan manager (neither may be a read-only role)."""
    return access.is_staff_writer(user) and (measure.owner_id == user.pk
                                             or may_manage_plans(user))


# --- Dates and scopes ------------------------------------------------------------------------

def provider_of(organization: Organization) -> Organization:
    """The provider serving ``organization`` (itself for a provider)."""
    if organization.serving_provider_id == organization.pk:
        return organization
    return organization.provider


def local_today(organization: Organization, now: dt.datetime | None = None) -> dt.date:
    return (now or timezone.now()).astimezone(zone_of(provider_of(organization))).date()


def evaluation_end(plan: ImprovementPlan) -> dt.datetime:
    """The moment the evaluation date is over: the next midnight in the provider's time
    zone (the "after" window ends there)."""
    day = plan.evaluation_date + dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(), tzinfo=zone_of(provider_of(plan.organization)))


def check_evaluation_date(organization: Organization, value: dt.date | None) -> None:
    """A field error for an evaluation date before today (the provider's today)."""
    if value is not None and value < local_today(organization):
        raise ValidationError({"evaluation_date": _("The evaluation date cannot be in the "
                                                    "past.")})


def scope_of(plan: ImprovementPlan) -> indicators.Scope:
    return indicators.Scope(provider_id=plan.provider_id, customer_id=plan.scope_customer_id,
                            service_id=plan.scope_service_id, team_id=plan.scope_team_id)


def reached(direction: str, value: float, target) -> bool:
    """Whether ``value`` reaches ``target`` in the indicator's direction."""
    return value >= float(target) if direction == indicators.UP else value <= float(target)


def current_value(plan: ImprovementPlan, now: dt.datetime | None = None
                  ) -> indicators.Value | None:
    """The indicator over the last window as of now (what the baseline would be)."""
    if plan.indicator_definition is None:
        return None
    now = now or timezone.now()
    return indicators.value(plan.indicator, scope_of(plan),
                            now - dt.timedelta(days=plan.window_days), now)


# --- Plans -----------------------------------------------------------------------------------

def _owned_by(actor, data: dict[str, Any]) -> dict[str, Any]:
    """The actor's organization and the actor as requester, unless given."""
    data = dict(data)
    if actor is not None:
        if data.get("organization") is None:
            data["organization"] = access.organization_of(actor)
        data.setdefault("requester", actor)
    return data


@transaction.atomic
def create_plan(*, actor, data: dict[str, Any], about: Iterable[Record] = ()
                ) -> ImprovementPlan:
    """Open an improvement plan in the "plan" stage and link it to the records it comes
    from (``about``: a complaint, a problem)."""
    require_plan_manager(actor)
    data = _owned_by(actor, data)
    if data.get("organization") is not None:
        check_evaluation_date(data["organization"], data.get("evaluation_date"))
    plan = services.create_record(ImprovementPlan, actor=actor, data=data)
    for record in about:
        links.link_records(plan, record, kind=LinkKind.RELATED, actor=None)
    return plan


@transaction.atomic
def update_plan(plan: ImprovementPlan, *, actor, changes: dict[str, Any],
                expected_version: int | None = None) -> ImprovementPlan:
    """Change a plan's fields (plan managers); the baseline and the effect check are the
    system's."""
    require_plan_manager(actor)
    system = set(changes) & set(ImprovementPlan.system_fields)
    if system and actor is not None:
        raise ValidationError({name: _("Written by the system.") for name in system})
    if "evaluation_date" in changes and changes["evaluation_date"] != plan.evaluation_date:
        check_evaluation_date(plan.organization, changes["evaluation_date"])
    return services.update_record(plan, actor=actor, changes=changes,
                                  expected_version=expected_version)


def capture_baseline(plan: ImprovementPlan, now: dt.datetime | None = None
                     ) -> ImprovementPlan:
    """The plan enters "do": its indicator over the ``window_days`` before now is the
    baseline (written by the system; a target that is no improvement on it is refused,
    and so is the move)."""
    now = now or timezone.now()
    check_evaluation_date(plan.organization, plan.evaluation_date)
    start = now - dt.timedelta(days=plan.window_days)
    found = indicators.value(plan.indicator, scope_of(plan), start, now)
    return services.update_record(plan, actor=None, changes={
        "baseline_value": found.value, "baseline_start": start, "baseline_end": now})


def due_for_check(now: dt.datetime | None = None) -> QuerySet:
    """Plans with a baseline whose evaluation date may be over (every time zone) and whose
    effect was not checked yet; ``evaluation_end`` decides for each."""
    now = now or timezone.now()
    latest = (now + dt.timedelta(days=1)).date()
    return ImprovementPlan.objects.filter(
        status__in=CHECKED_STAGES, effect_checked_at__isnull=True,
        baseline_start__isnull=False, evaluation_date__lt=latest).order_by("pk")


@transaction.atomic
def check_effect(plan: ImprovementPlan, *, actor=None, now: dt.datetime | None = None
                 ) -> ImprovementPlan | None:
    """Record the plan's effect (see the module's docstring). The system (``actor``
    None) checks a plan once; a plan manager may check it again on demand (the records
    may have changed). None when another run has checked it meanwhile."""
    require_plan_manager(actor)
    now = now or timezone.now()
    plan = ImprovementPlan.objects.select_for_update(of=("self",)).select_related(
        "organization__provider").get(pk=plan.pk)
    if actor is None and plan.effect_checked_at is not None:
        return None
    if plan.status not in CHECKED_STAGES or plan.baseline_start is None:
        raise WorkflowError(_("The effect of %(number)s can be checked once it is being "
                              "implemented (it has a baseline).") % {"number": plan.number})
    found = plan.indicator_definition
    if found is None or plan.evaluation_date is None:
        raise ValidationError({"indicator": _("The plan has no indicator to check.")})
    after_end = evaluation_end(plan)
    if after_end > now:
        raise ValidationError({"evaluation_date": _(
            "The effect can be checked once the evaluation date (%(date)s) is over.")
            % {"date": plan.evaluation_date.isoformat()}})
    window = plan.baseline_end - plan.baseline_start
    scope = scope_of(plan)
    before = indicators.value(plan.indicator, scope, plan.baseline_start, plan.baseline_end)
    after = indicators.value(plan.indicator, scope, after_end - window, after_end)
    met = None if after.value is None else reached(found.direction, after.value,
                                                   plan.target_value)
    version = plan.version
    plan = services.update_record(plan, actor=actor, changes={
        "before_value": before.value, "before_start": plan.baseline_start,
        "before_end": plan.baseline_end, "after_value": after.value,
        "after_start": after_end - window, "after_end": after_end, "effect_met": met,
        "effect_checked_at": now})
    services.add_timeline_event(plan, TimelineKind.UPDATED, actor=actor,
                                reason=EFFECT_REASONS[met], reason_params=_values(plan))
    _tell_effect(plan, actor, dedupe=f"improvement-effect:{plan.pk}:v{version}")
    return plan


EFFECT_REASONS = {True: gettext_noop("effect check: target met (before %(before)s, after "
                                     "%(after)s, target %(target)s)"),
                  False: gettext_noop("effect check: target not met (before %(before)s, "
                                      "after %(after)s, target %(target)s)"),
                  None: gettext_noop("effect check: no data after the evaluation date "
                                     "(before %(before)s, target %(target)s)")}


def _number(value) -> str:
    return "—" if value is None else f"{value:g}"


def _values(plan: ImprovementPlan) -> dict[str, str]:
    return {"before": _number(plan.before_value), "after": _number(plan.after_value),
            "target": _number(plan.target_value)}


def _tell_effect(plan: ImprovementPlan, actor, *, dedupe: str) -> None:
    """The owner and the assignee (else who opened the plan) hear of the result, each in
    their own language; once per check, whoever runs it."""
    people = [p for p in (plan.owner, plan.assignee) if p is not None] or [plan.requester]
    for language, recipients in by_language(people, actor).items():
        with translation.override(language):
            values = {**_values(plan), "number": plan.number, "title": plan.title,
                      "indicator": str(plan.indicator_definition.name),
                      "result": _("target met") if plan.effect_met else (
                          _("target not met") if plan.effect_met is False else _("no data")),
                      "url": absolute(plan.get_absolute_url())}
            notify(NotificationEvent.IMPROVEMENT_UPDATE, record=plan, recipients=recipients,
                   subject=_("[%(number)s] Effect check: %(result)s") % values,
                   body=_("The effect of the improvement plan “%(title)s” was checked: "
                          "%(indicator)s before %(before)s, after %(after)s, target "
                          "%(target)s — %(result)s. See %(url)s.") % values,
                   language=language, actor=actor, dedupe_key=f"{dedupe}:{language}")


def check_due_effects(now: dt.datetime | None = None) -> int:
    """The daily job: check every plan whose evaluation date is over; how many were
    checked by this run. A plan that cannot be checked is logged and left for later."""
    now = now or timezone.now()
    checked = 0
    for plan in due_for_check(now).select_related("organization__provider"):
        if evaluation_end(plan) > now:
            continue
        try:
            checked += check_effect(plan, now=now) is not None
        except (ValidationError, WorkflowError) as exc:
            logger.warning("improvement plan %s: effect not checked: %s", plan.number, exc)
    return checked


# --- Measures --------------------------------------------------------------------------------

def _require_measure_stage(plan: ImprovementPlan) -> None:
    if plan.status not in MEASURE_STAGES:
        raise WorkflowError(_("Measures are planned and done while %(number)s is in the "
                              "“Plan” or “Do” stage.") % {"number": plan.number})


def _measure_event(plan: ImprovementPlan, actor, reason: str, measure: ImprovementMeasure
                   ) -> None:
    services.add_timeline_event(plan, TimelineKind.UPDATED, actor=actor, reason=reason,
                                reason_params={"title": measure.title})


@transaction.atomic
def save_measure(plan: ImprovementPlan, measure: ImprovementMeasure | None, *, actor,
                 data: dict[str, Any]) -> ImprovementMeasure:
    """Add (``measure`` None) or change a measure of the plan (plan managers); a new
    owner hears of it."""
    require_plan_manager(actor)
    _require_measure_stage(plan)
    unknown = set(data) - set(MEASURE_FIELDS)
    if unknown:
        raise ValidationError({name: _("This field cannot be set.") for name in unknown})
    if "title" in data:
        data = {**data, "title": (data["title"] or "").strip()}
    previous_owner = measure.owner_id if measure is not None else None
    saved = objects.save_object(measure or ImprovementMeasure, actor=actor,
                                data={**data, "plan": plan},
                                organization_id=plan.organization_id)
    _measure_event(plan, actor, gettext_noop("measure “%(title)s” added") if measure is None
                   else gettext_noop("measure “%(title)s” changed"), saved)
    if saved.owner_id != previous_owner:
        _tell_owner(saved, actor)
    return saved


def _tell_owner(measure: ImprovementMeasure, actor) -> None:
    plan = measure.plan
    for language, recipients in by_language([measure.owner], actor).items():
        with translation.override(language):
            values = {"number": plan.number, "title": measure.title, "plan": plan.title,
                      "url": absolute(plan.get_absolute_url())}
            notify(NotificationEvent.RECORD_ASSIGNED, record=plan, recipients=recipients,
                   subject=_("[%(number)s] Improvement measure for you: %(title)s") % values,
                   body=_("You own the measure “%(title)s” of the improvement plan "
                          "“%(plan)s”. See %(url)s.") % values, language=language,
                   actor=actor, dedupe_key=(f"improvement-measure:{measure.pk}:"
                                            f"{measure.owner_id}:{language}"))


@transaction.atomic
def complete_measure(measure: ImprovementMeasure, *, actor, note: str = ""
                     ) -> ImprovementMeasure:
    """Its owner or a plan manager marks the measure done (with a note)."""
    if actor is not None and not may_complete(actor, measure):
        raise PermissionDenied(_("Only the measure's owner or a plan manager may complete "
                                 "it."))
    measure = ImprovementMeasure.objects.select_for_update(of=("self",)).select_related(
        "plan").get(pk=measure.pk)
    _require_measure_stage(measure.plan)
    if measure.done_at is not None:
        raise WorkflowError(_("“%(title)s” is done already.") % {"title": measure.title})
    data: dict[str, Any] = {"done_at": timezone.now()}
    if note.strip():
        data["note"] = note.strip()
    saved = objects.save_object(measure, actor=actor, data=data,
                                organization_id=measure.plan.organization_id)
    _measure_event(measure.plan, actor, gettext_noop("measure “%(title)s” done"), saved)
    return saved


@transaction.atomic
def delete_measure(measure: ImprovementMeasure, *, actor) -> None:
    """A plan manager removes a measure no longer needed (plan and do stages)."""
    require_plan_manager(actor)
    plan = measure.plan
    _require_measure_stage(plan)
    objects.delete_object(measure, actor=actor, organization_id=plan.organization_id)
    _measure_event(plan, actor, gettext_noop("measure “%(title)s” removed"), measure)


# --- Suggestions -----------------------------------------------------------------------------

@transaction.atomic
def submit_suggestion(*, actor, data: dict[str, Any]) -> ImprovementSuggestion:
    """A staff member's suggestion, in their provider's name."""
    if actor is not None and not access.is_staff_writer(actor):
        raise PermissionDenied(_("Only the service provider's staff may submit "
                                 "improvement suggestions."))
    return services.create_record(ImprovementSuggestion, actor=actor,
                                  data=_owned_by(actor, data))


def plan_from_suggestion(suggestion: ImprovementSuggestion, actor) -> ImprovementPlan:
    """The plan an adopted suggestion becomes (owned by whoever adopted it), linked to
    it."""
    plan = services.create_record(ImprovementPlan, actor=actor, data={
        "organization": suggestion.organization, "requester": actor or suggestion.requester,
        "owner": actor, "title": suggestion.title, "description": suggestion.description,
        "source_kind": PlanSource.SUGGESTION, "source_suggestion": suggestion})
    links.link_records(plan, suggestion, kind=LinkKind.RELATED, actor=None)
    return plan


def tell_submitter(suggestion: ImprovementSuggestion, actor) -> None:
    """The submitter hears whether their suggestion was adopted (and as which plan) or
    declined, with the reason."""
    adopted = suggestion.status == SuggestionStatus.ADOPTED
    plan = suggestion.plans.order_by("pk").first() if adopted else None
    for language, recipients in by_language([suggestion.requester], actor).items():
        with translation.override(language):
            values = {"number": suggestion.number, "title": suggestion.title,
                      "reason": suggestion.decision_reason or "—",
                      "plan": plan.number if plan else "",
                      "url": absolute((plan or suggestion).get_absolute_url())}
            if adopted:
                subject = _("[%(number)s] Your suggestion was adopted") % values
                body = _("Your improvement suggestion “%(title)s” was adopted as the "
                         "improvement plan %(plan)s. See %(url)s.") % values
            else:
                subject = _("[%(number)s] Your suggestion was declined") % values
                body = _("Your improvement suggestion “%(title)s” was declined: "
                         "%(reason)s. See %(url)s.") % values
            notify(NotificationEvent.IMPROVEMENT_UPDATE, record=suggestion,
                   recipients=recipients, subject=subject, body=body, language=language,
                   actor=actor, dedupe_key=f"improvement-suggestion:{suggestion.pk}:"
                                           f"{suggestion.status}:{language}")


# --- Reviews ---------------------------------------------------------------------------------

@transaction.atomic
def create_review(*, actor, data: dict[str, Any]) -> QualityReview:
    """A quality review of a period (plan managers)."""
    require_plan_manager(actor)
    missing = {name: _("This field is required.") for name in ("period_start", "period_end")
               if not data.get(name)}
    if missing:
        raise ValidationError(missing)
    return services.create_record(QualityReview, actor=actor, data=_owned_by(actor, data))


@transaction.atomic
def update_review(review: QualityReview, *, actor, changes: dict[str, Any],
                  expected_version: int | None = None) -> QualityReview:
    require_plan_manager(actor)
    return services.update_record(review, actor=actor, changes=changes,
                                  expected_version=expected_version)


def review_evaluations(review: QualityReview) -> list[TargetEvaluation]:
    """The stored evaluations of the provider's targets for the periods inside the
    review's (targets against actual values, and their state): one query."""
    if review.period_start is None or review.period_end is None:
        return []
    tz = zone_of(provider_of(review.organization))
    start = dt.datetime.combine(review.period_start, dt.time(), tzinfo=tz)
    end = dt.datetime.combine(review.period_end + dt.timedelta(days=1), dt.time(), tzinfo=tz)
    return list(TargetEvaluation.objects.filter(
        target__provider_id=review.provider_id, period_start__gte=start,
        period_end__lte=end).select_related(
        "target", "target__team", "target__customer", "target__service", "team").order_by(
        "target__indicator", "period_start", "scope_key"))


# --- Where plans start: the pages that open one ---------------------------------------------

def prefill(user, params) -> tuple[dict[str, Any], list[Record]]:
    """The initial values of a new plan opened from a complaint (``complaint``), a problem
    (``problem``), a target evaluation (``evaluation``) or a review (``review``) named
    by id in ``params``, and the records to link it to; nothing for what ``user`` cannot
    see."""
    def visible(model, name):
        value = str(params.get(name) or "")
        return (model.objects.visible_to(user).filter(pk=int(value)).first()
                if value.isdigit() and len(value) < 19 else None)

    if (complaint := visible(Complaint, "complaint")) is not None:
        cause = complaint.cause_category
        return {"source_kind": PlanSource.COMPLAINT_CAUSE, "source_cause": cause,
                "indicator": "complaint-rate",
                "title": str(cause) if cause is not None else complaint.title}, [complaint]
    if (problem := visible(Problem, "problem")) is not None:
        return {"source_kind": PlanSource.PROBLEM, "source_problem": problem,
                "title": problem.title, "description": problem.description,
                "root_cause": problem.root_cause}, [problem]
    if (evaluation := visible(TargetEvaluation, "evaluation")) is not None:
        target = evaluation.target
        team = evaluation.team or target.team
        return {"source_kind": PlanSource.INDICATOR_BREACH, "source_evaluation": evaluation,
                "indicator": target.indicator, "scope_team": team,
                "scope_customer": target.customer, "scope_service": target.service,
                "target_value": target.target,
                "title": f"{target.indicator_name} · {team.name if team else target.scope_label}"
                }, []
    if (review := visible(QualityReview, "review")) is not None:
        return {"source_kind": PlanSource.QUALITY_REVIEW, "source_review": review}, []
    return {}, []
