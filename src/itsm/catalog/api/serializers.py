"""Serializers of the catalogue and calendars; saving goes through ``admin_services``."""

from __future__ import annotations

import zoneinfo
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from itsm.core import access
from itsm.core.api.exceptions import validation_detail
from itsm.core.api.fields import StrictIntegerField
from itsm.core.api.serializers import (
    ObjectSerializer,
    ScopedModelSerializer,
    request_user,
)
from itsm.core.models import (
    BusinessCalendar,
    CalendarException,
    CalendarWindow,
    Organization,
    Team,
)

from .. import admin_services, request_types
from ..choices import Impact, Urgency
from ..models import (
    PriorityRule,
    RequestType,
    RequestTypeApproval,
    RequestTypeField,
    RequestTypeTask,
    Service,
    SLAPolicy,
    SLATarget,
)


def _provider_id(serializer: serializers.Serializer) -> int | None:
    return access.provider_id_of(request_user(serializer))


def _as_drf_error(exc: DjangoValidationError) -> serializers.ValidationError:
    return serializers.ValidationError(validation_detail(exc))


class ProviderObjectSerializer(ScopedModelSerializer):
    """A row of the user's provider: ``provider`` is set by the service layer."""

    #: Field names that, together with the provider, must be unique.
    unique_with_provider: tuple[str, ...] = ()
    unique_message = ""

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.unique_with_provider and "request" in self.context:
            values = {name: attrs.get(name, getattr(self.instance, name, None))
                      for name in self.unique_with_provider}
            clash = self.Meta.model.objects.filter(provider_id=_provider_id(self), **values)
            if self.instance is not None:
                clash = clash.exclude(pk=self.instance.pk)
            if clash.exists():
                raise serializers.ValidationError(
                    {self.unique_with_provider[-1]: [str(self.unique_message)]})
        return attrs

    def create(self, validated_data: dict[str, Any]):
        return admin_services.create_provider_object(
            self.Meta.model, actor=request_user(self), data=validated_data)

    def update(self, instance, validated_data: dict[str, Any]):
        return admin_services.update_provider_object(
            instance, actor=request_user(self), changes=validated_data)


class CatalogServiceSerializer(ProviderObjectSerializer):
    unique_with_provider = ("code",)

    class Meta:
        model = Service
        fields = ["id", "provider", "code", "name", "description", "owner_team", "customers",
                  "calendar", "is_24x7", "availability_target", "max_interruption_minutes",
                  "is_active"]
        read_only_fields = ["provider", "is_24x7"]
        validators: list = []

    @property
    def unique_message(self) -> str:
        return _("A service with this code already exists.")

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        if "request" in self.context:
            provider = _provider_id(self)
            fields["owner_team"].queryset = Team.objects.filter(organization_id=provider)
            fields["customers"].child_relation.queryset = Organization.objects.filter(
                provider_id=provider)
        return fields

    def to_representation(self, instance: Service) -> dict[str, Any]:
        data = super().to_representation(instance)
        if "request" in self.context and not access.is_provider_staff(request_user(self)):
            data.pop("customers", None)  # a customer does not learn who else subscribes
        return data


class SLATargetSerializer(ScopedModelSerializer):
    response_minutes = StrictIntegerField(min_value=1, max_value=1_000_000)
    resolution_minutes = StrictIntegerField(min_value=1, max_value=1_000_000)

    class Meta:
        model = SLATarget
        fields = ["priority", "response_minutes", "resolution_minutes"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["response_minutes"] > attrs["resolution_minutes"]:
            raise serializers.ValidationError({"response_minutes": [_(
                "The response target must not exceed the resolution target.")]})
        return attrs


class SLAPolicySerializer(ProviderObjectSerializer):
    """A policy with its targets per priority, written in the same request."""

    targets = SLATargetSerializer(many=True, required=False)

    class Meta:
        model = SLAPolicy
        fields = ["id", "provider", "name", "service", "customer", "calendar",
                  "availability_target", "warning_percent", "second_escalation_percent",
                  "is_active", "targets"]
        read_only_fields = ["provider"]

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        if "request" in self.context:
            provider = _provider_id(self)
            fields["service"].queryset = Service.objects.filter(provider_id=provider)
            fields["customer"].queryset = Organization.objects.filter(provider_id=provider)
        return fields

    def validate_targets(self, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        priorities = [t["priority"] for t in value]
        twice = sorted({p for p in priorities if priorities.count(p) > 1})
        if twice:
            raise serializers.ValidationError(
                _("Each priority may have one target only; given more than once: "
                  "%(priorities)s.") % {"priorities": ", ".join(map(str, twice))})
        return value

    def create(self, validated_data: dict[str, Any]) -> SLAPolicy:
        targets = validated_data.pop("targets", None)
        return admin_services.create_policy(actor=request_user(self), data=validated_data,
                                            targets=targets)

    def update(self, instance: SLAPolicy, validated_data: dict[str, Any]) -> SLAPolicy:
        targets = validated_data.pop("targets", None)
        return admin_services.update_policy(instance, actor=request_user(self),
                                            changes=validated_data, targets=targets)


class PriorityRuleSerializer(ProviderObjectSerializer):
    unique_with_provider = ("impact", "urgency")

    class Meta:
        model = PriorityRule
        fields = ["id", "provider", "impact", "urgency", "priority"]
        read_only_fields = ["provider"]
        validators: list = []

    @property
    def unique_message(self) -> str:
        return _("The matrix already has a rule for this impact and urgency.")


class PriorityResolveSerializer(serializers.Serializer):
    impact = serializers.ChoiceField(choices=Impact.choices)
    urgency = serializers.ChoiceField(choices=Urgency.choices)


class PriorityAnswerSerializer(serializers.Serializer):
    impact = StrictIntegerField()
    urgency = StrictIntegerField()
    priority = StrictIntegerField()
    priority_label = serializers.CharField()


# --- Calendars ------------------------------------------------------------------------


class CalendarWindowSerializer(ScopedModelSerializer):
    class Meta:
        model = CalendarWindow
        fields = ["weekday", "start", "end"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["start"] >= attrs["end"]:
            raise serializers.ValidationError(
                {"end": [_("A working window must end after it starts.")]})
        return attrs


class CalendarSerializer(ScopedModelSerializer):
    """A calendar with its weekly windows (written in the same request, replacing all)
    and ``missing_years``: this or next year without any holiday entered."""

    windows = CalendarWindowSerializer(many=True, required=False)
    missing_years = serializers.SerializerMethodField()
    shared = serializers.SerializerMethodField()

    class Meta:
        model = BusinessCalendar
        fields = ["id", "name", "description", "organization", "shared", "time_zone",
                  "always_on", "windows", "missing_years", "updated_at"]
        read_only_fields = ["organization", "updated_at"]

    def get_shared(self, obj: BusinessCalendar) -> bool:
        return obj.organization_id is None

    def get_missing_years(self, obj: BusinessCalendar) -> list[int]:
        if obj.always_on:
            return []
        today = timezone.localdate()
        years = (today.year, today.year + 1)
        found = self.context.get("_years_found")
        if found is None or obj.pk not in found["ids"]:
            parent = self.parent if isinstance(self.parent, serializers.ListSerializer) else None
            ids = [c.pk for c in parent.instance] if parent is not None else [obj.pk]
            found = {"ids": set(ids),
                     "years": admin_services.years_with_exceptions(ids, years)}
            self.context["_years_found"] = found
        entered = found["years"].get(obj.pk, set())
        return [year for year in years if year not in entered]

    def validate_time_zone(self, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise serializers.ValidationError(_("Unknown time zone.")) from exc
        return value

    def validate_windows(self, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        try:
            admin_services.validate_windows(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict["windows"]) from exc
        return value

    def create(self, validated_data: dict[str, Any]) -> BusinessCalendar:
        windows = validated_data.pop("windows", None)
        return admin_services.create_calendar(actor=request_user(self), data=validated_data,
                                              windows=windows)

    def update(self, instance: BusinessCalendar, validated_data: dict[str, Any]
               ) -> BusinessCalendar:
        windows = validated_data.pop("windows", None)
        return admin_services.update_calendar(instance, actor=request_user(self),
                                              changes=validated_data, windows=windows)


class CalendarExceptionSerializer(ScopedModelSerializer):
    class Meta:
        model = CalendarException
        fields = ["id", "date", "kind", "name", "start", "end"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        probe = CalendarException(calendar=self.context["calendar"], **attrs)
        try:
            admin_services.validate_exception(probe)
        except DjangoValidationError as exc:
            raise _as_drf_error(exc) from exc
        return attrs


class CalendarExceptionQuerySerializer(serializers.Serializer):
    """``?year=`` of the exceptions list: a year a calendar can hold, or nothing."""

    year = StrictIntegerField(
        required=False, min_value=1900, max_value=2200,
        error_messages={"invalid": gettext_lazy("Give a year such as 2027.")})


class SeedSerializer(serializers.Serializer):
    years = serializers.ListField(child=StrictIntegerField(min_value=1900,
                                                                 max_value=2200),
                                  min_length=1, max_length=10)


class SeedResultSerializer(serializers.Serializer):
    years = serializers.ListField(child=StrictIntegerField())
    added = StrictIntegerField()
    kept = StrictIntegerField()


# --- Request types of the catalogue and their parts --------------------------------------


class RequestTypeFieldSerializer(ObjectSerializer):
    save_with = staticmethod(request_types.savers()[RequestTypeField])
    choices = serializers.ListField(child=serializers.CharField(max_length=200),
                                    required=False, max_length=100)

    class Meta:
        model = RequestTypeField
        fields = ["id", "request_type", "key", "label", "kind", "required", "choices",
                  "help_text", "order"]


class RequestTypeApprovalSerializer(ObjectSerializer):
    save_with = staticmethod(request_types.savers()[RequestTypeApproval])

    class Meta:
        model = RequestTypeApproval
        fields = ["id", "request_type", "order", "kind", "role"]


class RequestTypeTaskSerializer(ObjectSerializer):
    save_with = staticmethod(request_types.savers()[RequestTypeTask])

    class Meta:
        model = RequestTypeTask
        fields = ["id", "request_type", "order", "title", "description", "team"]


class RequestTypeSerializer(ObjectSerializer):
    """A request type with its fields, approval steps and fulfilment tasks (read here;
    each is written through its own route)."""

    save_with = staticmethod(request_types.save_request_type)
    type_fields = RequestTypeFieldSerializer(source="fields", many=True, read_only=True)
    approval_steps = RequestTypeApprovalSerializer(many=True, read_only=True)
    task_templates = RequestTypeTaskSerializer(many=True, read_only=True)

    class Meta:
        model = RequestType
        fields = ["id", "provider", "service", "name", "description", "icon", "order",
                  "sla_policy", "is_active", "type_fields", "approval_steps",
                  "task_templates"]
        read_only_fields = ["provider"]

    def to_representation(self, instance: RequestType) -> dict[str, Any]:
        data = super().to_representation(instance)
        if not access.is_provider_staff(request_user(self)):
            # a customer sees what the form asks, not who works on it
            for name in ("approval_steps", "task_templates", "sla_policy"):
                data.pop(name, None)
        return data
