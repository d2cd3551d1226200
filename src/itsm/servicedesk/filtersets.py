"""Filters for service requests (UI list and API)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from itsm.core.filtersets import RecordFilterSet

from .choices import Channel
from .models import ServiceRequest


class ServiceRequestFilterSet(RecordFilterSet):
    channel = django_filters.MultipleChoiceFilter(choices=Channel.choices, label=_("channel"))
    category = django_filters.CharFilter(lookup_expr="iexact", label=_("category"))

    unfiltered_fields = (*RecordFilterSet.unfiltered_fields, "resolution", "resolved_at",
                         "closed_at")

    class Meta(RecordFilterSet.Meta):
        model = ServiceRequest
        fields = [*RecordFilterSet.Meta.fields, "channel", "category"]
