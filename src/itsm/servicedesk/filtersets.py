"""Filters for tickets (UI list and API)."""

import datetime as dt

import django_filters
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from itsm.catalog.choices import Impact, Urgency
from itsm.catalog.models import RequestType, Service
from itsm.core import access
from itsm.core.filtersets import RecordFilterSet

from .choices import NOT_IN_QUEUE, Channel
from .models import Incident, MajorIncident, ServiceRequest


class Queue(models.TextChoices):
    MINE = "mine", _("Assigned to me")
    MY_TEAMS = "my_teams", _("My teams")
    UNASSIGNED = "unassigned", _("Unassigned")
    BREACHING = "breaching", _("Breaching soon")
    BREACHED = "breached", _("Breached")


#: "Breaching soon" means the resolution deadline is within this many hours.
BREACHING_HOURS = 4


class TicketFilterSet(RecordFilterSet):
    queue = django_filters.ChoiceFilter(choices=Queue.choices, method="filter_queue",
                                        label=_("queue"))
    channel = django_filters.MultipleChoiceFilter(choices=Channel.choices, label=_("channel"))
    category = django_filters.CharFilter(lookup_expr="iexact", label=_("category"))
    service = django_filters.ModelChoiceFilter(queryset=Service.objects.all(), label=_("service"))
    impact = django_filters.MultipleChoiceFilter(choices=Impact.choices, label=_("impact"))
    urgency = django_filters.MultipleChoiceFilter(choices=Urgency.choices, label=_("urgency"))
    affected_system = django_filters.CharFilter(lookup_expr="icontains",
                                                label=_("affected system / CI"))

    unfiltered_fields = (*RecordFilterSet.unfiltered_fields, "resolution", "resolved_at",
                         "closed_at", "first_response_at", "sla_policy", "merged_into")

    class Meta(RecordFilterSet.Meta):
        fields = [*RecordFilterSet.Meta.fields, "channel", "category", "service", "impact",
                  "urgency", "affected_system"]


    def filter_queue(self, queryset, name, value):
        """The agent's queues; all of them show open tickets only."""
        queryset = queryset.exclude(status__in=NOT_IN_QUEUE)
        user = getattr(self.request, "user", None)
        now = timezone.now()
        if value == Queue.MINE:
            return queryset.filter(assignee=user)
        if value == Queue.MY_TEAMS:
            # The team ids first (cached with the user's roles): no join, no DISTINCT over
            # the page, and a plan PostgreSQL makes in a fraction of a subquery's time.
            return queryset.filter(assignee_team_id__in=sorted(access.team_ids_of(user)))
        if value == Queue.UNASSIGNED:
            return queryset.filter(assignee__isnull=True)
        if value == Queue.BREACHING:
            return queryset.filter(due_at__gte=now,
                                   due_at__lt=now + dt.timedelta(hours=BREACHING_HOURS))
        if value == Queue.BREACHED:
            return queryset.filter(due_at__lt=now)
        return queryset


class ServiceRequestFilterSet(TicketFilterSet):
    request_type = django_filters.ModelChoiceFilter(queryset=RequestType.objects.all(),
                                                    label=_("request type"))

    unfiltered_fields = (*TicketFilterSet.unfiltered_fields, "custom_fields")

    class Meta(TicketFilterSet.Meta):
        model = ServiceRequest
        fields = [*TicketFilterSet.Meta.fields, "request_type"]


class IncidentFilterSet(TicketFilterSet):
    is_major = django_filters.BooleanFilter(label=_("major incident"))
    alert_fingerprint = django_filters.CharFilter(label=_("alert fingerprint"))

    unfiltered_fields = (*TicketFilterSet.unfiltered_fields, "major_incident", "cause")

    class Meta(TicketFilterSet.Meta):
        model = Incident
        fields = [*TicketFilterSet.Meta.fields, "is_major", "alert_fingerprint"]


class MajorIncidentFilterSet(RecordFilterSet):
    service = django_filters.ModelChoiceFilter(queryset=Service.objects.all(), label=_("service"))

    unfiltered_fields = (*RecordFilterSet.unfiltered_fields, "impact_scope", "event_report",
                         "analysis_report", "notified_at", "recovered_at", "closed_at")

    class Meta(RecordFilterSet.Meta):
        model = MajorIncident
        fields = [*RecordFilterSet.Meta.fields, "service"]
