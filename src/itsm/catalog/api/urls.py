from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("services", views.ServiceViewSet)
router.register("sla-policies", views.SLAPolicyViewSet)
router.register("priority-matrix", views.PriorityRuleViewSet)
router.register("calendars", views.CalendarViewSet)
router.register("request-types", views.RequestTypeViewSet)
router.register("request-type-fields", views.RequestTypeFieldViewSet)
router.register("request-type-approvals", views.RequestTypeApprovalViewSet)
router.register("request-type-tasks", views.RequestTypeTaskViewSet)

urlpatterns = router.urls
