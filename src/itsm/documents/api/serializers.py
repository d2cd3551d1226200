"""Serializers of the controlled documents' API; every write goes through the app's
services (``documents.services``, ``loans``, ``disposal``, ``requirements``)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from itsm.core import access
from itsm.core.api.fields import StrictIntegerField
from itsm.core.api.serializers import (
    ObjectSerializer,
    PersonNameField,
    RecordSerializer,
    ScopedModelSerializer,
    request_user,
)
from itsm.core.filtersets import MAX_ID
from itsm.core.limits import COMMENT_MAX_LENGTH, DESCRIPTION_MAX_LENGTH, LONG_TEXT_MAX_LENGTH
from itsm.core.models import Department

from .. import loans, services
from .. import permissions as perms
from ..choices import ReviewDecision
from ..models import (
    ControlledDocument,
    DisposalRecord,
    DocumentAccess,
    DocumentCategory,
    DocumentClearance,
    DocumentLoan,
    DocumentReview,
    DocumentTemplate,
    DocumentVersion,
)

User = get_user_model()

DOCUMENT_FIELDS = ["document_category", "document_category_name", "kind", "importance",
                   "confidentiality", "department", "reviewer", "reviewer_name",
                   "effective_date", "source_request", "supersedes", "current_version",
                   "current_version_label", "checked_out_by", "checked_out_by_name",
                   "checked_out_at", "published_at", "archived_at", "retained_until",
                   "review_tier", "confirmed_by", "confirmed_by_name", "confirmed_at", "text"]


class DocumentSerializer(RecordSerializer):
    """A controlled document. ``text`` (write-only, on creation) is its first version;
    files are added as versions (``…/versions/``)."""

    document_category_name = serializers.CharField(source="document_category", read_only=True,
                                                   default=None)
    kind = serializers.CharField(read_only=True)
    reviewer_name = PersonNameField(source="reviewer")
    checked_out_by_name = PersonNameField(source="checked_out_by")
    confirmed_by_name = PersonNameField(source="confirmed_by")
    current_version_label = serializers.CharField(source="current_version.label",
                                                  read_only=True, default=None)
    retained_until = serializers.DateField(read_only=True)
    review_tier = serializers.CharField(read_only=True)
    text = serializers.CharField(write_only=True, required=False, allow_blank=True,
                                 max_length=LONG_TEXT_MAX_LENGTH,
                                 help_text=_("On creation: the text of its first version."))

    class Meta(RecordSerializer.Meta):
        model = ControlledDocument
        fields = [*RecordSerializer.Meta.fields, *DOCUMENT_FIELDS]
        read_only_fields = [*RecordSerializer.Meta.read_only_fields, "current_version",
                            "checked_out_by", "checked_out_at", "published_at", "archived_at",
                            "confirmed_by", "confirmed_at", "source_request"]

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields["requester"].required = False  # the author, for the provider's own
        fields["organization"].required = False  # the author's provider by default
        if "request" not in self.context or self.context["request"].method in ("GET", "HEAD"):
            return fields
        user = request_user(self)
        provider = access.provider_id_of(user)
        fields["document_category"].queryset = DocumentCategory.objects.filter(
            is_active=True, provider_id=provider)
        fields["department"].queryset = Department.objects.filter(organization_id=provider)
        fields["reviewer"].queryset = User.objects.filter(profile__organization_id=provider)
        fields["supersedes"].queryset = ControlledDocument.objects.visible_to(user)
        if self.instance is not None:
            fields.pop("text")
        return fields

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.instance is None and "organization" not in attrs:
            attrs["organization"] = access.organization_of(request_user(self))
        return super().validate(attrs)

    def create(self, validated_data: dict[str, Any]) -> ControlledDocument:
        validated_data.pop("version", None)
        text = validated_data.pop("text", "")
        return services.create_document(actor=request_user(self), data=validated_data,
                                        text=text)

    def update(self, instance: ControlledDocument, validated_data: dict[str, Any]
               ) -> ControlledDocument:
        version = validated_data.pop("version", None)
        return services.update_document(instance, actor=request_user(self),
                                        changes=validated_data, expected_version=version)


class DocumentVersionSerializer(ScopedModelSerializer):
    label = serializers.CharField(read_only=True)
    created_by_name = PersonNameField(source="created_by")
    previewable = serializers.BooleanField(read_only=True)
    download_url = serializers.SerializerMethodField()
    preview_url = serializers.SerializerMethodField()

    class Meta:
        model = DocumentVersion
        fields = ["id", "document", "label", "major", "minor", "original_name", "size",
                  "mime_type", "sha256", "text", "change_summary", "created_by",
                  "created_by_name", "created_at", "previewable", "download_url",
                  "preview_url"]
        read_only_fields = fields

    def get_download_url(self, obj: DocumentVersion) -> str:
        return reverse("api:documentversion-download", args=[obj.pk])

    def get_preview_url(self, obj: DocumentVersion) -> str:
        return reverse("api:documentversion-preview", args=[obj.pk])


class DocumentVersionUploadSerializer(serializers.Serializer):
    """A new version: a ``file`` (multipart) or a ``text``; from the second version on a
    ``change_summary``; ``major`` for the next major number (2.0)."""

    file = serializers.FileField(required=False)
    text = serializers.CharField(required=False, allow_blank=True,
                                 max_length=LONG_TEXT_MAX_LENGTH)
    change_summary = serializers.CharField(required=False, allow_blank=True, max_length=500)
    major = serializers.BooleanField(required=False, default=False)


class DocumentReleaseSerializer(serializers.Serializer):
    force = serializers.BooleanField(required=False, default=False,
                                     help_text=_("Administrators: release someone else's "
                                                 "check-out."))


class DocumentReviewDecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=ReviewDecision.choices)
    comment = serializers.CharField(required=False, allow_blank=True, default="",
                                    max_length=COMMENT_MAX_LENGTH)


class DocumentReviewSerializer(ScopedModelSerializer):
    reviewer_name = PersonNameField(source="reviewer")
    version_label = serializers.CharField(source="version.label", read_only=True)

    class Meta:
        model = DocumentReview
        fields = ["id", "document", "version", "version_label", "tier", "reviewer",
                  "reviewer_name", "decision", "comment", "decided_at"]
        read_only_fields = fields


class DisposalReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=DESCRIPTION_MAX_LENGTH)


class DocumentAccessSerializer(ScopedModelSerializer):
    document_number = serializers.CharField(source="document.number", read_only=True)
    version_label = serializers.CharField(source="version.label", read_only=True,
                                          default=None)
    user_name = PersonNameField(source="user")
    action_label = serializers.CharField(source="get_action_display", read_only=True)

    class Meta:
        model = DocumentAccess
        fields = ["id", "document", "document_number", "version", "version_label", "user",
                  "user_name", "action", "action_label", "ip_address", "user_agent",
                  "occurred_at"]
        read_only_fields = fields


class DocumentLoanSerializer(ScopedModelSerializer):
    """A loan; POST ``{document, purpose, due_date}`` asks for one (the decisions and
    hand-overs are actions)."""

    document_number = serializers.CharField(source="document.number", read_only=True)
    borrower_name = PersonNameField(source="borrower")
    approved_by_name = PersonNameField(source="approved_by")
    status_label = serializers.CharField(read_only=True)

    class Meta:
        model = DocumentLoan
        fields = ["id", "document", "document_number", "borrower", "borrower_name",
                  "purpose", "due_date", "status", "status_label", "requested_at",
                  "approved_by", "approved_by_name", "decided_at", "decision_comment",
                  "lent_at", "returned_at"]
        read_only_fields = ["borrower", "status", "requested_at", "approved_by", "decided_at",
                            "decision_comment", "lent_at", "returned_at"]

    def create(self, validated_data: dict[str, Any]) -> DocumentLoan:
        return loans.request_loan(validated_data["document"], actor=request_user(self),
                                  purpose=validated_data["purpose"],
                                  due_date=validated_data["due_date"],
                                  request=self.context["request"])

    def update(self, instance, validated_data):  # loans change by their actions only
        raise serializers.ValidationError(_("A loan changes by its actions only."))


class DocumentLoanDecisionSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="",
                                    max_length=500)


class DocumentCategorySerializer(ObjectSerializer):
    save_with = staticmethod(services.save_category)
    number_code = serializers.CharField(read_only=True)

    class Meta:
        model = DocumentCategory
        fields = ["id", "provider", "parent", "name", "kind", "code", "number_code", "order",
                  "is_active"]
        read_only_fields = ["provider"]
        extra_kwargs = {"kind": {"required": False}}  # a sub-category: its parent's


class DocumentTemplateSerializer(ObjectSerializer):
    """A category's template: a ``body`` and/or a ``file`` (multipart, write-only; read
    it at ``file_url``)."""

    save_with = staticmethod(services.save_template)
    file = serializers.FileField(required=False, write_only=True)
    file_url = serializers.SerializerMethodField()

    class Meta:
        model = DocumentTemplate
        fields = ["id", "category", "name", "body", "file", "original_name", "file_url",
                  "is_active"]
        read_only_fields = ["original_name"]

    def get_file_url(self, obj: DocumentTemplate) -> str | None:
        return reverse("documents:template-file", args=[obj.pk]) if obj.file else None


class DocumentClearanceSerializer(ObjectSerializer):
    save_with = staticmethod(services.save_clearance)
    user_name = PersonNameField(source="user")
    granted_by_name = PersonNameField(source="granted_by")

    class Meta:
        model = DocumentClearance
        fields = ["id", "provider", "user", "user_name", "level", "reason", "granted_by",
                  "granted_by_name", "granted_at"]
        read_only_fields = ["provider", "granted_by", "granted_at"]


class DisposalSerializer(ScopedModelSerializer):
    """What was disposed of; the title of a secret document only for who may see
    secret documents."""

    disposed_by_name = PersonNameField(source="disposed_by")

    class Meta:
        model = DisposalRecord
        fields = ["id", "provider", "organization", "number", "title", "category",
                  "importance", "confidentiality", "created_at", "published_at",
                  "retained_until", "versions", "reason", "disposed_by", "disposed_by_name",
                  "disposed_at"]
        read_only_fields = fields

    def to_representation(self, instance: DisposalRecord) -> dict[str, Any]:
        data = super().to_representation(instance)
        if not perms.covers(request_user(self), instance.confidentiality):
            data["title"] = ""
        return data


class RequirementDocumentSerializer(serializers.Serializer):
    """A requirement document of a service request (REQ-5)."""

    request = StrictIntegerField(min_value=1, max_value=MAX_ID)
    title = serializers.CharField(max_length=200)
    functional = serializers.CharField(required=False, allow_blank=True,
                                       max_length=DESCRIPTION_MAX_LENGTH)
    performance = serializers.CharField(required=False, allow_blank=True,
                                        max_length=DESCRIPTION_MAX_LENGTH)
    interface = serializers.CharField(required=False, allow_blank=True,
                                      max_length=DESCRIPTION_MAX_LENGTH)
    data = serializers.CharField(required=False, allow_blank=True,
                                 max_length=DESCRIPTION_MAX_LENGTH)
