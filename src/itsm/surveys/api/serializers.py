from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from itsm.core.api.fields import StrictIntegerField
from itsm.core.api.serializers import (
    ObjectSerializer,
    PersonNameField,
    RecordSerializer,
    ScopedModelSerializer,
)
from itsm.core.models import Department, Organization

from .. import services
from ..choices import STAFF_CHANNELS, SurveyChannel
from ..models import Campaign, FeedbackItem, Questionnaire, Recipient, SurveyResponse


class QuestionnaireSerializer(ObjectSerializer):
    """A questionnaire with its sections and questions, written whole: ``sections`` is a
    list of ``{"title", "title_en", "questions": [{"kind", "title", "title_en",
    "dimension", "options", "allow_not_applicable", "required"}]}``."""

    save_with = staticmethod(services.save_questionnaire)
    sections = serializers.JSONField(required=False)

    class Meta:
        model = Questionnaire
        fields = ["id", "provider", "code", "version", "title", "title_en", "introduction",
                  "introduction_en", "is_active", "frozen_at", "created_at", "sections"]
        read_only_fields = ["provider", "version", "frozen_at", "created_at"]

    def to_representation(self, instance: Questionnaire) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["sections"] = services.sections_of(instance)
        return data


class CampaignSerializer(ObjectSerializer):
    save_with = staticmethod(services.save_campaign)
    channels = serializers.ListField(child=serializers.ChoiceField(SurveyChannel.choices),
                                     allow_empty=False)
    recipient_count = serializers.SerializerMethodField()
    response_count = serializers.SerializerMethodField()

    class Meta:
        model = Campaign
        fields = ["id", "provider", "name", "questionnaire", "period_start", "period_end",
                  "closes_at", "channels", "anonymous", "organizations", "departments",
                  "people", "sample_size", "reminder_days", "status", "launched_at",
                  "created_at", "recipient_count", "response_count"]
        read_only_fields = ["provider", "status", "launched_at", "created_at"]

    def get_recipient_count(self, obj: Campaign) -> int:
        return obj.recipients.count()

    def get_response_count(self, obj: Campaign) -> int:
        return obj.responses.count()


class SurveyResponseSerializer(ScopedModelSerializer):
    respondent_name = PersonNameField(source="respondent")
    interviewer_name = PersonNameField(source="interviewer")
    organization_name = serializers.CharField(source="organization.name", read_only=True)
    answers = serializers.SerializerMethodField()

    class Meta:
        model = SurveyResponse
        fields = ["id", "campaign", "organization", "organization_name", "department",
                  "respondent", "respondent_name", "channel", "interviewer",
                  "interviewer_name", "submitted_at", "answers"]
        read_only_fields = fields

    def get_answers(self, obj: SurveyResponse) -> list[dict[str, Any]]:
        return [{"question": a.question_id, "dimension": a.dimension, "score": a.score,
                 "choices": a.choices, "text": a.text, "not_applicable": a.not_applicable}
                for a in obj.answers.all()]


class StaffAnswerSerializer(serializers.Serializer):
    """Answers given by phone or in an interview, typed in by the interviewer: for a
    recipient of the campaign, or for someone of an organization (and department)."""

    channel = serializers.ChoiceField([(c, SurveyChannel(c).label) for c in
                                       sorted(STAFF_CHANNELS)])
    recipient = StrictIntegerField(required=False, min_value=1,
                                   help_text=_("A recipient id of the campaign"))
    organization = StrictIntegerField(required=False, min_value=1)
    department = StrictIntegerField(required=False, min_value=1)
    answers = serializers.DictField(help_text=_("Question id → 1–5, \"na\", an option, a "
                                                "list of options or text"))

    def resolve(self, campaign: Campaign, user) -> dict[str, Any]:
        data = self.validated_data
        found: dict[str, Any] = {}
        if data.get("recipient"):
            found["recipient"] = Recipient.objects.filter(campaign=campaign,
                                                          pk=data["recipient"]).first()
            if found["recipient"] is None:
                raise serializers.ValidationError({"recipient": [_("Not a recipient of this "
                                                                   "campaign.")]})
        if data.get("organization"):
            found["organization"] = Organization.objects.visible_to(user).filter(
                pk=data["organization"]).first()
            if found["organization"] is None:
                raise serializers.ValidationError({"organization": [_("Unknown "
                                                                      "organization.")]})
        if data.get("department"):
            found["department"] = Department.objects.visible_to(user).filter(
                pk=data["department"], organization=found.get("organization")).first()
            if found["department"] is None:
                raise serializers.ValidationError({"department": [_("Unknown department.")]})
        return found


class FeedbackItemSerializer(RecordSerializer):
    class Meta(RecordSerializer.Meta):
        model = FeedbackItem
        fields = [*RecordSerializer.Meta.fields, "classification", "source", "score",
                  "survey_response", "source_number", "analysis", "handling", "handled_at",
                  "confirmed_at"]
        read_only_fields = [*RecordSerializer.Meta.read_only_fields, "score",
                            "survey_response", "source_number", "handled_at", "confirmed_at"]
