from rest_framework.routers import SimpleRouter

from .views import ServiceRequestViewSet

router = SimpleRouter()
router.register("service-requests", ServiceRequestViewSet)
urlpatterns = router.urls
