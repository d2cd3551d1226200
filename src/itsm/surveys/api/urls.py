from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("questionnaires", views.QuestionnaireViewSet)
router.register("survey-campaigns", views.CampaignViewSet)
router.register("survey-answers", views.SurveyResponseViewSet)
router.register("feedback-items", views.FeedbackItemViewSet)
urlpatterns = router.urls
