"""Serializers of the knowledge API: articles (staff see the working copy, readers the
published content and no internal field), revisions, diffs, readers' actions and
categories."""

from __future__ import annotations

from typing import Any

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
from itsm.core.search import MAX_QUERY

from .. import services
from ..forms import STAFF_ROLE_CHOICES
from ..models import REVISION_FIELDS, Article, ArticleFlag, ArticleRevision, KnowledgeCategory

ARTICLE_FIELDS = [
    "article_type", "article_category", "article_category_name", "services",
    "configuration_items", "keywords", "symptom", "cause", "solution", "body", "reviewer",
    "reviewer_name", "editor", "editor_name", "review_interval_days", "review_due",
    "valid_to", "visibility", "customer_organizations", "restricted_roles",
    "restricted_teams", "current_revision", "published_revision", "published_at",
    "helpful_count", "not_helpful_count", "used_to_resolve", "reader_url", "summary"]
#: What readers who are not provider staff get of an article (its published content).
READER_FIELDS = ("id", "number", "title", "description", "status", "status_label",
                 "article_type", "article_category", "article_category_name", "keywords",
                 "symptom", "cause", "solution", "body", "published_at", "helpful_count",
                 "not_helpful_count", "reader_url")


class ArticleSerializer(RecordSerializer):
    """An article, written through ``knowledge.services`` (each content change is a
    revision; ``summary`` says what changed). Its organization is its author's provider,
    its requester its author."""

    article_category_name = serializers.CharField(source="article_category.name",
                                                  read_only=True, default=None)
    reviewer_name = PersonNameField(source="reviewer")
    editor_name = PersonNameField(source="editor")
    restricted_roles = serializers.ListField(
        child=serializers.ChoiceField(choices=STAFF_ROLE_CHOICES), required=False,
        max_length=len(STAFF_ROLE_CHOICES))
    current_revision = StrictIntegerField(source="current_revision.number", read_only=True,
                                          default=None)
    published_revision = StrictIntegerField(source="published_revision.number",
                                            read_only=True, default=None)
    used_to_resolve = serializers.SerializerMethodField()
    reader_url = serializers.CharField(read_only=True)
    summary = serializers.CharField(write_only=True, required=False, allow_blank=True,
                                    max_length=services.SUMMARY_MAX_LENGTH,
                                    help_text=_("What changed (kept with the revision)."))

    class Meta(RecordSerializer.Meta):
        model = Article
        fields = [*RecordSerializer.Meta.fields, *ARTICLE_FIELDS]
        read_only_fields = [*RecordSerializer.Meta.read_only_fields, "organization",
                            "requester", "editor", "review_due", "published_at",
                            "helpful_count", "not_helpful_count"]

    def get_used_to_resolve(self, obj: Article) -> int:
        """How many tickets and problems were solved with the article."""
        count = getattr(obj, "used_count", None)
        return count if count is not None else services.solved_with_links(obj).count()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        return attrs  # the organization and the author are the service's

    def create(self, validated_data: dict[str, Any]) -> Article:
        validated_data.pop("version", None)
        return services.create_article(actor=request_user(self), data=validated_data)

    def update(self, instance: Article, validated_data: dict[str, Any]) -> Article:
        version = validated_data.pop("version", None)
        return services.update_article(instance, actor=request_user(self),
                                       changes=validated_data, expected_version=version)

    def to_representation(self, instance: Article) -> dict[str, Any]:
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is None or access.is_provider_staff(request.user):
            return data
        published = instance.published_revision
        reader = {name: data.get(name) for name in READER_FIELDS}
        if published is not None:
            reader.update({name: getattr(published, name) for name in REVISION_FIELDS})
        return reader


class RevisionSerializer(ScopedModelSerializer):
    editor_name = PersonNameField(source="editor")

    class Meta:
        model = ArticleRevision
        fields = ["number", "title", "description", "keywords", "symptom", "cause",
                  "solution", "body", "editor", "editor_name", "created_at", "summary"]
        read_only_fields = fields


class SegmentSerializer(serializers.Serializer):
    text = serializers.CharField()
    changed = serializers.BooleanField()


class DiffLineSerializer(serializers.Serializer):
    op = serializers.ChoiceField(choices=["equal", "delete", "insert", "replace"])
    old = serializers.CharField(source="old_text", allow_null=True)
    new = serializers.CharField(source="new_text", allow_null=True)
    old_segments = SegmentSerializer(source="old", many=True)
    new_segments = SegmentSerializer(source="new", many=True)


class FieldDiffSerializer(serializers.Serializer):
    field = serializers.CharField(source="name")
    label = serializers.CharField()
    changed = serializers.BooleanField()
    lines = DiffLineSerializer(many=True)


class DiffSerializer(serializers.Serializer):
    """What changed from revision ``from`` to revision ``to``, part by part."""

    from_revision = StrictIntegerField()
    to_revision = StrictIntegerField()
    fields = FieldDiffSerializer(many=True)


class DiffQuerySerializer(serializers.Serializer):
    from_revision = StrictIntegerField(required=False, min_value=1, max_value=1_000_000)
    to_revision = StrictIntegerField(required=False, min_value=1, max_value=1_000_000)


class RestoreSerializer(serializers.Serializer):
    revision = StrictIntegerField(min_value=1, max_value=1_000_000)


class FeedbackSerializer(serializers.Serializer):
    helpful = serializers.BooleanField()
    comment = serializers.CharField(required=False, allow_blank=True, max_length=1000)


class FeedbackResultSerializer(serializers.Serializer):
    helpful = serializers.BooleanField()
    helpful_count = StrictIntegerField()
    not_helpful_count = StrictIntegerField()


class DeflectSerializer(serializers.Serializer):
    query = serializers.CharField(required=False, allow_blank=True, max_length=MAX_QUERY)


class DeflectionResultSerializer(serializers.Serializer):
    id = StrictIntegerField()
    article = StrictIntegerField()
    query = serializers.CharField()
    created_at = serializers.DateTimeField()


class FlagSerializer(ScopedModelSerializer):
    """An error report; staff see who reported it."""

    reporter_name = PersonNameField(source="reporter")
    resolved_by_name = PersonNameField(source="resolved_by")
    article_number = serializers.CharField(source="article.number", read_only=True)

    class Meta:
        model = ArticleFlag
        fields = ["id", "article", "article_number", "reporter", "reporter_name", "text",
                  "status", "created_at", "resolved_at", "resolved_by", "resolved_by_name",
                  "resolution"]
        read_only_fields = [f for f in fields if f != "text"]


class ResolveFlagSerializer(serializers.Serializer):
    resolution = serializers.CharField(required=False, allow_blank=True, max_length=20_000)


class CategorySerializer(ObjectSerializer):
    save_with = staticmethod(services.save_category)

    class Meta:
        model = KnowledgeCategory
        fields = ["id", "provider", "parent", "name", "order"]
        read_only_fields = ["provider"]


class SuggestionQuerySerializer(serializers.Serializer):
    q = serializers.CharField(max_length=MAX_QUERY, help_text=_(
        "What the person is typing (a request's title and description)."))
    limit = StrictIntegerField(required=False, min_value=1, max_value=20, default=5)


class SuggestionSerializer(serializers.Serializer):
    """A published article that may help (its published title and summary)."""

    id = StrictIntegerField()
    number = serializers.CharField()
    title = serializers.CharField()
    summary = serializers.CharField()
    article_type = serializers.CharField()
    helpful_count = StrictIntegerField()
    url = serializers.CharField()

    @staticmethod
    def from_article(article: Article, staff: bool) -> dict[str, Any]:
        text = article if staff or article.published_revision is None \
            else article.published_revision
        return {"id": article.pk, "number": article.number, "title": text.title,
                "summary": text.description, "article_type": article.article_type,
                "helpful_count": article.helpful_count,
                "url": reverse("knowledge:article-read", args=[article.pk])}

