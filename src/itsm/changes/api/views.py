from __future__ import annotations

from itsm.core.api.views import RecordViewSet

from .. import filtersets, models, resources
from . import serializers


class ChangeViewSet(RecordViewSet):
    """Changes: CRUD, transitions, comments, attachments, timeline, export."""

    queryset = models.Change.objects.all()
    serializer_class = serializers.ChangeSerializer
    filterset_class = filtersets.ChangeFilterSet
    export_resource = resources.ChangeResource
