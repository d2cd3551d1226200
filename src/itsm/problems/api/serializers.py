from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from itsm.catalog.models import Service
from itsm.changes.models import Change
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

    def get_fields(self):
        fields = super().get_fields()
        if "request" in self.context:
            user = self.context["request"].user
            if "service" in fields:
                fields["service"].queryset = Service.objects.visible_to(user)
            if "fix_change" in fields:
                # The change that fixes the problem: one the user can see (else 400).
                fields["fix_change"].queryset = Change.objects.visible_to(user)
        return fields


class IncidentLinkSerializer(serializers.Serializer):
    incident = serializers.CharField(max_length=32, help_text=_("Incident number or id"))


class LinkedIncidentSerializer(serializers.Serializer):
    id = StrictIntegerField()
    number = serializers.CharField()
    title = serializers.CharField()
    status = serializers.CharField()
