from rest_framework.routers import SimpleRouter

from itsm.core.api.serializers import RecordSerializer
from itsm.core.api.views import RecordViewSet

from ..models import Note
from ..views import NoteFilterSet, NoteResource


class NoteSerializer(RecordSerializer):
    class Meta(RecordSerializer.Meta):
        model = Note
        fields = [*RecordSerializer.Meta.fields, "category"]


class NoteViewSet(RecordViewSet):
    queryset = Note.objects.all()
    serializer_class = NoteSerializer
    filterset_class = NoteFilterSet
    export_resource = NoteResource


router = SimpleRouter()
router.register("notes", NoteViewSet)
urlpatterns = router.urls
