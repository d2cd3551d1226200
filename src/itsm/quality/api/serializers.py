"""The service-level report as JSON (read-only serializers of ``reports`` dataclasses)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from itsm.core.api.fields import StrictIntegerField
from itsm.core.api.serializers import ObjectSerializer, ScopedModelSerializer

from .. import indicators
from .. import services as target_services
from ..models import QualityTarget, TargetEvaluation


class PeriodSerializer(serializers.Serializer):
    label = serializers.CharField(help_text="YYYY-MM")
    time_zone = serializers.CharField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField(help_text="Exclusive: the first moment of the next month.")
    until = serializers.DateTimeField(help_text="Measured until: the end, or now while the "
                                                "month is running.")
    minutes = StrictIntegerField()
    complete = serializers.BooleanField()


class SummarySerializer(serializers.Serializer):
    opened = StrictIntegerField()
    resolved = StrictIntegerField()
    open_at_end = StrictIntegerField()
    clocks = StrictIntegerField()
    met = StrictIntegerField()
    breached = StrictIntegerField()
    attainment = serializers.FloatField(allow_null=True)
    response_attainment = serializers.FloatField(allow_null=True)
    resolution_attainment = serializers.FloatField(allow_null=True)


class SLORowSerializer(serializers.Serializer):
    service_id = StrictIntegerField(allow_null=True)
    service = serializers.CharField()
    priority = StrictIntegerField()
    priority_label = serializers.CharField()
    kind = serializers.CharField()
    kind_label = serializers.CharField()
    target_minutes = StrictIntegerField(allow_null=True)
    target_minutes_max = StrictIntegerField(allow_null=True)
    clocks = StrictIntegerField()
    met = StrictIntegerField()
    breached = StrictIntegerField()
    still_open = StrictIntegerField()
    attainment = serializers.FloatField(allow_null=True)


class BreachRowSerializer(serializers.Serializer):
    ticket_type = serializers.CharField()
    ticket_id = StrictIntegerField()
    number = serializers.CharField()
    title = serializers.CharField()
    url = serializers.CharField()
    service_id = StrictIntegerField(allow_null=True)
    service = serializers.CharField()
    priority = StrictIntegerField()
    priority_label = serializers.CharField()
    kind = serializers.CharField()
    kind_label = serializers.CharField()
    target_minutes = StrictIntegerField()
    due_at = serializers.DateTimeField()
    stopped_at = serializers.DateTimeField(allow_null=True)
    still_open = serializers.BooleanField()
    overrun_minutes = StrictIntegerField()
    escalated_at = serializers.DateTimeField(allow_null=True)
    reasons = serializers.ListField(child=serializers.CharField())
    reason = serializers.CharField()


def _plain(value: Any, tz) -> Any:
    """As DRF's DateTimeField writes a time: ISO 8601 in the current time zone."""
    if isinstance(value, dt.datetime):
        text = value.astimezone(tz).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text
    return value


@extend_schema_field(BreachRowSerializer(many=True))
class BreachRowsField(serializers.Field):
    """The breach rows as plain dicts: a month can have thousands, and a serializer per
    row costs ten times more than the report itself. Same fields as BreachRowSerializer."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, rows) -> list[dict[str, Any]]:
        names = tuple(BreachRowSerializer().fields)
        tz = timezone.get_current_timezone()
        return [{name: _plain(getattr(row, name), tz) for name in names} for row in rows]


class AvailabilityRowSerializer(serializers.Serializer):
    service_id = StrictIntegerField()
    service = serializers.CharField()
    period_minutes = StrictIntegerField()
    outage_minutes = StrictIntegerField()
    outages = StrictIntegerField()
    records = StrictIntegerField()
    longest_outage_minutes = StrictIntegerField()
    availability = serializers.FloatField(allow_null=True)
    target = serializers.FloatField()
    met = serializers.BooleanField(allow_null=True)
    max_interruption_minutes = StrictIntegerField()
    interruption_met = serializers.BooleanField()


class SatisfactionRowSerializer(serializers.Serializer):
    service_id = StrictIntegerField(allow_null=True)
    service = serializers.CharField()
    ratings = StrictIntegerField()
    mean = serializers.FloatField(allow_null=True)
    satisfied = StrictIntegerField()
    satisfied_percent = serializers.FloatField(allow_null=True)


class ServiceLevelReportSerializer(serializers.Serializer):
    organization = StrictIntegerField(source="organization.pk")
    organization_name = serializers.CharField(source="organization.name")
    service = StrictIntegerField(source="service.pk", allow_null=True, default=None)
    period = PeriodSerializer()
    generated_at = serializers.DateTimeField()
    summary = SummarySerializer()
    slo = SLORowSerializer(many=True)
    breaches = BreachRowsField()
    availability = AvailabilityRowSerializer(many=True)
    satisfaction = SatisfactionRowSerializer(many=True)
    satisfaction_total = SatisfactionRowSerializer()


# --- Quality targets and their evaluations -------------------------------------------------


class QualityTargetSerializer(ObjectSerializer):
    """A quality target of your provider: an indicator's target value with its warning
    and critical thresholds per period, for the provider or a team, customer, service."""

    save_with = staticmethod(target_services.save_target)
    indicator = serializers.ChoiceField(choices=())
    indicator_name = serializers.CharField(read_only=True)
    direction = serializers.CharField(read_only=True, allow_null=True)

    class Meta:
        model = QualityTarget
        fields = ["id", "provider", "indicator", "indicator_name", "direction",
                  "period_kind", "team", "customer", "service", "target", "warning",
                  "critical", "owners", "is_active"]
        read_only_fields = ["provider"]

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        fields["indicator"].choices = [(i.key, str(i.name)) for i in indicators.indicators()]
        return fields


class TargetEvaluationSerializer(ScopedModelSerializer):
    state_label = serializers.CharField(source="get_state_display", read_only=True)
    team_name = serializers.CharField(source="team.name", read_only=True, default=None)

    class Meta:
        model = TargetEvaluation
        fields = ["id", "target", "scope_key", "team", "team_name", "period_start",
                  "period_end", "value", "numerator", "denominator", "state", "state_label",
                  "target_value", "warning", "critical", "computed_at"]
        read_only_fields = fields


class RunningValueSerializer(serializers.Serializer):
    """The running period's value of a target for one scope (computed, not stored)."""

    scope_key = serializers.CharField()
    team = StrictIntegerField(allow_null=True)
    team_name = serializers.CharField(allow_null=True)
    value = serializers.FloatField(allow_null=True)
    numerator = serializers.FloatField()
    denominator = serializers.FloatField()
    state = serializers.CharField()


class RunningPeriodSerializer(serializers.Serializer):
    period_start = serializers.DateTimeField()
    period_end = serializers.DateTimeField(help_text="Exclusive.")
    values = RunningValueSerializer(many=True)
