from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from itsm.core.api.fields import StrictIntegerField
from itsm.core.api.serializers import RecordSerializer

from ..models import Problem

PROBLEM_FIELDS = ["service", "category", "affected_system", "root_cause", "workaround",
                  "known_error", "fix_description", "accepted_risk", "fix_change",
                  "resolved_at", "closed_at"]


class ProblemSerializer(RecordSerializer):
    class Meta(RecordSerializer.Meta):
        model = Problem
        fields = [*RecordSerializer.Meta.fields, *PROBLEM_FIELDS]
        read_only_fields = [*RecordSerializer.Meta.read_only_fields, "known_error",
                            "resolved_at", "closed_at"]


class IncidentLinkSerializer(serializers.Serializer):
    incident = serializers.CharField(max_length=32, help_text=_("Incident number or id"))


class LinkedIncidentSerializer(serializers.Serializer):
    id = StrictIntegerField()
    number = serializers.CharField()
    title = serializers.CharField()
    status = serializers.CharField()
