"""The pages where administrators declare request types (服务目录项) and their parts:
fields, approval steps and fulfilment tasks (the generic object pages)."""

from __future__ import annotations

from typing import Any

from django.db.models import Model
from django.urls import reverse

from itsm.core import access
from itsm.core.object_views import ObjectViewMixin, object_views

from . import forms, request_types
from .models import RequestType, RequestTypeApproval, RequestTypeField, RequestTypeTask


class RequestTypeMixin(ObjectViewMixin):
    model = RequestType
    form_class = forms.RequestTypeForm
    url_prefix = "catalog:requesttype"
    list_template = "catalog/requesttype_list.html"
    detail_template = "catalog/requesttype_detail.html"
    context_object_name = "request_type"
    success_view = "detail"
    select_related = ("service", "sla_policy")
    save_with = staticmethod(request_types.save_request_type)

    def may_read(self) -> bool:
        return access.is_provider_staff(self.request.user)

    def may_write(self) -> bool:
        return request_types.may_manage(self.request.user)

    def get_queryset(self):
        return super().get_queryset().order_by("service__name", "order", "name")

    def delete_object(self, instance: Model) -> None:
        request_types.delete_request_type(instance, actor=self.request.user)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        instance = context.get("instance")
        if instance is not None and "fields" not in context:
            context.update(fields=instance.fields.all(),
                           approval_steps=instance.approval_steps.all(),
                           task_templates=instance.task_templates.select_related("team"))
        return context


class PartMixin(ObjectViewMixin):
    """A part of a request type: created from the type's page (``?request_type=``),
    back there when saved or deleted."""

    initial_from_query = ("request_type",)
    success_view = "detail"

    def may_read(self) -> bool:
        return access.is_provider_staff(self.request.user)

    def may_write(self) -> bool:
        return request_types.may_manage(self.request.user)

    def save(self, instance: Model | None, data: dict[str, Any]) -> Model:
        saved = request_types.save_part(self.model, instance, actor=self.request.user,
                                        data=data)
        self._type_pk = saved.request_type_id
        return saved

    def delete_object(self, instance: Model) -> None:
        self._type_pk = instance.request_type_id
        request_types.delete_part(instance, actor=self.request.user)

    def url(self, view: str, *args: Any) -> str | None:
        # The part's pages lead back to its request type.
        if view in ("detail", "list"):
            pk = getattr(self, "_type_pk", None) or self._type_of_page()
            return (reverse("catalog:requesttype-detail", args=[pk]) if pk
                    else reverse("catalog:requesttype-list"))
        return super().url(view, *args)

    def _type_of_page(self) -> int | None:
        if "pk" in self.kwargs:
            return self.model.objects.filter(pk=self.kwargs["pk"]).values_list(
                "request_type_id", flat=True).first()
        value = self.request.GET.get("request_type", "")
        return int(value) if value.isdigit() else None


def _part_mixin(model: type[Model], form: type, name: str) -> type:
    return type(f"{model.__name__}Mixin", (PartMixin,), {
        "model": model, "form_class": form, "url_prefix": f"catalog:{name}",
        "select_related": ("request_type",)})


REQUEST_TYPE_VIEWS = object_views(RequestTypeMixin)
FIELD_VIEWS = object_views(_part_mixin(RequestTypeField, forms.RequestTypeFieldForm,
                                       "requesttypefield"), only=("form", "delete"))
APPROVAL_VIEWS = object_views(_part_mixin(RequestTypeApproval, forms.RequestTypeApprovalForm,
                                          "requesttypeapproval"), only=("form", "delete"))
TASK_VIEWS = object_views(_part_mixin(RequestTypeTask, forms.RequestTypeTaskForm,
                                      "requesttypetask"), only=("form", "delete"))
