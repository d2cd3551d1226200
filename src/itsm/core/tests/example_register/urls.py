from itsm.core.views import record_urls

from .views import NOTE_VIEWS

app_name = "example_register"
urlpatterns = record_urls("notes", NOTE_VIEWS)
