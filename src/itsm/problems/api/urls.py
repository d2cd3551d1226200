from rest_framework.routers import SimpleRouter

from .views import ProblemViewSet

router = SimpleRouter()
router.register("problems", ProblemViewSet)
urlpatterns = router.urls
