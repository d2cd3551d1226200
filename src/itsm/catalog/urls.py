"""Web pages of the catalogue: the holiday banner's one-click seeding, request types."""

from django.urls import path

from itsm.core.object_views import object_urls

from . import views
from .views_request_types import APPROVAL_VIEWS, FIELD_VIEWS, REQUEST_TYPE_VIEWS, TASK_VIEWS

app_name = "catalog"

urlpatterns = [
    path("calendars/holidays/seed/", views.SeedHolidaysView.as_view(), name="seed-holidays"),
    # Request types of the catalogue and their parts (administrators)
    *object_urls("catalogue/request-types", "requesttype", REQUEST_TYPE_VIEWS),
    *object_urls("catalogue/request-type-fields", "requesttypefield", FIELD_VIEWS),
    *object_urls("catalogue/request-type-approvals", "requesttypeapproval", APPROVAL_VIEWS),
    *object_urls("catalogue/request-type-tasks", "requesttypetask", TASK_VIEWS),
]
