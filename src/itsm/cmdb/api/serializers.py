"""Serializers of the CMDB API; saving goes through ``cmdb.services``."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from itsm.catalog.models import Service
from itsm.core.api.fields import StrictIntegerField
from itsm.core.api.serializers import (
    ScopedModelSerializer,
    StrictPrimaryKeyRelatedField,
    request_user,
)
from itsm.core.models import Organization, Team

from .. import services
from ..choices import RelationKind
from ..models import CIRelation, CIType, ConfigurationItem

User = get_user_model()


class CITypeSerializer(ScopedModelSerializer):
    attributes = serializers.ListField(child=serializers.CharField(max_length=100),
                                       required=False)

    class Meta:
        model = CIType
        fields = ["id", "code", "name", "attributes"]


class ConfigurationItemSerializer(ScopedModelSerializer):
    organization = StrictPrimaryKeyRelatedField(queryset=Organization.objects.all())
    ci_type = StrictPrimaryKeyRelatedField(queryset=CIType.objects.all())
    owner = StrictPrimaryKeyRelatedField(queryset=User.objects.all(), required=False,
                                               allow_null=True)
    owner_team = StrictPrimaryKeyRelatedField(queryset=Team.objects.all(),
                                                    required=False, allow_null=True)
    service = StrictPrimaryKeyRelatedField(queryset=Service.objects.all(),
                                                 required=False, allow_null=True)
    attributes = serializers.DictField(required=False)
    organization_name = serializers.CharField(source="organization.name", read_only=True)
    ci_type_code = serializers.CharField(source="ci_type.code", read_only=True)
    ci_type_name = serializers.CharField(source="ci_type.name", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    environment_label = serializers.CharField(source="get_environment_display",
                                              read_only=True)

    class Meta:
        model = ConfigurationItem
        fields = ["id", "name", "organization", "organization_name", "ci_type",
                  "ci_type_code", "ci_type_name", "status", "status_label", "environment",
                  "environment_label", "owner", "owner_team", "service", "description",
                  "attributes", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]
        validators: list = []  # uniqueness is checked by the service (field messages)

    def create(self, validated_data: dict[str, Any]) -> ConfigurationItem:
        return services.create_item(actor=request_user(self), data=validated_data)

    def update(self, instance: ConfigurationItem,
               validated_data: dict[str, Any]) -> ConfigurationItem:
        return services.update_item(instance, actor=request_user(self),
                                    changes=validated_data)


class CIRelationSerializer(ScopedModelSerializer):
    source = StrictPrimaryKeyRelatedField(queryset=ConfigurationItem.objects.all())
    target = StrictPrimaryKeyRelatedField(queryset=ConfigurationItem.objects.all())
    kind = serializers.ChoiceField(choices=RelationKind.choices)
    source_name = serializers.CharField(source="source.name", read_only=True)
    target_name = serializers.CharField(source="target.name", read_only=True)
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = CIRelation
        fields = ["id", "source", "source_name", "kind", "kind_label", "target",
                  "target_name", "created_at"]
        read_only_fields = ["created_at"]
        validators: list = []  # the service answers duplicates with a field message

    def get_fields(self):
        fields = super().get_fields()
        user = getattr(self.context.get("request"), "user", None)
        if user is not None:  # an item you cannot see is "does not exist"
            visible = ConfigurationItem.objects.visible_to(user)
            fields["source"].queryset = visible
            fields["target"].queryset = visible
        return fields

    def create(self, validated_data: dict[str, Any]) -> CIRelation:
        return services.add_relation(validated_data["source"], validated_data["target"],
                                     kind=validated_data["kind"], actor=request_user(self))


class ImpactItemSerializer(serializers.Serializer):
    id = StrictIntegerField()
    name = serializers.CharField()
    type = serializers.CharField()
    status = serializers.CharField()
    organization = StrictIntegerField()


class ImpactSerializer(serializers.Serializer):
    """The answer of ``…/impact/`` (documentation only)."""

    ci = ImpactItemSerializer()
    items = ImpactItemSerializer(many=True)
    services = serializers.ListField(child=serializers.DictField())
    organizations = serializers.ListField(child=serializers.DictField())
    open_records = serializers.ListField(child=serializers.DictField())


class GraphSerializer(serializers.Serializer):
    """The answer of ``…/graph/`` (documentation only)."""

    nodes = serializers.ListField(child=serializers.DictField())
    edges = serializers.ListField(child=serializers.DictField())


class ImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=_("A CSV (UTF-8 or GBK) or XLSX file."))


class ImportResultSerializer(serializers.Serializer):
    items = StrictIntegerField()
    relations = StrictIntegerField()


class RecordCISerializer(serializers.Serializer):
    ci = StrictIntegerField(help_text=_("Id of a configuration item."))
