"""Serializers of plans, drills and plan uses; saving goes through ``security.services``."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q
from rest_framework import serializers

from itsm.catalog.models import Service
from itsm.core import access
from itsm.core.api.serializers import (
    ObjectSerializer,
    ScopedModelSerializer,
    request_user,
)
from itsm.core.models import Organization

from .. import services
from ..models import Drill, EmergencyPlan, PlanUse

User = get_user_model()


class ResponseLevelSerializer(serializers.Serializer):
    level = serializers.CharField(max_length=50)
    criteria = serializers.CharField(allow_blank=True, required=False, default="")
    actions = serializers.CharField(allow_blank=True, required=False, default="")


class ContactSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    role = serializers.CharField(allow_blank=True, required=False, default="")
    phone = serializers.RegexField(r"^[0-9+\- ()]*$", max_length=40, allow_blank=True,
                                   required=False, default="")


class FollowUpSerializer(serializers.Serializer):
    action = serializers.CharField()
    owner = serializers.CharField(allow_blank=True, required=False, default="")
    due = serializers.DateField(required=False, allow_null=True, default=None)
    done = serializers.BooleanField(required=False, default=False)

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        value = super().to_internal_value(data)
        value["due"] = value["due"].isoformat() if value.get("due") else None
        return value


class EmergencyPlanSerializer(ObjectSerializer):
    response_levels = ResponseLevelSerializer(many=True, required=False)
    contacts = ContactSerializer(many=True, required=False)

    class Meta:
        model = EmergencyPlan
        fields = ["id", "provider", "customer", "service", "title", "scope", "response_levels",
                  "roles", "contacts", "resources", "steps", "preparation",
                  "monitoring_warning", "response", "review", "version", "status",
                  "approved_by", "approved_at", "created_at", "updated_at"]
        read_only_fields = ["provider", "approved_by", "approved_at", "created_at",
                            "updated_at"]

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        if "request" in self.context:
            provider = access.provider_id_of(request_user(self))
            fields["customer"].queryset = Organization.objects.filter(provider_id=provider)
            fields["service"].queryset = Service.objects.filter(provider_id=provider)
        return fields

    save_with = staticmethod(services.save_plan)


class DrillSerializer(ObjectSerializer):
    follow_ups = FollowUpSerializer(many=True, required=False)

    class Meta:
        model = Drill
        fields = ["id", "plan", "date", "participants", "scenario", "findings", "evaluation",
                  "evaluation_notes", "follow_ups", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        if "request" in self.context:
            user = request_user(self)
            provider = access.provider_id_of(user)
            fields["participants"].child_relation.queryset = User.objects.filter(
                profile__organization__in=Organization.objects.filter(
                    Q(pk=provider) | Q(provider_id=provider)))
        return fields

    save_with = staticmethod(services.save_drill)


class PlanUseSerializer(ScopedModelSerializer):
    record_type = serializers.ChoiceField(choices=sorted(services.PLAN_USE_TYPES))
    record_number = serializers.SerializerMethodField()

    class Meta:
        model = PlanUse
        fields = ["id", "plan", "record_type", "record_id", "record_number", "note",
                  "created_by", "created_at"]
        read_only_fields = ["plan", "created_by", "created_at"]

    def get_record_number(self, obj: PlanUse) -> str | None:
        record = self.context.get("records", {}).get(obj.pk)
        return getattr(record, "number", None)
