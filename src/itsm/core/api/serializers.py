"""Base serializers: records (through the service layer) and the directory."""

from __future__ import annotations

import copy
from functools import cached_property
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .. import access, directory, links, notifications, services, templating
from .. import rules as perms
from ..choices import ChannelKind, Language, LinkKind, NotificationEvent, Role
from ..filtersets import MAX_ID
from ..global_search import SearchSection
from ..limits import COMMENT_MAX_LENGTH
from ..models import (
    Attachment,
    AuditEntry,
    Comment,
    Department,
    Notification,
    NotificationAttempt,
    NotificationChannel,
    NotificationTemplate,
    Organization,
    Record,
    Team,
    TimelineEvent,
    display_name,
)
from ..scoping import record_relation_querysets, restrict
from ..search import MAX_QUERY
from .fields import StrictIntegerField

User = get_user_model()


class StrictPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """An object named by its id: a whole number (or a string of digits) from 1 to
    ``MAX_ID``. ``1.5``, ``"1e3"`` or ``true`` are refused with a 400 rather than
    read as another object's id (the database would truncate 1.5 to 1)."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str) and data.isascii() and data.isdigit():
            data = int(data)
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("incorrect_type", data_type=type(data).__name__)
        if not 1 <= data <= MAX_ID:
            self.fail("does_not_exist", pk_value=data)
        return super().to_internal_value(data)


def scope_relations(fields, user) -> None:
    """Limit the choices of every related field among ``fields`` to ``user``'s scope
    (``core.scoping.restrict``): the floor under whatever queryset a serializer sets."""
    for field in fields:
        relation = field.child_relation if isinstance(field, serializers.ManyRelatedField) \
            else field
        if isinstance(relation, serializers.RelatedField) and relation.queryset is not None:
            relation.queryset = restrict(relation.queryset, user)


class ScopedModelSerializer(serializers.ModelSerializer):
    """The base of every model serializer of the project.

    Integers are strict (``StrictIntegerField``: no ``true``, ``1.5`` or ``"1e3"``);
    related fields are strict about ids (``StrictPrimaryKeyRelatedField``) and offer,
    look up and describe only objects of the reader's scope, whatever queryset a
    subclass declares: the choices are bound when the fields are (for the request of
    the serializer's context; without a request, no choice at all).
    ``core.tests.test_scoped_choices`` fails for a serializer that is not built on it.
    """

    serializer_related_field = StrictPrimaryKeyRelatedField
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        **{field: StrictIntegerField for field in (
            models.IntegerField, models.SmallIntegerField, models.BigIntegerField,
            models.PositiveIntegerField, models.PositiveSmallIntegerField,
            models.PositiveBigIntegerField)},
    }

    @cached_property
    def fields(self):
        fields = super().fields
        request = self.context.get("request")
        scope_relations(fields.values(), getattr(request, "user", None))
        return fields


class PersonNameField(serializers.Field):
    """Read-only display name of a related person."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value) -> str:
        return display_name(value)


PersonNameField = extend_schema_field(serializers.CharField())(PersonNameField)


class RecordNumbersField(serializers.ListField):
    """Write-only numbers of records the new record is about (``["INC-2026-000042"]``),
    each one the requesting user can see; validated to the records themselves (up to
    ten), for the service to link."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("child", serializers.CharField(max_length=32))
        kwargs.setdefault("max_length", 10)
        super().__init__(write_only=True, required=False, **kwargs)

    def to_internal_value(self, data: Any) -> list:
        user = request_user(self.parent)
        found = []
        for number in super().to_internal_value(data):
            record = links.find_visible_record(user, number=number.strip())
            if record is None:
                raise serializers.ValidationError(
                    _("No record “%(number)s” that you can see.") % {"number": number})
            found.append(record)
        return found


def request_user(serializer: serializers.Serializer):
    return serializer.context["request"].user


class ObjectSerializer(ScopedModelSerializer):
    """A non-record object written through its app's service, declared as
    ``save_with = staticmethod(services.save_x)``: ``save_x(instance or None, *, actor,
    data)`` checks who may write and the domain rules and calls
    ``core.objects.save_object`` (validated, audited). The object pages call the same
    function (``core.object_views.ObjectViewMixin.save_with``)."""

    save_with: Any = None

    def create(self, validated_data: dict[str, Any]) -> models.Model:
        return self.save_with(None, actor=request_user(self), data=validated_data)

    def update(self, instance: models.Model, validated_data: dict[str, Any]) -> models.Model:
        return self.save_with(instance, actor=request_user(self), data=validated_data)


class RecordSerializer(ScopedModelSerializer):
    """Serializer for any ``Record`` subclass; saving goes through ``core.services``.

    Subclasses set ``Meta.model`` and extend ``Meta.fields`` with their own fields.
    """

    status_label = serializers.CharField(read_only=True)
    organization_name = serializers.CharField(source="organization.name", read_only=True)
    requester_name = PersonNameField(source="requester")
    assignee_name = PersonNameField(source="assignee")
    owner_name = PersonNameField(source="owner")
    assignee_team_name = serializers.CharField(
        source="assignee_team.name", read_only=True, default=None
    )
    version = StrictIntegerField(
        required=False, min_value=1,
        help_text=gettext_lazy(
            "On update: the version you read. A stale version is refused with 409."),
    )

    class Meta:
        model: type[Record]
        fields = [
            "id", "number", "organization", "organization_name", "title", "description",
            "status", "status_label", "priority", "requester", "requester_name", "owner",
            "owner_name", "assignee", "assignee_name", "assignee_team", "assignee_team_name",
            "due_at", "created_by", "created_at", "updated_at", "version",
        ]
        read_only_fields = ["number", "status", "created_by", "created_at", "updated_at"]

    def get_fields(self) -> dict[str, serializers.Field]:
        # What ModelSerializer derives from the model and Meta is the same for every
        # serializer of a class: derived once, copied for each (fields are bound to one).
        template = type(self).__dict__.get("_model_fields")
        if template is None:
            template = super().get_fields()
            type(self)._model_fields = template
        fields = copy.deepcopy(template)
        if "request" not in self.context:
            return fields
        user = request_user(self)
        if self.context["request"].method not in ("GET", "HEAD"):
            # The choices only matter for writes (and for the forms of the browsable API
            # and OPTIONS, which ask as POST/PUT); a read does not build them.
            for name, queryset in record_relation_querysets(user).items():
                fields[name].queryset = queryset
        if not access.is_provider_staff(user):
            for name in self.Meta.model.internal_fields:  # the internal analysis
                fields.pop(name, None)
        if not access.is_staff_writer(user):
            fields["organization"].required = False
            fields["requester"].required = False
            for name in self.Meta.model.staff_fields:
                if name in fields:
                    fields[name].read_only = True
        if self.instance is not None and not isinstance(self.instance, list):
            fields["organization"].read_only = True
        return fields

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        user = request_user(self)
        if self.instance is None and "organization" not in attrs:
            org = access.organization_of(user)
            if org is None or access.is_staff_writer(user):
                raise serializers.ValidationError(
                    {"organization": [serializers.Field.default_error_messages["required"]]}
                )
            attrs["organization"] = org
        return attrs

    def create(self, validated_data: dict[str, Any]) -> Record:
        validated_data.pop("version", None)
        return services.create_record(
            self.Meta.model, actor=request_user(self), data=validated_data
        )

    def update(self, instance: Record, validated_data: dict[str, Any]) -> Record:
        version = validated_data.pop("version", None)
        return services.update_record(
            instance, actor=request_user(self), changes=validated_data, expected_version=version
        )


def transition_values_serializer(record: Record, names: list[str], *, user):
    """A serializer class for the fields a transition sets, with the user's choices."""
    relations = record_relation_querysets(user)

    class TransitionValuesSerializer(ScopedModelSerializer):
        class Meta:
            model = type(record)
            fields = names

        def get_fields(self) -> dict[str, serializers.Field]:
            fields = super().get_fields()
            for name, field in fields.items():
                if name in relations:
                    field.queryset = relations[name]
            return fields

    return TransitionValuesSerializer


class BulkSerializer(serializers.Serializer):
    """Body of ``POST …/bulk/``: one operation for the records ``ids`` — a
    ``transition`` (with its ``values`` and ``comment``), field ``changes`` (assignee,
    team, priority), or a ``comment`` alone (``internal`` for a note)."""

    ids = serializers.ListField(child=StrictIntegerField(min_value=1, max_value=MAX_ID),
                                min_length=1, max_length=200)
    transition = serializers.CharField(required=False, allow_blank=True, default="")
    values = serializers.DictField(required=False, default=dict)
    changes = serializers.DictField(required=False, default=dict)
    comment = serializers.CharField(required=False, allow_blank=True, default="",
                                    max_length=COMMENT_MAX_LENGTH)
    internal = serializers.BooleanField(required=False, default=False)

    #: Fields a bulk update may change.
    CHANGEABLE = ("assignee", "assignee_team", "priority")

    def validate_changes(self, value: dict) -> dict:
        other = set(value) - set(self.CHANGEABLE)
        if other:
            raise serializers.ValidationError(
                _("Only these fields can be changed in bulk: %(fields)s.")
                % {"fields": ", ".join(self.CHANGEABLE)})
        return value

    def validate(self, attrs: dict) -> dict:
        chosen = [bool(attrs["transition"]), bool(attrs["changes"]),
                  not attrs["transition"] and not attrs["changes"] and bool(attrs["comment"])]
        if sum(chosen) != 1:
            raise serializers.ValidationError(
                _("Give one operation: a transition, changes, or a comment."))
        return attrs


class BulkResultSerializer(serializers.Serializer):
    id = StrictIntegerField()
    number = serializers.CharField()
    ok = serializers.BooleanField()
    message = serializers.CharField()
    url = serializers.CharField()


class TransitionSerializer(serializers.Serializer):
    """Body of ``POST …/{id}/transition/``; fields the transition sets go in ``values``."""

    transition = serializers.CharField()
    comment = serializers.CharField(required=False, allow_blank=True, default="")
    values = serializers.DictField(required=False, default=dict)
    version = StrictIntegerField(required=False, min_value=1)


class AvailableTransitionSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    target = serializers.CharField()
    fields = serializers.ListField(child=serializers.CharField())
    required = serializers.ListField(child=serializers.CharField())
    comment_required = serializers.BooleanField()


class CommentSerializer(ScopedModelSerializer):
    author_name = PersonNameField(source="author")

    class Meta:
        model = Comment
        fields = ["id", "author", "author_name", "body", "internal", "created_at"]
        read_only_fields = ["author", "created_at"]


class AttachmentSerializer(ScopedModelSerializer):
    uploaded_by_name = PersonNameField(source="uploaded_by")
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "original_name", "size", "mime_type", "sha256", "internal",
                  "uploaded_by", "uploaded_by_name", "created_at", "download_url"]
        read_only_fields = fields

    def get_download_url(self, obj: Attachment) -> str:
        return reverse("api:attachment-download", args=[obj.pk])


class AttachmentUploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    internal = serializers.BooleanField(required=False, default=False)


class TimelineEventSerializer(ScopedModelSerializer):
    actor_name = PersonNameField(source="actor")

    class Meta:
        model = TimelineEvent
        fields = ["id", "occurred_at", "actor", "actor_name", "kind", "internal", "data"]
        read_only_fields = fields


class AuditEntrySerializer(ScopedModelSerializer):
    class Meta:
        model = AuditEntry
        fields = ["id", "occurred_at", "actor_id", "actor_name", "source", "ip_address",
                  "action", "object_type", "object_id", "object_repr", "organization_id",
                  "changes", "prev_hash", "hash"]
        read_only_fields = fields


# --- Directory ------------------------------------------------------------------------


class DirectorySerializer(ScopedModelSerializer):
    """Master data saved through ``core.directory`` (audited, administrators only)."""

    def create(self, validated_data: dict[str, Any]):
        return directory.create_object(
            self.Meta.model, actor=request_user(self), data=validated_data
        )

    def update(self, instance, validated_data: dict[str, Any]):
        return directory.update_object(instance, actor=request_user(self), changes=validated_data)


class OrganizationSerializer(DirectorySerializer):
    class Meta:
        model = Organization
        fields = ["id", "name", "code", "kind", "provider", "time_zone", "is_active", "created_at"]
        read_only_fields = ["created_at"]

    def get_fields(self):
        fields = super().get_fields()
        fields["provider"].queryset = Organization.objects.filter(kind="provider")
        return fields

    def validate(self, attrs):
        kind = attrs.get("kind", getattr(self.instance, "kind", None))
        provider = attrs.get("provider", getattr(self.instance, "provider", None))
        if kind == "customer" and provider is None:
            raise serializers.ValidationError({"provider": [_("A customer needs a provider.")]})
        if kind == "provider" and provider is not None:
            raise serializers.ValidationError({"provider": [_("A provider has no provider.")]})
        return attrs


class DepartmentSerializer(DirectorySerializer):
    class Meta:
        model = Department
        fields = ["id", "organization", "name", "parent", "head"]


class TeamSerializer(DirectorySerializer):
    class Meta:
        model = Team
        fields = ["id", "organization", "name", "description", "email", "lead", "members"]


class PersonSerializer(ScopedModelSerializer):
    """A person: the login account and its profile, flattened."""

    organization = StrictPrimaryKeyRelatedField(
        source="profile.organization", queryset=Organization.objects.all()
    )
    department = StrictPrimaryKeyRelatedField(
        source="profile.department", queryset=Department.objects.all(), allow_null=True,
        required=False,
    )
    phone = serializers.CharField(source="profile.phone", required=False, allow_blank=True)
    job_title = serializers.CharField(source="profile.job_title", required=False,
                                      allow_blank=True)
    language = serializers.ChoiceField(source="profile.language", required=False,
                                       choices=directory.Language.choices)
    roles = serializers.ListField(
        child=serializers.ChoiceField(choices=Role.choices), required=False
    )
    display_name = serializers.SerializerMethodField()
    password = serializers.CharField(write_only=True, required=False,
                                     style={"input_type": "password"})

    class Meta:
        model = User
        fields = ["id", "username", "first_name", "last_name", "display_name", "email",
                  "is_active", "organization", "department", "phone", "job_title", "language",
                  "roles", "password"]

    def get_display_name(self, obj) -> str:
        return display_name(obj)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["roles"] = sorted(g.name for g in instance.groups.all())
        return data

    def validate_password(self, value: str) -> str:
        validate_password(value, self.instance)
        return value

    def create(self, validated_data: dict[str, Any]):
        return directory.create_person(actor=request_user(self), data=validated_data)

    def update(self, instance, validated_data: dict[str, Any]):
        return directory.update_person(instance, actor=request_user(self), data=validated_data)


class MeSerializer(serializers.Serializer):
    language = serializers.ChoiceField(choices=directory.Language.choices)


# --- Notifications ----------------------------------------------------------------------


@extend_schema_field({"type": "array",
                      "items": {"type": "string", "enum": list(NotificationEvent.values)}})
class EventListField(serializers.ListField):
    """A list of event codes (an inline enum: one choice set, one name in the schema)."""


class NotificationChannelSerializer(ScopedModelSerializer):
    """A robot, webhook or mailing list of the provider; saved through ``notifications``.

    ``secret`` is write-only: leave it out to keep the current one, send "" to remove
    it. ``has_secret`` tells whether one is set. Staff who are not administrators see
    the address without its token (``https://oapi.dingtalk.com/…``).
    """

    secret = serializers.CharField(write_only=True, required=False, allow_blank=True,
                                   max_length=200, style={"input_type": "password"})
    has_secret = serializers.SerializerMethodField()
    events = EventListField(
        child=serializers.ChoiceField(choices=NotificationEvent.choices), required=False,
        help_text=gettext_lazy("Event codes to send; empty means all."))
    rate_limit_per_minute = StrictIntegerField(required=False, min_value=1,
                                                     max_value=600)

    class Meta:
        model = NotificationChannel
        fields = ["id", "organization", "name", "kind", "target", "secret", "has_secret",
                  "events", "rate_limit_per_minute", "is_active"]
        read_only_fields = ["organization"]

    def get_has_secret(self, obj: NotificationChannel) -> bool:
        return bool(obj.secret)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data.pop("secret", None)
        user = request_user(self) if "request" in self.context else None
        if (instance.kind != ChannelKind.EMAIL
                and not (user is not None and perms.can_manage_master_data(user))):
            data["target"] = notifications.redact_url(instance.target)
        return data

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        kind = attrs.get("kind", getattr(self.instance, "kind", None))
        target = attrs.get("target", getattr(self.instance, "target", ""))
        if "kind" in attrs or "target" in attrs:
            try:
                attrs["target"] = notifications.validate_target(kind, target)
            except DjangoValidationError as exc:
                raise serializers.ValidationError({"target": exc.messages}) from exc
        return attrs

    def create(self, validated_data: dict[str, Any]) -> NotificationChannel:
        return notifications.create_channel(actor=request_user(self), data=validated_data)

    def update(self, instance: NotificationChannel, validated_data: dict[str, Any]
               ) -> NotificationChannel:
        return notifications.update_channel(instance, actor=request_user(self),
                                            changes=validated_data)


class NotificationAttemptSerializer(ScopedModelSerializer):
    class Meta:
        model = NotificationAttempt
        fields = ["id", "attempted_at", "ok", "status_code", "error", "response"]
        read_only_fields = fields


class NotificationSerializer(ScopedModelSerializer):
    """One notification of the log with every delivery attempt."""

    event_label = serializers.CharField(source="get_event_display", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    channel_name = serializers.CharField(source="channel.name", read_only=True, default=None)
    record = serializers.SerializerMethodField()
    attempt_log = NotificationAttemptSerializer(many=True, read_only=True)

    class Meta:
        model = Notification
        fields = ["id", "event", "event_label", "channel", "channel_name", "recipient",
                  "subject", "body", "record", "organization_id", "status", "status_label",
                  "attempts", "last_error", "created_at", "sent_at", "attempt_log"]
        read_only_fields = fields

    @extend_schema_field(serializers.DictField(allow_null=True))
    def get_record(self, obj: Notification) -> dict | None:
        return (obj.payload or {}).get("record") or None


class NotificationTemplatePreviewSerializer(serializers.Serializer):
    """A template to try on a sample ticket (nothing is saved)."""

    event = serializers.ChoiceField(choices=NotificationEvent.choices)
    language = serializers.ChoiceField(choices=Language.choices)
    subject_template = serializers.CharField(max_length=templating.MAX_SUBJECT_SOURCE,
                                             trim_whitespace=False)
    body_template = serializers.CharField(max_length=templating.MAX_BODY_SOURCE,
                                          trim_whitespace=False)
    subject = serializers.CharField(read_only=True)
    body = serializers.CharField(read_only=True)


class NotificationTemplateSerializer(ObjectSerializer):
    """The provider's own subject and body for one event and language (Jinja2 text in a
    sandbox; see ``core.templating``). Saved through ``templating.save_template``:
    checked, tried on a sample ticket, audited; unknown placeholders and unsafe
    constructs are 400 with the field's message."""

    event_label = serializers.CharField(source="get_event_display", read_only=True)
    language_label = serializers.CharField(source="get_language_display", read_only=True)
    subject_template = serializers.CharField(max_length=templating.MAX_SUBJECT_SOURCE,
                                             trim_whitespace=False)
    body_template = serializers.CharField(max_length=templating.MAX_BODY_SOURCE,
                                          trim_whitespace=False)
    updated_by_name = PersonNameField(source="updated_by")

    class Meta:
        model = NotificationTemplate
        fields = ["id", "provider", "event", "event_label", "language", "language_label",
                  "subject_template", "body_template", "is_active", "updated_by",
                  "updated_by_name", "updated_at"]
        read_only_fields = ["provider", "updated_by", "updated_at"]
        validators = []  # the service checks (provider, event, language) with a message

    save_with = staticmethod(templating.save_template)

class NotificationPreferenceSerializer(serializers.Serializer):
    event = serializers.ChoiceField(choices=NotificationEvent.choices)
    label = serializers.CharField(read_only=True)
    email = serializers.BooleanField(required=False)
    im = serializers.BooleanField(required=False)
    in_app = serializers.BooleanField(required=False)


# --- Links between records --------------------------------------------------------


class LinkCreateSerializer(serializers.Serializer):
    """The other record by ``target`` (its number) or by ``target_type`` and ``target_id``."""

    target = serializers.CharField(required=False, allow_blank=True, default="",
                                   help_text=gettext_lazy("Number of the record to link."))
    target_type = serializers.CharField(required=False, allow_blank=True, default="",
                                        help_text=gettext_lazy(
                                            "Record type: servicerequest, incident, …"))
    target_id = StrictIntegerField(required=False, allow_null=True, default=None,
                                         min_value=1, max_value=2**63 - 1)
    kind = serializers.ChoiceField(choices=LinkKind.choices, default=LinkKind.RELATED)

    def validate(self, attrs):
        if not attrs["target"] and not (attrs["target_type"] and attrs["target_id"]):
            raise serializers.ValidationError(
                {"target": _("Give the number of the record to link, or its type and id.")})
        return attrs


class LinkedRecordSerializer(serializers.Serializer):
    type = serializers.CharField()
    id = StrictIntegerField()
    number = serializers.CharField()
    title = serializers.CharField()
    status = serializers.CharField()
    status_label = serializers.CharField()
    url = serializers.CharField()


class RecordLinkSerializer(serializers.Serializer):
    """A link seen from the record in the URL: the other record and the direction."""

    id = StrictIntegerField()
    kind = serializers.CharField()
    kind_label = serializers.CharField()
    direction = serializers.ChoiceField(choices=["outgoing", "incoming"])
    record = LinkedRecordSerializer()
    created_at = serializers.DateTimeField()

    @staticmethod
    def from_linked(item) -> dict:
        other = item.other
        return {"id": item.link.pk, "kind": item.link.kind, "kind_label": item.kind_label,
                "direction": "outgoing" if item.outgoing else "incoming",
                "record": {"type": other._meta.model_name, "id": other.pk,
                           "number": other.number, "title": other.title,
                           "status": other.status, "status_label": other.status_label,
                           "url": other.get_absolute_url()},
                "created_at": item.link.created_at}


# --- Global search (core.global_search) ---------------------------------------------------


class SearchQuerySerializer(serializers.Serializer):
    """The parameters of ``GET /api/search/``."""

    q = serializers.CharField(
        max_length=MAX_QUERY,
        help_text=gettext_lazy("A record's number, or words that all occur in its number, "
                               "title or description."))


class SearchItemSerializer(serializers.Serializer):
    id = StrictIntegerField()
    number = serializers.CharField()
    title = serializers.CharField()
    status = serializers.CharField()
    status_label = serializers.CharField()
    url = serializers.CharField(help_text=gettext_lazy("The record's page."))

    @staticmethod
    def from_record(record: Record) -> dict[str, Any]:
        return {"id": record.pk, "number": record.number, "title": record.title,
                "status": record.status, "status_label": record.status_label,
                "url": record.get_absolute_url()}


class SearchSectionSerializer(serializers.Serializer):
    """The matches of one record type the reader may search."""

    type = serializers.CharField(help_text=gettext_lazy(
        "Record type: servicerequest, incident, …"))
    label = serializers.CharField()
    count = StrictIntegerField(help_text=gettext_lazy(
        "All matches of this type, counted up to 1,000 (then see 'more')."))
    more = serializers.BooleanField(help_text=gettext_lazy(
        "There are more matches than 'count' says."))
    list_url = serializers.CharField(help_text=gettext_lazy(
        "The type's list page with all the matches, newest first."))
    items = SearchItemSerializer(many=True, help_text=gettext_lazy(
        "The newest matches (at most 10)."))

    @staticmethod
    def from_section(section: SearchSection) -> dict[str, Any]:
        return {"type": section.key, "label": str(section.label), "count": section.count,
                "more": section.more, "list_url": section.list_url,
                "items": [SearchItemSerializer.from_record(r) for r in section.records]}


class SearchResultSerializer(serializers.Serializer):
    query = serializers.CharField()
    results = SearchSectionSerializer(many=True, help_text=gettext_lazy(
        "One entry per record type you may search, those without a match too."))
