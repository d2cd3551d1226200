"""Pages of the provider's notification templates, on the generic object pages
(``core.object_views``): its staff read them, its administrators write them (others
403), everyone else gets a 404. The form's "preview" button renders the text on a
sample ticket without saving."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy

from . import access, templating
from .forms import NotificationTemplateForm
from .models import NotificationTemplate
from .object_views import ObjectFormView, ObjectViewMixin, object_views


class NotificationTemplateMixin(ObjectViewMixin):
    model = NotificationTemplate
    form_class = NotificationTemplateForm
    url_prefix = "notificationtemplate"
    list_template = "core/notificationtemplate_list.html"
    form_template = "core/notificationtemplate_form.html"
    select_related = ("updated_by",)
    title = gettext_lazy("Notification templates")
    new_title = gettext_lazy("New notification template")
    write_denied = gettext_lazy("Only administrators of the provider may change "
                                "notification templates.")

    def may_read(self) -> bool:
        return access.is_provider_staff(self.request.user)

    def may_write(self) -> bool:
        return templating.may_manage_templates(self.request.user)

    def save(self, instance: NotificationTemplate | None, data: dict[str, Any]
             ) -> NotificationTemplate:
        return templating.save_template(instance, actor=self.request.user, data=data)

    def delete_object(self, instance: NotificationTemplate) -> None:
        templating.delete_template(instance, actor=self.request.user)


class NotificationTemplateFormView(NotificationTemplateMixin, ObjectFormView):
    """Create or edit; "preview" renders the posted text without saving. Invalid
    templates re-render with the field's message (400)."""

    def get_form(self, instance: NotificationTemplate | None, data: Any = None):
        """The form (no model choice to scope; also the admin's), in the reader's
        language for a new template."""
        initial = {"language": getattr(self.request, "LANGUAGE_CODE", None)}
        return NotificationTemplateForm(data, instance=instance, initial=initial)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(placeholders=templating.PLACEHOLDERS.items(),
                       filters=sorted(templating.FILTERS))
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if "preview" not in request.POST:
            return super().post(request, *args, **kwargs)
        instance = self.get_instance()
        form = self.get_form(instance, request.POST)
        context: dict[str, Any] = {"form": form, "instance": instance}
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(**context), status=400)
        data = form.cleaned_data
        context["preview"] = templating.preview(
            data["subject_template"], data["body_template"], event=data["event"],
            language=data["language"])
        return self.render_to_response(self.get_context_data(**context))


NOTIFICATION_TEMPLATE_VIEWS = object_views(NotificationTemplateMixin, only=("list", "delete"),
                                           extra={"form": NotificationTemplateFormView})
