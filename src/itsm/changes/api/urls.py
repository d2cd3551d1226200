from rest_framework.routers import SimpleRouter

from .views import ChangeViewSet

router = SimpleRouter()
router.register("changes", ChangeViewSet)
urlpatterns = router.urls
