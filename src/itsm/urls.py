"""URL map: web UI, customer portal, REST API (with schema and docs), admin."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from itsm.core.api.auth import ObtainTokenView

api_patterns = [
    path("", include("itsm.core.api.urls")),
    path("", include("itsm.servicedesk.api.urls")),
    path("", include("itsm.catalog.api.urls")),
    path("", include("itsm.cmdb.api.urls")),
    path("", include("itsm.security.api.urls")),
    path("", include("itsm.problems.api.urls")),
    path("", include("itsm.changes.api.urls")),
    path("token/", ObtainTokenView.as_view(), name="token"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
]

urlpatterns = [
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True),
         name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("api/", include((api_patterns, "api"))),
    path("admin/", admin.site.urls),
    path("", include("itsm.core.urls")),
    path("", include("itsm.servicedesk.urls")),
    path("", include("itsm.cmdb.urls")),
    path("", include("itsm.security.urls")),
    path("", include("itsm.problems.urls")),
    path("", include("itsm.changes.urls")),
]
