from django.urls import path
from rest_framework.routers import SimpleRouter

from .improvement import (
    ImprovementPlanViewSet,
    ImprovementSuggestionViewSet,
    QualityReviewViewSet,
)
from .indicators import IndicatorListView, IndicatorRecordsView, IndicatorValueView
from .targets import QualityTargetViewSet
from .views import ServiceLevelReportView

router = SimpleRouter()
router.register("quality-targets", QualityTargetViewSet)
router.register("improvement-plans", ImprovementPlanViewSet)
router.register("improvement-suggestions", ImprovementSuggestionViewSet)
router.register("quality-reviews", QualityReviewViewSet)

urlpatterns = [
    path("reports/service-level/", ServiceLevelReportView.as_view(),
         name="service-level-report"),
    path("indicators/", IndicatorListView.as_view(), name="indicator-list"),
    path("indicators/<slug:key>/", IndicatorValueView.as_view(), name="indicator-value"),
    path("indicators/<slug:key>/records/", IndicatorRecordsView.as_view(),
         name="indicator-records"),
    *router.urls,
]
