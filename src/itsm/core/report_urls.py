"""Web routes of the reports (``core.reports``, included by ``core.urls``): the
subscriptions and the archive before ``<report:key>``, which matches registered reports
only."""

from django.urls import path

from . import views_reports as views
from .object_views import object_urls

urlpatterns = [
    path("reports/", views.CatalogueView.as_view(), name="report-catalogue"),
    *object_urls("reports/subscriptions", "report-subscription", views.SUBSCRIPTION_VIEWS),
    path("reports/archive/", views.ArchiveListView.as_view(), name="report-archive"),
    path("reports/archive/<int:pk>/download/", views.ArchiveDownloadView.as_view(),
         name="report-archive-download"),
    path("reports/<report:key>/", views.ReportPageView.as_view(), name="report"),
    path("reports/<any_report:key>/download/", views.ReportDownloadView.as_view(),
         name="report-download"),
]
