"""Pages of continual improvement, on the generic record views: improvement plans (with
their measures and the effect check), staff suggestions and quality reviews (with the
target evaluations of their period and the plans opened from them)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from itsm.core import access, links
from itsm.core import views as base
from itsm.core.filtersets import MAX_ID
from itsm.core.models import Record

from . import improvement
from .choices import CHECKED_STAGES, MEASURE_STAGES, PlanStage
from .improvement_filtersets import (
    ImprovementPlanFilterSet,
    ImprovementSuggestionFilterSet,
    QualityReviewFilterSet,
)
from .improvement_forms import (
    CompleteMeasureForm,
    ImprovementMeasureForm,
    ImprovementPlanForm,
    ImprovementSuggestionForm,
    QualityReviewForm,
)
from .improvement_resources import (
    ImprovementPlanResource,
    ImprovementSuggestionResource,
    QualityReviewResource,
)
from .models import ImprovementMeasure, ImprovementPlan, ImprovementSuggestion, QualityReview

# --- Plans -----------------------------------------------------------------------------------


class PlanMixin:
    model = ImprovementPlan
    form_class = ImprovementPlanForm
    filterset_class = ImprovementPlanFilterSet
    export_resource = ImprovementPlanResource
    #: The side column shows date-times as such: the evaluation date is in the panel.
    detail_fields = ("closed_at",)

    def get_queryset(self):
        return super().get_queryset().select_related(
            "source_cause__parent", "source_problem", "source_evaluation__target",
            "source_suggestion", "source_review", "scope_team", "scope_customer",
            "scope_service")

    def may_create(self) -> bool:
        return improvement.may_manage_plans(self.request.user)

    def panels(self, record: ImprovementPlan, page: dict[str, Any]) -> list[base.Panel]:
        user = self.request.user
        manage = improvement.may_manage_plans(user)
        edit_forms = page.get("measure_edit_forms", {})
        measures = [(m, improvement.may_complete(user, m), edit_forms.get(m.pk) or
                     ImprovementMeasureForm(instance=m, user=user, prefix=f"m{m.pk}"))
                    for m in record.measures.select_related("owner")]
        due = record.evaluation_date and record.baseline_start and (
            improvement.evaluation_end(record) <= timezone.now())
        return [*super().panels(record, page),
                base.Panel("quality/improvement_panel.html", {
                    "indicator": record.indicator_definition,
                    "current": (improvement.current_value(record)
                                if record.status == PlanStage.PLAN else None),
                    "can_check_effect": bool(manage and due
                                             and record.status in CHECKED_STAGES),
                    "linked_records": links.linked_records(record, user)}),
                base.Panel("quality/improvement_measures.html", {
                    "measures": measures, "open_measures": sum(
                        1 for m, *_rest in measures if m.done_at is None),
                    "measure_stage": record.status in MEASURE_STAGES,
                    "can_manage_measures": manage and record.status in MEASURE_STAGES,
                    "measure_form": page.get("measure_form") or ImprovementMeasureForm(
                        user=user, prefix="new"),
                    "complete_form": CompleteMeasureForm()})]


class PlanFormView(base.RecordFormView):
    """Create (``?complaint=``, ``?problem=``, ``?evaluation=`` or ``?review=`` opens it
    from that record, prefilled) or edit a plan through ``improvement``."""

    template_name = "quality/improvement_form.html"

    def opened_from(self) -> tuple[dict[str, Any], list[Record]]:
        if "pk" in self.kwargs:
            return {}, []
        return improvement.prefill(self.request.user, self.request.GET)

    def get_form(self, record):
        data = self.request.POST if self.request.method == "POST" else None
        initial = self.opened_from()[0] if record is None else {}
        return self.form_class(data, instance=record, user=self.request.user, initial=initial)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "about": self.opened_from()[1]}

    update_with = staticmethod(improvement.update_plan)

    def save(self, form, record):
        if record is None:
            return improvement.create_plan(actor=self.request.user, data=form.service_data(),
                                           about=self.opened_from()[1])
        return super().save(form, record)


class MeasureActionView(base.RecordActionView):
    """A POST about one measure of the plan (``measure_id``; 404 when not the plan's)."""

    def measure(self, plan: ImprovementPlan) -> ImprovementMeasure:
        measure_id = int(self.kwargs["measure_id"])
        measure = (plan.measures.select_related("owner").filter(pk=measure_id).first()
                   if measure_id <= MAX_ID else None)
        if measure is None:
            raise Http404
        return measure


class MeasureAddView(base.RecordActionView):
    def act(self, record: ImprovementPlan) -> dict | None:
        user = self.request.user
        form = ImprovementMeasureForm(self.request.POST, user=user, prefix="new")
        if form.is_valid():
            try:
                measure = improvement.save_measure(record, None, actor=user,
                                                   data=form.cleaned_data)
                messages.success(self.request, _("Measure “%(title)s” added.")
                                 % {"title": measure.title})
                return None
            except ValidationError as exc:
                base.add_errors(form, exc)
        return {"measure_form": form}


class MeasureEditView(MeasureActionView):
    def act(self, record: ImprovementPlan) -> dict | None:
        user, measure = self.request.user, self.measure(record)
        form = ImprovementMeasureForm(self.request.POST, instance=measure, user=user,
                                      prefix=f"m{measure.pk}")
        if form.is_valid():
            try:
                improvement.save_measure(record, measure, actor=user, data=form.cleaned_data)
                return None
            except ValidationError as exc:
                base.add_errors(form, exc)
        return {"measure_edit_forms": {measure.pk: form}}


class MeasureCompleteView(MeasureActionView):
    def act(self, record: ImprovementPlan) -> dict | None:
        form = CompleteMeasureForm(self.request.POST)
        note = form.cleaned_data["note"] if form.is_valid() else ""
        measure = improvement.complete_measure(self.measure(record), actor=self.request.user,
                                               note=note)
        messages.success(self.request, _("Measure “%(title)s” done.")
                         % {"title": measure.title})
        return None


class MeasureDeleteView(MeasureActionView):
    def act(self, record: ImprovementPlan) -> dict | None:
        improvement.delete_measure(self.measure(record), actor=self.request.user)
        return None


class CheckEffectView(base.RecordActionView):
    """POST: check the plan's effect now (plan managers, once the evaluation date is
    over)."""

    def act(self, record: ImprovementPlan) -> dict | None:
        try:
            improvement.check_effect(record, actor=self.request.user)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(self.request, message)
            return {}
        messages.success(self.request, _("The effect was checked."))
        return None


PLAN_VIEWS = base.views_for(PlanMixin, {
    "form": PlanFormView, "measure-add": MeasureAddView, "measure-edit": MeasureEditView,
    "measure-complete": MeasureCompleteView, "measure-delete": MeasureDeleteView,
    "check-effect": CheckEffectView})


def plan_from(record: Record, user, parameter: str) -> str | None:
    """The page opening an improvement plan from ``record`` (named as ``parameter``), for
    those who may manage plans."""
    if not improvement.may_manage_plans(user):
        return None
    return f"{reverse('quality:plan-create')}?{urlencode({parameter: record.pk})}"


def plan_from_complaint(record: Record, user) -> str | None:
    return plan_from(record, user, "complaint")


def plan_from_problem(record: Record, user) -> str | None:
    return plan_from(record, user, "problem")


# --- Suggestions ---------------------------------------------------------------------------


class SuggestionMixin:
    model = ImprovementSuggestion
    form_class = ImprovementSuggestionForm
    filterset_class = ImprovementSuggestionFilterSet
    export_resource = ImprovementSuggestionResource
    detail_fields = ("service", "decision_reason", "decided_at")

    def get_queryset(self):
        return super().get_queryset().select_related("service")

    def may_create(self) -> bool:
        return access.is_staff_writer(self.request.user)

    def panels(self, record: ImprovementSuggestion, page: dict[str, Any]) -> list[base.Panel]:
        return [*super().panels(record, page), base.Panel(
            "quality/suggestion_plans.html", {"suggestion_plans": list(record.plans.all())})]


class SuggestionFormView(base.RecordFormView):
    def save(self, form, record):
        if record is None:
            return improvement.submit_suggestion(actor=self.request.user,
                                                 data=form.service_data())
        return super().save(form, record)


SUGGESTION_VIEWS = base.views_for(SuggestionMixin, {"form": SuggestionFormView})


# --- Reviews -------------------------------------------------------------------------------


class ReviewMixin:
    model = QualityReview
    form_class = QualityReviewForm
    filterset_class = QualityReviewFilterSet
    export_resource = QualityReviewResource
    #: The period (dates) and the conclusions are in the panel.
    detail_fields = ("kind", "concluded_at", "closed_at")

    def may_create(self) -> bool:
        return improvement.may_manage_plans(self.request.user)

    def panels(self, record: QualityReview, page: dict[str, Any]) -> list[base.Panel]:
        evaluations = improvement.review_evaluations(record)
        return [*super().panels(record, page), base.Panel("quality/review_panel.html", {
            "evaluations": evaluations,
            "participants": list(record.participants.all()),
            "follow_ups": list(record.plans.all()),
            "open_plan_url": plan_from(record, self.request.user, "review")})]


class ReviewFormView(base.RecordFormView):
    update_with = staticmethod(improvement.update_review)

    def save(self, form, record):
        if record is None:
            return improvement.create_review(actor=self.request.user, data=form.service_data())
        return super().save(form, record)


REVIEW_VIEWS = base.views_for(ReviewMixin, {"form": ReviewFormView})
