from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("emergency-plans", views.EmergencyPlanViewSet)
router.register("drills", views.DrillViewSet)

urlpatterns = router.urls
