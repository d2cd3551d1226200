from itsm.core.exports import RecordResource
from itsm.core.filtersets import RecordFilterSet
from itsm.core.forms import RecordForm
from itsm.core.views import views_for

from .models import Note


class NoteFilterSet(RecordFilterSet):
    class Meta(RecordFilterSet.Meta):
        model = Note
        fields = [*RecordFilterSet.Meta.fields, "category"]


class NoteForm(RecordForm):
    class Meta:
        model = Note
        fields = ["organization", "requester", "title", "description", "category",
                  "priority", "assignee_team", "assignee"]


class NoteResource(RecordResource):
    class Meta:
        model = Note
        fields = (*RecordResource.base_fields_order, "category")
        export_order = fields


class NoteMixin:
    model = Note
    form_class = NoteForm
    filterset_class = NoteFilterSet
    export_resource = NoteResource
    detail_fields = ("category",)


NOTE_VIEWS = views_for(NoteMixin)
