"""Filters for problems (UI list and API)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from itsm.catalog.models import Service
from itsm.core.filtersets import RecordFilterSet

from .models import Problem


class ProblemFilterSet(RecordFilterSet):
    known_error = django_filters.BooleanFilter(label=_("known error"))
    category = django_filters.CharFilter(lookup_expr="iexact", label=_("category"))
    service = django_filters.ModelChoiceFilter(queryset=Service.objects.all(), label=_("service"))
    affected_system = django_filters.CharFilter(lookup_expr="icontains",
                                                label=_("affected system / CI"))

    unfiltered_fields = (*RecordFilterSet.unfiltered_fields, "root_cause", "workaround",
                         "fix_description", "accepted_risk", "resolved_at", "closed_at")

    class Meta(RecordFilterSet.Meta):
        model = Problem
        fields = [*RecordFilterSet.Meta.fields, "known_error", "category", "service",
                  "affected_system"]
