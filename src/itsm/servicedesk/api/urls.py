from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import (
    GenericAlertView,
    IncidentViewSet,
    MajorIncidentViewSet,
    PrometheusAlertView,
    SatisfactionSummaryView,
    ServiceRequestViewSet,
    ZabbixAlertView,
)

router = SimpleRouter()
router.register("service-requests", ServiceRequestViewSet)
router.register("incidents", IncidentViewSet)
router.register("major-incidents", MajorIncidentViewSet)
urlpatterns = [
    path("alerts/prometheus/", PrometheusAlertView.as_view(), name="alerts-prometheus"),
    path("alerts/zabbix/", ZabbixAlertView.as_view(), name="alerts-zabbix"),
    path("alerts/generic/", GenericAlertView.as_view(), name="alerts-generic"),
    path("satisfaction/summary/", SatisfactionSummaryView.as_view(),
         name="satisfaction-summary"),
    *router.urls,
]
