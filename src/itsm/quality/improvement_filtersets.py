"""Filters of improvement plans, staff suggestions and quality reviews (UI list and
API)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from itsm.catalog.models import Service
from itsm.complaints.models import CauseCategory
from itsm.core.filtersets import IdFilter, RecordFilterSet
from itsm.core.models import Organization, Team

from .choices import PlanSource, ReviewKind
from .models import ImprovementPlan, ImprovementSuggestion, QualityReview


class ImprovementPlanFilterSet(RecordFilterSet):
    source_kind = django_filters.ChoiceFilter(choices=PlanSource.choices, label=_("source"))
    source_cause = django_filters.ModelChoiceFilter(
        queryset=CauseCategory.objects.all(), label=_("complaint cause"))
    source_problem = IdFilter(label=_("problem"))
    source_evaluation = IdFilter(label=_("target evaluation"))
    source_suggestion = IdFilter(label=_("improvement suggestion"))
    source_review = IdFilter(label=_("quality review"))
    indicator = django_filters.CharFilter(label=_("indicator"))
    scope_team = django_filters.ModelChoiceFilter(queryset=Team.objects.all(),
                                                  label=_("team"))
    scope_customer = django_filters.ModelChoiceFilter(queryset=Organization.objects.all(),
                                                      label=_("customer"))
    scope_service = django_filters.ModelChoiceFilter(queryset=Service.objects.all(),
                                                     label=_("service"))
    evaluation_before = django_filters.DateFilter(field_name="evaluation_date",
                                                  lookup_expr="lt",
                                                  label=_("evaluation date before"))
    evaluation_after = django_filters.DateFilter(field_name="evaluation_date",
                                                 lookup_expr="gte",
                                                 label=_("evaluation date from"))
    effect_met = django_filters.BooleanFilter(label=_("target met"))
    effect_checked = django_filters.BooleanFilter(field_name="effect_checked_at",
                                                  lookup_expr="isnull", exclude=True,
                                                  label=_("effect checked yet"))

    unfiltered_fields = (*RecordFilterSet.unfiltered_fields, "source_detail", "root_cause",
                         "target_value", "window_days", "evaluation_date", "baseline_value",
                         "baseline_start", "baseline_end", "before_value", "before_start",
                         "before_end", "after_value", "after_start", "after_end",
                         "effect_checked_at", "outcome", "closed_at", "due_at",
                         "created_at")

    class Meta(RecordFilterSet.Meta):
        model = ImprovementPlan
        fields = [*RecordFilterSet.Meta.fields, "source_kind", "source_cause",
                  "source_problem", "source_evaluation", "source_suggestion",
                  "source_review", "indicator", "scope_team", "scope_customer",
                  "scope_service", "effect_met"]


class ImprovementSuggestionFilterSet(RecordFilterSet):
    service = django_filters.ModelChoiceFilter(queryset=Service.objects.all(),
                                               label=_("service"))

    unfiltered_fields = (*RecordFilterSet.unfiltered_fields, "decision_reason", "decided_at",
                         "due_at", "created_at")

    class Meta(RecordFilterSet.Meta):
        model = ImprovementSuggestion
        fields = [*RecordFilterSet.Meta.fields, "service"]


class QualityReviewFilterSet(RecordFilterSet):
    kind = django_filters.ChoiceFilter(choices=ReviewKind.choices, label=_("kind of review"))
    period_from = django_filters.DateFilter(field_name="period_end", lookup_expr="gte",
                                            label=_("reviewed from"))
    period_until = django_filters.DateFilter(field_name="period_start", lookup_expr="lte",
                                             label=_("reviewed until"))

    unfiltered_fields = (*RecordFilterSet.unfiltered_fields, "period_start", "period_end",
                         "conclusions", "concluded_at", "closed_at", "due_at", "created_at")

    class Meta(RecordFilterSet.Meta):
        model = QualityReview
        fields = [*RecordFilterSet.Meta.fields, "kind"]
