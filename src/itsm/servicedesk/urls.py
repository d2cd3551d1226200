from django.urls import path

from itsm.core.views import record_urls

from . import portal
from .views import INCIDENT_VIEWS, MAJOR_VIEWS, REQUEST_VIEWS, RatingLinkView

app_name = "servicedesk"


urlpatterns = [
    *record_urls("requests", REQUEST_VIEWS),
    *record_urls("incidents", INCIDENT_VIEWS),
    *record_urls("major-incidents", MAJOR_VIEWS),
    # The portal's service catalogue (SLM-1) and what a request of a type goes through
    path("portal/", portal.CatalogueView.as_view(), name="portal"),
    path("portal/request-types/<int:pk>/", portal.RequestTypeFormView.as_view(),
         name="portal-request"),
    path("requests/<int:pk>/approvals/<int:approval_id>/decide/",
         REQUEST_VIEWS["decide"].as_view(), name="request-approval-decide"),
    path("requests/<int:pk>/tasks/<int:task_id>/done/", REQUEST_VIEWS["task_done"].as_view(),
         name="request-task-done"),
    # Satisfaction (FBK-1): the portal form of a closed ticket, and the emailed link.
    path("requests/<int:pk>/rate/", REQUEST_VIEWS["rate"].as_view(), name="request-rate"),
    path("incidents/<int:pk>/rate/", INCIDENT_VIEWS["rate"].as_view(), name="incident-rate"),
    path("rate/<str:token>/", RatingLinkView.as_view(), name="rate"),
    # Merging duplicates and links between records (INC-3); bulk import (GEN-9)
    *(route for segment, name, views in (("requests", "request", REQUEST_VIEWS),
                                         ("incidents", "incident", INCIDENT_VIEWS))
      for route in (
          path(f"{segment}/import/", views["import"].as_view(), name=f"{name}-import"),
          path(f"{segment}/<int:pk>/merge/", views["merge"].as_view(), name=f"{name}-merge"),
          path(f"{segment}/<int:pk>/links/", views["link"].as_view(), name=f"{name}-link"),
          path(f"{segment}/<int:pk>/links/<int:link_id>/delete/", views["unlink"].as_view(),
               name=f"{name}-unlink"),
      )),
]
