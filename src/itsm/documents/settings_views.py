"""The controlled documents' settings pages on the generic object pages
(``core.object_views``): categories with their codes, templates, clearances."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy
from django.views.generic import View

from itsm.core import access
from itsm.core.object_views import ObjectViewMixin, object_views

from . import permissions as perms
from . import services
from .files import DOWNLOAD_POLICY
from .forms import CategoryForm, ClearanceForm, TemplateForm
from .models import DocumentCategory, DocumentClearance, DocumentTemplate


class SettingsNavMixin(ObjectViewMixin):
    """The settings' tabs: the clearances' only for who may read them."""

    nav_template = "documents/_settings_nav.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs),
                "show_clearances": perms.may_read_clearances(self.request.user)}


class SettingMixin(SettingsNavMixin):
    """Provider staff read the categories and templates; administrators and management
    change them."""

    write_denied = gettext_lazy("Only administrators and management may change document "
                                "categories and templates.")

    def may_read(self) -> bool:
        return access.is_provider_staff(self.request.user)

    def may_write(self) -> bool:
        return perms.is_keeper(self.request.user)


class CategoryMixin(SettingMixin):
    model = DocumentCategory
    form_class = CategoryForm
    url_prefix = "documents:category"
    list_template = "documents/category_list.html"
    select_related = ("parent",)
    save_with = staticmethod(services.save_category)

    def delete_object(self, instance: DocumentCategory) -> None:
        services.delete_category(instance, actor=self.request.user)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        if "objects" in context:  # the list: categories with their sub-categories
            children: dict[int | None, list] = defaultdict(list)
            for category in context["objects"]:
                children[category.parent_id].append(category)
            context["tree"] = [(c, children[c.pk]) for c in children[None]]
        return context


class TemplateMixin(SettingMixin):
    model = DocumentTemplate
    form_class = TemplateForm
    url_prefix = "documents:template"
    list_template = "documents/template_list.html"
    form_template = "documents/template_form.html"
    select_related = ("category__parent",)
    initial_from_query = ("category",)
    save_with = staticmethod(services.save_template)

    def get_form(self, instance, data=None):
        if data is not None:
            return self.form_class(data, self.request.FILES, instance=instance,
                                   user=self.request.user)
        return super().get_form(instance, data)

    def delete_object(self, instance: DocumentTemplate) -> None:
        services.delete_template(instance, actor=self.request.user)


class ClearanceMixin(SettingsNavMixin):
    """Administrators and security officers grant clearances; the auditor reads them."""

    model = DocumentClearance
    form_class = ClearanceForm
    url_prefix = "documents:clearance"
    list_template = "documents/clearance_list.html"
    select_related = ("user", "granted_by")
    save_with = staticmethod(services.save_clearance)
    write_denied = gettext_lazy("Only administrators and security officers grant "
                                "clearances.")

    def may_read(self) -> bool:
        return perms.may_read_clearances(self.request.user)

    def may_write(self) -> bool:
        return perms.may_manage_clearances(self.request.user)

    def delete_object(self, instance: DocumentClearance) -> None:
        services.delete_clearance(instance, actor=self.request.user)


SETTING_VIEWS = ("list", "form", "delete")
CATEGORY_VIEWS = object_views(CategoryMixin, only=SETTING_VIEWS)
TEMPLATE_VIEWS = object_views(TemplateMixin, only=SETTING_VIEWS)
CLEARANCE_VIEWS = object_views(ClearanceMixin, only=SETTING_VIEWS)


class TemplateFileView(LoginRequiredMixin, View):
    """A template's file, downloaded (provider staff who see the template)."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        template = get_object_or_404(DocumentTemplate.objects.visible_to(request.user),
                                     pk=pk)
        if not template.file:
            raise Http404
        response = FileResponse(template.file.open("rb"), as_attachment=True,
                                filename=template.original_name or "template",
                                content_type="application/octet-stream")
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = DOWNLOAD_POLICY
        return response
