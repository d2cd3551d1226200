"""Django admin for emergency plans, drills and plan uses (saves through the services)."""

from __future__ import annotations

from django.contrib import admin

from itsm.core import access
from itsm.core.admin import ScopedModelAdmin

from . import services
from .models import Drill, EmergencyPlan, PlanUse


class ProviderPlanAdmin(ScopedModelAdmin):
    provider_path = "provider"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(**{self.provider_path: access.provider_id_of(request.user)})

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(EmergencyPlan)
class EmergencyPlanAdmin(ProviderPlanAdmin):
    list_display = ["title", "version", "status", "customer", "service", "updated_at"]
    list_filter = ["status"]
    search_fields = ["title"]
    readonly_fields = ["provider", "approved_by", "approved_at"]

    def save_model(self, request, obj, form, change) -> None:
        data = {name: form.cleaned_data[name] for name in form.changed_data
                if name in form.cleaned_data}
        saved = services.save_plan(obj if change else None, actor=request.user,
                                   data=data if change else form.cleaned_data)
        obj.pk = saved.pk


@admin.register(Drill)
class DrillAdmin(ProviderPlanAdmin):
    provider_path = "plan__provider"
    list_display = ["plan", "date", "evaluation"]
    list_filter = ["evaluation"]

    def save_model(self, request, obj, form, change) -> None:
        saved = services.save_drill(obj if change else None, actor=request.user,
                                    data=dict(form.cleaned_data))
        obj.pk = saved.pk

    def save_related(self, request, form, formsets, change) -> None:
        """Participants are saved by the service."""


@admin.register(PlanUse)
class PlanUseAdmin(ProviderPlanAdmin):
    provider_path = "plan__provider"
    list_display = ["plan", "record_type", "record_id", "created_at"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
