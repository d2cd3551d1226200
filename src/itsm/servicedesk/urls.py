from django.urls import path

from . import views

app_name = "servicedesk"

urlpatterns = [
    path("requests/", views.ServiceRequestListView.as_view(), name="request-list"),
    path("requests/new/", views.ServiceRequestFormView.as_view(), name="request-create"),
    path("requests/export/", views.ServiceRequestExportView.as_view(), name="request-export"),
    path("requests/<int:pk>/", views.ServiceRequestDetailView.as_view(), name="request-detail"),
    path("requests/<int:pk>/edit/", views.ServiceRequestFormView.as_view(), name="request-edit"),
    path("requests/<int:pk>/transition/<slug:name>/",
         views.ServiceRequestTransitionView.as_view(), name="request-transition"),
    path("requests/<int:pk>/comment/", views.ServiceRequestCommentView.as_view(),
         name="request-comment"),
    path("requests/<int:pk>/attach/", views.ServiceRequestAttachmentView.as_view(),
         name="request-attach"),
]
