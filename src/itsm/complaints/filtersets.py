"""Filters of complaints and improvement actions (UI list and API)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from itsm.catalog.models import Service
from itsm.core.filtersets import DateTimeFilter, RecordFilterSet

from .choices import ComplaintChannel, ComplaintLevel
from .models import CauseCategory, Complaint, ImprovementAction


class ComplaintFilterSet(RecordFilterSet):
    level = django_filters.ChoiceFilter(choices=ComplaintLevel.choices, label=_("level"))
    channel = django_filters.ChoiceFilter(choices=ComplaintChannel.choices, label=_("channel"))
    service = django_filters.ModelChoiceFilter(queryset=Service.objects.all(),
                                               label=_("service"))
    cause_category = django_filters.ModelChoiceFilter(queryset=CauseCategory.objects.all(),
                                                      label=_("cause"))
    system = django_filters.CharFilter(lookup_expr="icontains", label=_("system concerned"))
    received_after = DateTimeFilter(field_name="received_at", lookup_expr="gte",
                                    label=_("received from"))
    received_before = DateTimeFilter(field_name="received_at", lookup_expr="lt",
                                     label=_("received until"))
    closed_after = DateTimeFilter(field_name="closed_at", lookup_expr="gte",
                                  label=_("closed from"))
    satisfaction_score = django_filters.NumberFilter(label=_("satisfaction score"))

    unfiltered_fields = (*RecordFilterSet.unfiltered_fields, "remedy_sought", "assessment",
                         "resolution", "compensation", "evaluated_at", "responded_at",
                         "proposed_at", "rejection_count", "reopen_count", "due_at",
                         "created_at")

    class Meta(RecordFilterSet.Meta):
        model = Complaint
        fields = [*RecordFilterSet.Meta.fields, "level", "channel", "service",
                  "cause_category", "system", "satisfaction_score"]


class ImprovementActionFilterSet(RecordFilterSet):
    cause_category = django_filters.ModelChoiceFilter(queryset=CauseCategory.objects.all(),
                                                      label=_("cause"))

    unfiltered_fields = (*RecordFilterSet.unfiltered_fields, "measure", "verification",
                         "verified_at", "due_at", "created_at")

    class Meta(RecordFilterSet.Meta):
        model = ImprovementAction
        fields = [*RecordFilterSet.Meta.fields, "cause_category"]
