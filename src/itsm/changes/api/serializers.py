"""Serializers of changes, their approval steps, tasks, calendar and the provider's
master data (boards, templates, freeze windows, CAB meetings). Every write goes through
``changes.services`` (or ``core.services`` for the change itself).

Statuses and decisions in read-only shapes are plain strings with a ``…_label``: one
choice set per property name keeps the OpenAPI enum names stable.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from itsm.catalog.models import Service
from itsm.core import access
from itsm.core.api.fields import StrictIntegerField
from itsm.core.api.serializers import (
    ObjectSerializer,
    PersonNameField,
    RecordSerializer,
    ScopedModelSerializer,
    request_user,
)
from itsm.core.models import display_name
from itsm.core.scoping import provider_staff

from .. import approvals, services
from ..choices import MeetingDecision, VoteDecision
from ..models import (
    Approval,
    CabMeeting,
    Change,
    ChangeBoard,
    ChangeTask,
    ChangeTemplate,
    FreezeWindow,
    MeetingItem,
    Vote,
)

CHANGE_FIELDS = ["change_type", "template", "board", "services", "reason", "scope",
                 "expected_impact", "implementation_plan", "backout_plan", "test_plan",
                 "planned_start", "planned_end", "impact_business", "impact_technology",
                 "impact_security", "impact_cost", "likelihood", "impact", "risk_level",
                 "scale", "assessed_at", "approved_at", "actual_start", "actual_end",
                 "verification_function", "verification_performance",
                 "verification_security", "outcome", "review_findings", "closed_at"]


class ChangeSerializer(RecordSerializer):
    class Meta(RecordSerializer.Meta):
        model = Change
        fields = [*RecordSerializer.Meta.fields, *CHANGE_FIELDS]
        read_only_fields = [*RecordSerializer.Meta.read_only_fields, "risk_level",
                            "assessed_at", "approved_at", "actual_start", "actual_end",
                            "closed_at"]


# --- Approval steps and votes ------------------------------------------------------------


class PersonRefSerializer(serializers.Serializer):
    id = StrictIntegerField()
    name = serializers.CharField()


def person_ref(user) -> dict[str, Any]:
    return {"id": user.pk, "name": display_name(user)}


class VoteSerializer(ScopedModelSerializer):
    voter_name = PersonNameField(source="voter")
    decision = serializers.CharField(read_only=True)
    decision_label = serializers.CharField(source="get_decision_display", read_only=True)

    class Meta:
        model = Vote
        fields = ["id", "voter", "voter_name", "decision", "decision_label", "comment",
                  "cast_at"]
        read_only_fields = fields


class TallySerializer(serializers.Serializer):
    approve = StrictIntegerField()
    reject = StrictIntegerField()
    abstain = StrictIntegerField()
    cast = StrictIntegerField()
    eligible = StrictIntegerField()
    quorum = StrictIntegerField()


class ApprovalSerializer(ScopedModelSerializer):
    """One approval step with its approvers, votes, tally and whether you may vote."""

    stage = serializers.CharField(read_only=True)
    stage_label = serializers.CharField(source="get_stage_display", read_only=True)
    board_name = serializers.CharField(source="board.name", read_only=True, default=None)
    status = serializers.CharField(read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    approvers = serializers.SerializerMethodField()
    votes = VoteSerializer(many=True, read_only=True)
    tally = serializers.SerializerMethodField()
    may_vote = serializers.SerializerMethodField()

    class Meta:
        model = Approval
        fields = ["id", "round", "position", "stage", "stage_label", "board", "board_name",
                  "status", "status_label", "opened_at", "decided_at", "quorum",
                  "approvers", "votes", "tally", "may_vote"]
        read_only_fields = fields

    @extend_schema_field(PersonRefSerializer(many=True))
    def get_approvers(self, obj: Approval) -> list[dict[str, Any]]:
        return [person_ref(p) for p in obj.approvers.all()]

    @extend_schema_field(TallySerializer)
    def get_tally(self, obj: Approval) -> dict[str, int]:
        counts = approvals.tally(obj)
        return {"approve": counts.approve, "reject": counts.reject,
                "abstain": counts.abstain, "cast": counts.cast,
                "eligible": counts.eligible, "quorum": counts.quorum}

    def get_may_vote(self, obj: Approval) -> bool:
        return approvals.may_vote(request_user(self), obj)


class ApprovalResultSerializer(ApprovalSerializer):
    """The step after a vote (or after closing the voting) and the change's status."""

    change_status = serializers.CharField(source="change.status", read_only=True)
    change_status_label = serializers.CharField(source="change.status_label", read_only=True)

    class Meta(ApprovalSerializer.Meta):
        fields = [*ApprovalSerializer.Meta.fields, "change_status", "change_status_label"]
        read_only_fields = fields


class CastVoteSerializer(serializers.Serializer):
    """Body of ``POST /api/changes/{id}/vote/``; rejecting needs a comment."""

    decision = serializers.ChoiceField(choices=VoteDecision.choices)
    comment = serializers.CharField(required=False, allow_blank=True, default="",
                                    max_length=5000)


# --- Calendar, conflicts, freeze windows ------------------------------------------------------


class FreezeWindowSerializer(ObjectSerializer):
    """A change freeze window of your provider (change managers write)."""

    save_with = staticmethod(services.save_freeze)

    class Meta:
        model = FreezeWindow
        fields = ["id", "provider", "name", "reason", "start", "end", "services"]
        read_only_fields = ["provider"]

    def get_fields(self):
        fields = super().get_fields()
        if "request" in self.context:
            fields["services"].child_relation.queryset = Service.objects.filter(
                provider_id=access.provider_id_of(request_user(self)))
        return fields

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start = attrs.get("start", getattr(self.instance, "start", None))
        end = attrs.get("end", getattr(self.instance, "end", None))
        if start and end and end <= start:
            raise serializers.ValidationError({"end": [_("The end must be after the start.")]})
        return attrs


class ConflictSerializer(serializers.Serializer):
    """Another planned change whose window overlaps on a shared CI or service."""

    id = StrictIntegerField(source="change.pk")
    number = serializers.CharField(source="change.number")
    title = serializers.CharField(source="change.title")
    status = serializers.CharField(source="change.status")
    status_label = serializers.CharField(source="change.status_label")
    planned_start = serializers.DateTimeField(source="change.planned_start")
    planned_end = serializers.DateTimeField(source="change.planned_end")
    items = serializers.ListField(child=serializers.CharField(),
                                  help_text=gettext_lazy("Shared configuration items"))
    services = serializers.ListField(child=serializers.CharField(),
                                     help_text=gettext_lazy("Shared services"))


class ConflictsSerializer(serializers.Serializer):
    conflicts = ConflictSerializer(many=True)
    freezes = FreezeWindowSerializer(many=True)


class ChangeCalendarEntrySerializer(serializers.Serializer):
    id = StrictIntegerField(source="change.pk")
    number = serializers.CharField(source="change.number")
    title = serializers.CharField(source="change.title")
    status = serializers.CharField(source="change.status")
    status_label = serializers.CharField(source="change.status_label")
    change_type = serializers.CharField(source="change.change_type")
    risk_level = serializers.CharField(source="change.risk_level")
    planned_start = serializers.DateTimeField(source="change.planned_start")
    planned_end = serializers.DateTimeField(source="change.planned_end")
    conflicts = ConflictSerializer(many=True)


class ChangeCalendarSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    changes = ChangeCalendarEntrySerializer(many=True)
    freezes = FreezeWindowSerializer(many=True)


# --- Tasks ------------------------------------------------------------------------------------


class ChangeTaskSerializer(ScopedModelSerializer):
    """A piece of the implementation; saved through ``changes.services``."""

    change_number = serializers.CharField(source="change.number", read_only=True)
    assignee_name = PersonNameField(source="assignee")
    status_label = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = ChangeTask
        fields = ["id", "change", "change_number", "position", "title", "description",
                  "assignee", "assignee_name", "status", "status_label", "planned_start",
                  "planned_end", "started_at", "finished_at", "notes"]
        read_only_fields = ["change", "position", "started_at", "finished_at"]

    def get_fields(self):
        fields = super().get_fields()
        if "request" in self.context:
            fields["assignee"].queryset = provider_staff(request_user(self))
        return fields

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start = attrs.get("planned_start", getattr(self.instance, "planned_start", None))
        end = attrs.get("planned_end", getattr(self.instance, "planned_end", None))
        if start and end and end <= start:
            raise serializers.ValidationError(
                {"planned_end": [_("The planned end must be after the planned start.")]})
        return attrs

    def create(self, validated_data: dict[str, Any]) -> ChangeTask:
        change = validated_data.pop("change")
        return services.create_task(change, actor=request_user(self), data=validated_data)

    def update(self, instance: ChangeTask, validated_data: dict[str, Any]) -> ChangeTask:
        return services.update_task(instance, actor=request_user(self),
                                    changes=validated_data)


# --- Boards and templates ------------------------------------------------------------------


class ChangeBoardSerializer(ObjectSerializer):
    """A change advisory board of your provider; people are given by id."""

    save_with = staticmethod(services.save_board)

    chair_name = PersonNameField(source="chair")

    class Meta:
        model = ChangeBoard
        fields = ["id", "provider", "name", "description", "chair", "chair_name", "members",
                  "emergency_approvers", "quorum", "is_default", "is_active"]
        read_only_fields = ["provider"]

    def get_fields(self):
        fields = super().get_fields()
        if "request" in self.context:
            staff = provider_staff(request_user(self))
            fields["chair"].queryset = staff
            fields["members"].child_relation.queryset = staff
            fields["emergency_approvers"].child_relation.queryset = staff
        return fields


class ChangeTemplateSerializer(ObjectSerializer):
    """A standard change template (pre-approved) of your provider."""

    save_with = staticmethod(services.save_template)

    approved_by_name = PersonNameField(source="approved_by")

    class Meta:
        model = ChangeTemplate
        fields = ["id", "provider", "name", "description", "implementation_plan",
                  "backout_plan", "test_plan", "is_active", "approved_by", "approved_by_name"]
        read_only_fields = ["provider", "approved_by"]


# --- CAB meetings -----------------------------------------------------------------------------


class MeetingItemSerializer(ScopedModelSerializer):
    """A change on a meeting's agenda and the decision recorded for it."""

    change_number = serializers.CharField(source="change.number", read_only=True)
    change_title = serializers.CharField(source="change.title", read_only=True)
    change_status = serializers.CharField(source="change.status", read_only=True)
    change_status_label = serializers.CharField(source="change.status_label", read_only=True)
    decision = serializers.CharField(read_only=True)
    decision_label = serializers.CharField(source="get_decision_display", read_only=True)

    class Meta:
        model = MeetingItem
        fields = ["id", "position", "change", "change_number", "change_title",
                  "change_status", "change_status_label", "decision", "decision_label",
                  "notes", "decided_at"]
        read_only_fields = fields


class CabMeetingSerializer(ObjectSerializer):
    """A meeting of one of your provider's boards; a new meeting's agenda is the
    changes waiting for the board's votes."""

    save_with = staticmethod(services.save_meeting)

    board_name = serializers.CharField(source="board.name", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    created_by_name = PersonNameField(source="created_by")
    items = MeetingItemSerializer(many=True, read_only=True)

    class Meta:
        model = CabMeeting
        fields = ["id", "board", "board_name", "title", "scheduled_at", "location", "status",
                  "status_label", "attendees", "minutes", "created_by", "created_by_name",
                  "items"]
        read_only_fields = ["created_by"]

    def get_fields(self):
        fields = super().get_fields()
        if "request" in self.context:
            fields["attendees"].child_relation.queryset = provider_staff(request_user(self))
        if self.instance is not None and not isinstance(self.instance, list):
            fields["board"].read_only = True
        return fields


class AgendaItemSerializer(serializers.Serializer):
    """Body of ``POST /api/cab-meetings/{id}/items/``."""

    change = StrictIntegerField(min_value=1, help_text=gettext_lazy("Change id"))


class MeetingDecisionSerializer(serializers.Serializer):
    """Body of ``POST /api/cab-meetings/{id}/decisions/``."""

    item = StrictIntegerField(min_value=1, help_text=gettext_lazy("Agenda item id"))
    decision = serializers.ChoiceField(choices=MeetingDecision.choices)
    notes = serializers.CharField(required=False, allow_blank=True, default="")
