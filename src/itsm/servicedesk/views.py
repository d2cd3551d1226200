"""Web UI for service requests: the generic record views with a few attributes."""

from itsm.core import views as base

from .filtersets import ServiceRequestFilterSet
from .forms import ServiceRequestForm
from .models import ServiceRequest
from .resources import ServiceRequestResource


class ServiceRequestMixin:
    model = ServiceRequest
    url_prefix = "servicedesk:request"
    form_class = ServiceRequestForm
    filterset_class = ServiceRequestFilterSet
    detail_fields = ("category", "channel", "resolution", "resolved_at", "closed_at")


class ServiceRequestListView(ServiceRequestMixin, base.RecordListView):
    pass


class ServiceRequestDetailView(ServiceRequestMixin, base.RecordDetailView):
    pass


class ServiceRequestFormView(ServiceRequestMixin, base.RecordFormView):
    pass


class ServiceRequestTransitionView(ServiceRequestMixin, base.RecordTransitionView):
    pass


class ServiceRequestCommentView(ServiceRequestMixin, base.RecordCommentView):
    pass


class ServiceRequestAttachmentView(ServiceRequestMixin, base.RecordAttachmentView):
    pass


class ServiceRequestExportView(ServiceRequestMixin, base.RecordExportView):
    export_resource = ServiceRequestResource
