from itsm.core.api.views import RecordViewSet

from ..filtersets import ServiceRequestFilterSet
from ..models import ServiceRequest
from ..resources import ServiceRequestResource
from .serializers import ServiceRequestSerializer


class ServiceRequestViewSet(RecordViewSet):
    """Service requests: CRUD, transitions, comments, attachments, timeline, export."""

    queryset = ServiceRequest.objects.all()
    serializer_class = ServiceRequestSerializer
    filterset_class = ServiceRequestFilterSet
    export_resource = ServiceRequestResource
