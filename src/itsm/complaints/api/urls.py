from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("complaints", views.ComplaintViewSet)
router.register("improvement-actions", views.ImprovementActionViewSet)
router.register("complaint-causes", views.CauseCategoryViewSet)
router.register("complaint-policies", views.ComplaintPolicyViewSet)
urlpatterns = router.urls
