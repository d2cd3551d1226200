from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("ci-types", views.CITypeViewSet)
router.register("configuration-items", views.ConfigurationItemViewSet)
router.register("ci-relations", views.CIRelationViewSet)

urlpatterns = router.urls
