"""Export columns of controlled documents (the list's export: what the reader sees)."""

from django.utils.translation import gettext_lazy
from import_export import fields

from itsm.core.exports import PersonField, RecordResource

from .models import ControlledDocument


class DocumentResource(RecordResource):
    document_category = fields.Field(attribute="document_category__name",
                                     column_name=gettext_lazy("category"))
    owner = PersonField(attribute="owner", column_name=gettext_lazy("owner"))
    department = fields.Field(attribute="department__name",
                              column_name=gettext_lazy("department"))
    current_version = fields.Field(attribute="current_version__label",
                                   column_name=gettext_lazy("current version"))

    class Meta:
        model = ControlledDocument
        fields = ("number", "title", "document_category", "importance", "confidentiality",
                  "status", "organization", "owner", "department", "current_version",
                  "effective_date", "published_at", "created_at", "updated_at")
        export_order = fields
