"""API shapes of complaints, improvement actions and the complaint master data."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from itsm.core import links
from itsm.core.api.serializers import (
    ObjectSerializer,
    RecordNumbersField,
    RecordSerializer,
    request_user,
)

from .. import services
from ..models import CauseCategory, Complaint, ComplaintPolicy, ImprovementAction


class ComplaintSerializer(RecordSerializer):
    """A complaint; ``about`` (write-only, on creation): numbers of records it is about
    (e.g. the complainant's incident), linked to it."""

    about = RecordNumbersField()
    level_label = serializers.CharField(source="get_level_display", read_only=True)
    related = serializers.SerializerMethodField()

    class Meta(RecordSerializer.Meta):
        model = Complaint
        fields = [*RecordSerializer.Meta.fields, "channel", "level", "level_label",
                  "received_at", "service", "system", "remedy_sought", "assessment",
                  "resolution", "compensation", "cause_category", "satisfaction_score",
                  "evaluated_at", "responded_at", "proposed_at", "closed_at",
                  "rejection_count", "reopen_count", "about", "related"]
        read_only_fields = [*RecordSerializer.Meta.read_only_fields, "level_label",
                            "resolution", "cause_category", "satisfaction_score",
                            "evaluated_at", "responded_at", "proposed_at", "closed_at",
                            "rejection_count", "reopen_count"]

    def get_related(self, complaint: Complaint) -> list[str] | None:
        """Numbers of the linked records the reader may see (on a single complaint; a
        list gives null rather than a query per row)."""
        if isinstance(self.parent, serializers.ListSerializer):
            return None
        user = request_user(self)
        return [item.other.number for item in links.linked_records(complaint, user)]

    def create(self, validated_data: dict[str, Any]) -> Complaint:
        validated_data.pop("version", None)
        about = validated_data.pop("about", [])
        return services.create_complaint(actor=request_user(self), data=validated_data,
                                         about=about)

    def update(self, instance: Complaint, validated_data: dict[str, Any]) -> Complaint:
        validated_data.pop("about", None)
        return super().update(instance, validated_data)


class ImprovementActionSerializer(RecordSerializer):
    class Meta(RecordSerializer.Meta):
        model = ImprovementAction
        fields = [*RecordSerializer.Meta.fields, "cause_category", "measure", "verification",
                  "verified_at"]
        read_only_fields = [*RecordSerializer.Meta.read_only_fields, "verification",
                            "verified_at"]


class ImprovementFromComplaintsSerializer(serializers.Serializer):
    """Body of ``POST /api/complaints/improvement/``."""

    complaints = serializers.ListField(child=serializers.IntegerField(min_value=1),
                                       min_length=1, max_length=500)
    title = serializers.CharField(max_length=200)
    measure = serializers.CharField(required=False, allow_blank=True, default="")


class CauseCategorySerializer(ObjectSerializer):
    save_with = staticmethod(services.save_cause)

    class Meta:
        model = CauseCategory
        fields = ["id", "provider", "parent", "name", "order", "is_active"]
        read_only_fields = ["provider"]


class ComplaintPolicySerializer(ObjectSerializer):
    save_with = staticmethod(services.save_policy)

    class Meta:
        model = ComplaintPolicy
        fields = ["id", "provider", "organization", "level", "response_minutes",
                  "resolution_minutes", "calendar"]
        read_only_fields = ["provider"]
