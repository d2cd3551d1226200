from django.urls import path

from itsm.core.object_views import object_urls
from itsm.core.views import record_urls

from . import settings_views, views
from .views import DOCUMENT_VIEWS

app_name = "documents"

D = DOCUMENT_VIEWS
ONE = "documents/<int:pk>"
VERSION = f"{ONE}/versions/<int:version_id>"

urlpatterns = [
    path("documents/access-log/", views.PersonAccessLogView.as_view(), name="access-log"),
    path("documents/loans/", views.LoanListView.as_view(), name="loan-list"),
    path("documents/loans/<int:pk>/", views.LoanDetailView.as_view(), name="loan-detail"),
    path("documents/loans/<int:pk>/<slug:step>/", views.LoanActionView.as_view(),
         name="loan-action"),
    path("documents/disposal/", views.DisposalListView.as_view(), name="disposal"),
    path("documents/requirements/new/", views.RequirementCreateView.as_view(),
         name="requirement-create"),
    path("documents/templates/<int:pk>/file/", settings_views.TemplateFileView.as_view(),
         name="template-file"),
    *object_urls("documents/categories", "category", settings_views.CATEGORY_VIEWS),
    *object_urls("documents/templates", "template", settings_views.TEMPLATE_VIEWS),
    *object_urls("documents/clearances", "clearance", settings_views.CLEARANCE_VIEWS),
    *record_urls("documents", D),
    path(f"{ONE}/checkout/", D["checkout"].as_view(), name="document-checkout"),
    path(f"{ONE}/release/", D["release"].as_view(), name="document-release"),
    path(f"{ONE}/versions/", D["version-add"].as_view(), name="document-version-add"),
    path(f"{ONE}/review/", D["review"].as_view(), name="document-review"),
    path(f"{ONE}/confirm/", D["confirm"].as_view(), name="document-confirm"),
    path(f"{ONE}/loan/", D["loan"].as_view(), name="document-loan"),
    path(f"{ONE}/access-log/", D["access-log"].as_view(), name="document-access-log"),
    path(f"{ONE}/dispose/", D["dispose"].as_view(), name="document-dispose"),
    path(f"{VERSION}/download/", D["download"].as_view(), name="version-download"),
    path(f"{VERSION}/preview/", D["preview"].as_view(), name="version-preview"),
]
