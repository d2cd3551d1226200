from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("services", views.ServiceViewSet)
router.register("sla-policies", views.SLAPolicyViewSet)
router.register("priority-matrix", views.PriorityRuleViewSet)
router.register("calendars", views.CalendarViewSet)

urlpatterns = router.urls
