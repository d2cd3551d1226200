"""Filters for changes (UI list and API)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from itsm.catalog.models import Service
from itsm.core.filtersets import DateTimeFilter, IdFilter, RecordFilterSet, ScopedFilterSet

from .choices import ChangeScale, ChangeType, Outcome, RiskLevel, TaskStatus
from .models import Change, ChangeBoard, ChangeTask


class ChangeFilterSet(RecordFilterSet):
    change_type = django_filters.MultipleChoiceFilter(choices=ChangeType.choices,
                                                      label=_("change type"))
    risk_level = django_filters.MultipleChoiceFilter(choices=RiskLevel.choices,
                                                     label=_("risk level"))
    scale = django_filters.MultipleChoiceFilter(choices=ChangeScale.choices, label=_("scale"))
    outcome = django_filters.MultipleChoiceFilter(choices=Outcome.choices, label=_("outcome"))
    services = django_filters.ModelChoiceFilter(queryset=Service.objects.all(), label=_("service"))
    board = django_filters.ModelChoiceFilter(queryset=ChangeBoard.objects.all(),
                                             label=_("change board"))
    planned_after = DateTimeFilter(field_name="planned_end", lookup_expr="gte",
                                   label=_("planned after"))
    planned_before = DateTimeFilter(field_name="planned_start", lookup_expr="lt",
                                    label=_("planned before"))

    unfiltered_fields = (*RecordFilterSet.unfiltered_fields, "template", "reason", "scope",
                         "expected_impact", "implementation_plan", "backout_plan",
                         "test_plan", "planned_start", "planned_end", "impact_business",
                         "impact_technology", "impact_security", "impact_cost",
                         "likelihood", "impact", "assessed_at", "approved_at",
                         "actual_start", "actual_end", "verification_function",
                         "verification_performance", "verification_security",
                         "review_findings", "closed_at")

    class Meta(RecordFilterSet.Meta):
        model = Change
        fields = [*RecordFilterSet.Meta.fields, "change_type", "risk_level", "scale",
                  "outcome", "services", "board"]


class ChangeTaskFilterSet(ScopedFilterSet):
    """Tasks by change and assignee id (plain ids: a change you cannot see lists
    nothing, it is not an error that would confirm it exists)."""

    change = IdFilter(field_name="change_id", label=_("change"))
    assignee = IdFilter(field_name="assignee_id", label=_("assignee"))
    status = django_filters.MultipleChoiceFilter(choices=TaskStatus.choices,
                                                 label=_("status"))

    class Meta:
        model = ChangeTask
        fields = ["change", "assignee", "status"]
