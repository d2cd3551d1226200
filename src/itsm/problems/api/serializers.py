from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from itsm.catalog.models import Service
from itsm.core.api.serializers import RecordSerializer

from ..models import Problem

PROBLEM_FIELDS = ["service", "category", "affected_system", "root_cause", "workaround",
                  "known_error", "fix_description", "accepted_risk", "resolved_at",
                  "closed_at"]


class ProblemSerializer(RecordSerializer):
    class Meta(RecordSerializer.Meta):
        model = Problem
        fields = [*RecordSerializer.Meta.fields, *PROBLEM_FIELDS]
        read_only_fields = [*RecordSerializer.Meta.read_only_fields, "known_error",
                            "resolved_at", "closed_at"]

    def get_fields(self):
        fields = super().get_fields()
        if "request" in self.context and "service" in fields:
            fields["service"].queryset = Service.objects.visible_to(self.context["request"].user)
        return fields


class IncidentLinkSerializer(serializers.Serializer):
    incident = serializers.CharField(max_length=32, help_text=_("Incident number or id"))


class LinkedIncidentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    title = serializers.CharField()
    status = serializers.CharField()
