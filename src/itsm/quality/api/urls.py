from django.urls import path

from .indicators import IndicatorListView, IndicatorRecordsView, IndicatorValueView
from .views import ServiceLevelReportView

urlpatterns = [
    path("reports/service-level/", ServiceLevelReportView.as_view(),
         name="service-level-report"),
    path("indicators/", IndicatorListView.as_view(), name="indicator-list"),
    path("indicators/<slug:key>/", IndicatorValueView.as_view(), name="indicator-value"),
    path("indicators/<slug:key>/records/", IndicatorRecordsView.as_view(),
         name="indicator-records"),
]
