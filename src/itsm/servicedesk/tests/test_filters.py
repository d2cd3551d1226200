"""One FilterSet per ticket type serves the UI list and the API; every field is
filterable or deliberately exempt."""

import pytest

from itsm.servicedesk.api.views import IncidentViewSet, MajorIncidentViewSet, ServiceRequestViewSet
from itsm.servicedesk.filtersets import (
    IncidentFilterSet,
    MajorIncidentFilterSet,
    ServiceRequestFilterSet,
)
from itsm.servicedesk.models import Incident, MajorIncident, ServiceRequest
from itsm.servicedesk.views import INCIDENT_VIEWS, MAJOR_VIEWS, REQUEST_VIEWS

CASES = [(ServiceRequest, ServiceRequestFilterSet, ServiceRequestViewSet, REQUEST_VIEWS),
         (Incident, IncidentFilterSet, IncidentViewSet, INCIDENT_VIEWS),
         (MajorIncident, MajorIncidentFilterSet, MajorIncidentViewSet, MAJOR_VIEWS)]


@pytest.mark.parametrize(("model", "filterset", "viewset", "views"), CASES)
def test_every_field_has_a_filter_or_is_exempt(model, filterset, viewset, views):
    filters = set(filterset.base_filters) | {"status", "number"}
    exempt = set(filterset.unfiltered_fields)
    fields = {f.name for f in model._meta.concrete_fields}
    missing = sorted(fields - filters - exempt - {"created_at", "due_at"})
    assert missing == [], f"add a filter for {missing} or list them in unfiltered_fields"
    assert {"created_after", "created_before", "due_before"} <= filters


@pytest.mark.parametrize(("model", "filterset", "viewset", "views"), CASES)
def test_ui_list_and_api_share_the_filterset(model, filterset, viewset, views):
    assert viewset.filterset_class is filterset
    assert views["list"].filterset_class is filterset
    assert views["export"].filterset_class is filterset
