"""Export columns of the article list."""

from django.utils.translation import gettext_lazy as _
from import_export import fields

from itsm.core.exports import RecordResource

from .models import Article


class ArticleResource(RecordResource):
    article_category = fields.Field(attribute="article_category__name",
                                    column_name=_("category"))

    class Meta:
        model = Article
        fields = (*RecordResource.base_fields_order, "article_type", "article_category",
                  "visibility", "keywords", "review_due", "valid_to", "published_at",
                  "helpful_count", "not_helpful_count")
        export_order = fields
