"""One FilterSet serves the UI list and the API; every field is filterable or exempt."""

from itsm.servicedesk.api.views import ServiceRequestViewSet
from itsm.servicedesk.filtersets import ServiceRequestFilterSet
from itsm.servicedesk.models import ServiceRequest
from itsm.servicedesk.views import ServiceRequestListView


def test_every_field_has_a_filter_or_is_exempt():
    filters = set(ServiceRequestFilterSet.base_filters) | {"status", "number"}
    exempt = set(ServiceRequestFilterSet.unfiltered_fields)
    fields = {f.name for f in ServiceRequest._meta.concrete_fields}
    missing = sorted(fields - filters - exempt - {"created_at", "due_at"})
    assert missing == [], f"add a filter for {missing} or list them in unfiltered_fields"
    assert {"created_after", "created_before", "due_before"} <= filters


def test_ui_list_and_api_share_the_filterset():
    assert ServiceRequestViewSet.filterset_class is ServiceRequestFilterSet
    assert ServiceRequestListView.filterset_class is ServiceRequestFilterSet
