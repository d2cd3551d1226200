import datetime as dt
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from itsm.catalog.models import Service
from itsm.core.api.fields import StrictIntegerField
from itsm.core.api.serializers import PersonNameField, RecordSerializer, ScopedModelSerializer
from itsm.core.imports import MAX_IMPORT_ROWS
from itsm.core.models import display_name

from .. import alerts, satisfaction
from ..models import FulfilmentTask, Incident, MajorIncident, RequestApproval, ServiceRequest

TICKET_FIELDS = ["service", "category", "channel", "impact", "urgency", "affected_system",
                 "resolution", "first_response_at", "resolved_at", "closed_at", "sla_policy",
                 "merged_into"]
TICKET_READ_ONLY = ["resolution", "first_response_at", "resolved_at", "closed_at",
                    "sla_policy", "merged_into"]


class TicketSerializer(RecordSerializer):
    def get_fields(self):
        fields = super().get_fields()
        if "service" in fields:
            # The owner team comes along: automatic assignment routes to it. (The
            # reader's scope is the base class's.)
            fields["service"].queryset = Service.objects.select_related("owner_team")
        return fields


class ServiceRequestSerializer(TicketSerializer):
    """A request, with its catalogue request type and the values of the type's own fields
    (``custom_fields``: key → value; a person or CI by id, a date as YYYY-MM-DD), both
    given when it is raised and fixed afterwards."""

    custom_fields = serializers.JSONField(required=False, help_text=gettext_lazy(
        "The values of the request type's own fields, by key."))

    class Meta(RecordSerializer.Meta):
        model = ServiceRequest
        fields = [*RecordSerializer.Meta.fields, *TICKET_FIELDS, "request_type",
                  "custom_fields"]
        read_only_fields = [*RecordSerializer.Meta.read_only_fields, *TICKET_READ_ONLY]

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None and not isinstance(self.instance, list):
            fields["request_type"].read_only = True
            fields["custom_fields"].read_only = True
        return fields


class IncidentSerializer(TicketSerializer):
    class Meta(RecordSerializer.Meta):
        model = Incident
        fields = [*RecordSerializer.Meta.fields, *TICKET_FIELDS, "is_major", "major_incident",
                  "alert_fingerprint", "cause"]
        read_only_fields = [*RecordSerializer.Meta.read_only_fields, *TICKET_READ_ONLY,
                            "is_major", "major_incident", "alert_fingerprint"]


# --- Bulk import (GEN-9) ---------------------------------------------------------------------


class TicketImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=gettext_lazy(
        "A CSV (UTF-8 or GB18030) or XLSX file; the first row names the fields (API names, "
        "labels or the export's column headings). Related objects by id, code, name, user "
        "name or email; choices by value or label."))


class ServiceRequestImportSerializer(serializers.Serializer):
    """The JSON body of ``…/import/``: rows with the fields of the create endpoint."""

    rows = ServiceRequestSerializer(many=True, max_length=MAX_IMPORT_ROWS)


class IncidentImportSerializer(serializers.Serializer):
    """The JSON body of ``…/import/``: rows with the fields of the create endpoint."""

    rows = IncidentSerializer(many=True, max_length=MAX_IMPORT_ROWS)


class TicketImportResultSerializer(serializers.Serializer):
    created = StrictIntegerField()
    numbers = serializers.ListField(child=serializers.CharField())


class TicketImportErrorSerializer(serializers.Serializer):
    rows = serializers.DictField(
        child=serializers.DictField(child=serializers.ListField(child=serializers.CharField())),
        help_text=gettext_lazy("Row number (1-based; in a file, as the spreadsheet numbers "
                               "it) → field → messages. Nothing was imported."))


# --- Monitoring alerts (INC-6) -------------------------------------------------------------


class AlertTimeField(serializers.Field):
    """A point in time as monitoring systems write it: ISO 8601 (nanoseconds allowed),
    Unix seconds, or Zabbix's ``2026.05.01 12:00:00`` (local time). Alertmanager's zero
    time (``0001-01-01T00:00:00Z``, "not ended yet") reads as empty."""

    default_error_messages = {
        "invalid": gettext_lazy("Enter a date and time (ISO 8601 or Unix seconds)."),
    }

    def to_internal_value(self, value):
        if isinstance(value, bool):
            self.fail("invalid")
        if isinstance(value, int | float):
            try:
                return dt.datetime.fromtimestamp(value, tz=dt.UTC)
            except (OverflowError, OSError, ValueError):
                self.fail("invalid")
        if not isinstance(value, str):
            self.fail("invalid")
        text = value.strip()
        if not text:
            return None
        if text.isdigit():
            return self.to_internal_value(int(text))
        try:
            parsed = parse_datetime(text)
        except ValueError:
            parsed = None
        if parsed is None:
            try:
                parsed = dt.datetime.strptime(text, "%Y.%m.%d %H:%M:%S")
            except ValueError:
                self.fail("invalid")
        if parsed.year < 1971:
            return None
        if timezone.is_naive(parsed):
            parsed = timezone.make_aware(parsed)
        return parsed

    def to_representation(self, value):
        return value.isoformat() if value else None


AlertTimeField = extend_schema_field(
    serializers.CharField(help_text="ISO 8601 or Unix seconds"))(AlertTimeField)

def label_value() -> serializers.CharField:
    return serializers.CharField(allow_blank=True, max_length=10000, trim_whitespace=False)


class PrometheusAlertSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["firing", "resolved"])
    labels = serializers.DictField(child=label_value())
    annotations = serializers.DictField(child=label_value(), required=False, default=dict)
    startsAt = AlertTimeField(required=False, allow_null=True)
    endsAt = AlertTimeField(required=False, allow_null=True)
    generatorURL = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    fingerprint = serializers.CharField(required=False, allow_blank=True, max_length=100)


class PrometheusWebhookSerializer(serializers.Serializer):
    """Alertmanager's webhook body (version 4); other keys (receiver, groupLabels …)
    are accepted and ignored."""

    version = serializers.CharField(required=False, max_length=10)
    status = serializers.ChoiceField(choices=["firing", "resolved"], required=False)
    alerts = PrometheusAlertSerializer(many=True, allow_empty=True,
                                       max_length=alerts.MAX_ALERTS_PER_REQUEST)

    def validate_version(self, value: str) -> str:
        if value != "4":
            raise serializers.ValidationError(_("Only version 4 of the webhook is supported."))
        return value


class ZabbixAlertSerializer(serializers.Serializer):
    """The body our Zabbix media type sends (see the README, "Monitoring alerts")."""

    event_id = serializers.CharField(required=False, allow_blank=True, max_length=32)
    trigger_id = serializers.RegexField(r"^[A-Za-z0-9_.-]+$", max_length=32)
    status = serializers.CharField(max_length=16)
    severity = serializers.CharField(required=False, allow_blank=True, max_length=50)
    host = serializers.CharField(max_length=128)
    name = serializers.CharField(max_length=300)
    message = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    timestamp = AlertTimeField(required=False, allow_null=True)
    organization = serializers.CharField(required=False, allow_blank=True, max_length=32)

    def validate_status(self, value: str) -> str:
        value = value.strip().upper()
        if value not in alerts.ZABBIX_STATUSES:
            raise serializers.ValidationError(
                _("Expected one of: %(choices)s.") % {"choices": ", ".join(alerts.ZABBIX_STATUSES)})
        return value


class GenericAlertSerializer(serializers.Serializer):
    fingerprint = serializers.CharField(max_length=150)
    status = serializers.ChoiceField(choices=["firing", "resolved"])
    title = serializers.CharField(required=False, allow_blank=True, max_length=300)
    description = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    severity = serializers.CharField(required=False, allow_blank=True, max_length=50)
    organization = serializers.CharField(required=False, allow_blank=True, max_length=32)
    host = serializers.CharField(required=False, allow_blank=True, max_length=200)
    timestamp = AlertTimeField(required=False, allow_null=True)


class GenericWebhookSerializer(GenericAlertSerializer):
    """One alert, or ``{"alerts": [alert, …]}`` with at most 500 alerts."""

    def to_internal_value(self, data):
        if isinstance(data, dict) and "alerts" in data:
            batch = GenericBatchSerializer(data=data)
            batch.is_valid(raise_exception=True)
            return batch.validated_data
        return super().to_internal_value(data)


class GenericBatchSerializer(serializers.Serializer):
    alerts = GenericAlertSerializer(many=True, allow_empty=True,
                                    max_length=alerts.MAX_ALERTS_PER_REQUEST)


class AlertOutcomeSerializer(serializers.Serializer):
    fingerprint = serializers.CharField()
    status = serializers.CharField()
    action = serializers.CharField()
    incident = serializers.CharField(allow_null=True, help_text="number of the incident")
    incident_id = StrictIntegerField(allow_null=True)


class AlertResultSerializer(serializers.Serializer):
    received = StrictIntegerField()
    results = AlertOutcomeSerializer(many=True)


# --- Satisfaction (FBK-1) ------------------------------------------------------------------


class RatingSerializer(serializers.Serializer):
    """A ticket's rating: POST ``score`` (1–5) and ``comment``; GET shows it."""

    score = StrictIntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(required=False, allow_blank=True, default="",
                                    max_length=satisfaction.MAX_RATING_COMMENT)


class RatingStateSerializer(serializers.Serializer):
    rated = serializers.BooleanField()
    can_rate = serializers.BooleanField()
    score = StrictIntegerField(allow_null=True)
    comment = serializers.CharField(allow_blank=True)
    rated_by = StrictIntegerField(allow_null=True)
    rated_by_name = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField(allow_null=True)


class SatisfactionGroupSerializer(serializers.Serializer):
    id = StrictIntegerField(allow_null=True)
    name = serializers.CharField()
    count = StrictIntegerField()
    average = serializers.FloatField()


class SatisfactionSummarySerializer(serializers.Serializer):
    by = serializers.CharField()
    count = StrictIntegerField()
    average = serializers.FloatField(allow_null=True)
    groups = SatisfactionGroupSerializer(many=True)


class MajorIncidentSerializer(RecordSerializer):
    class Meta(RecordSerializer.Meta):
        model = MajorIncident
        fields = [*RecordSerializer.Meta.fields, "service", "impact_scope", "event_report",
                  "analysis_report", "notified_at", "recovered_at", "closed_at"]
        read_only_fields = [*RecordSerializer.Meta.read_only_fields, "notified_at",
                            "recovered_at", "closed_at"]


class DeclareMajorSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="",
                                   max_length=5000)


# --- Merging and links (INC-3) ----------------------------------------------------------------


class MergeSerializer(serializers.Serializer):
    into = serializers.CharField(
        help_text=gettext_lazy("The ticket to merge into: its id (same type) or its number."))
    comment = serializers.CharField(required=False, allow_blank=True, default="",
                                    max_length=20000)




# --- A request's approvals and fulfilment tasks -------------------------------------------


class RequestApprovalSerializer(ScopedModelSerializer):
    approvers = serializers.SerializerMethodField()
    decided_by_name = PersonNameField(source="decided_by")

    class Meta:
        model = RequestApproval
        fields = ["id", "order", "kind", "role", "approvers", "decision", "decided_by",
                  "decided_by_name", "decided_at", "comment"]
        read_only_fields = fields

    def get_approvers(self, approval: RequestApproval) -> list[dict[str, Any]]:
        return [{"id": p.pk, "name": display_name(p)} for p in approval.approvers.all()]


class FulfilmentTaskSerializer(ScopedModelSerializer):
    team_name = serializers.CharField(source="team.name", read_only=True)
    done_by_name = PersonNameField(source="done_by")

    class Meta:
        model = FulfilmentTask
        fields = ["id", "order", "title", "description", "team", "team_name", "assignee",
                  "status", "note", "done_by", "done_by_name", "done_at"]
        read_only_fields = fields


class DecisionSerializer(serializers.Serializer):
    approval = StrictIntegerField(min_value=1)
    decision = serializers.ChoiceField(choices=["approve", "reject"])
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class TaskDoneSerializer(serializers.Serializer):
    task = StrictIntegerField(min_value=1)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)
