"""Django admin of change management.

Boards, standard change templates, freeze windows and CAB meetings are saved through
``changes.services`` (checked and audited); changes are read-only here — they move
through their workflow in the web UI and the API — and administrators may delete one
outside its retention period (``ITSM_CHANGE_RETENTION_YEARS``). Everything is limited
to the administrator's provider.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from itsm.catalog.models import Service
from itsm.core import access
from itsm.core.admin import (
    RecordAdmin,
    ScopedModelAdmin,
    ScopedTabularInline,
    ServiceRefusalsMixin,
)

from . import services
from .choices import ChangeStatus
from .models import (
    Approval,
    CabMeeting,
    Change,
    ChangeBoard,
    ChangeTask,
    ChangeTemplate,
    FreezeWindow,
    MeetingItem,
)

User = get_user_model()


class ReadOnlyInline(ScopedTabularInline):
    """Rows shown on their parent's page (which checks the view permission)."""

    extra = 0
    can_delete = False
    show_change_link = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_view_permission(self, request, obj=None) -> bool:
        return True

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ApprovalInline(ReadOnlyInline):
    model = Approval
    fields = ("round", "position", "stage", "board", "status", "quorum", "opened_at",
              "decided_at", "votes_cast")

    @admin.display(description=_("votes"))
    def votes_cast(self, obj: Approval) -> str:
        return "; ".join(f"{vote.voter}: {vote.get_decision_display()}"
                         for vote in obj.votes.select_related("voter")) or "—"


class ChangeTaskInline(ReadOnlyInline):
    model = ChangeTask
    fields = ("position", "title", "assignee", "status", "planned_start", "planned_end",
              "started_at", "finished_at")


class StatusFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return ChangeStatus.choices

    def queryset(self, request, queryset):
        return queryset.filter(status=self.value()) if self.value() else queryset


@admin.register(Change)
class ChangeAdmin(RecordAdmin):
    list_display = ("number", "title", "change_type", "status_label", "risk_level", "scale",
                    "organization", "planned_start", "created_at")
    list_filter = ("change_type", StatusFilter, "risk_level", "scale")
    inlines = [ApprovalInline, ChangeTaskInline]
    fieldsets = [
        (None, {"fields": ("number", "status_label", "title", "organization", "requester",
                           "owner", "assignee", "assignee_team", "priority", "change_type",
                           "template", "board", "services", "created_at", "updated_at")}),
        (_("Request"), {"fields": ("description", "reason", "scope", "expected_impact",
                                   "implementation_plan", "backout_plan", "test_plan",
                                   "planned_start", "planned_end")}),
        (_("Assessment"), {"fields": ("likelihood", "impact", "risk_level", "scale",
                                      "impact_business", "impact_technology",
                                      "impact_security", "impact_cost", "assessed_at",
                                      "approved_at")}),
        (_("Implementation and review"), {"fields": (
            "actual_start", "actual_end", "verification_function", "verification_performance",
            "verification_security", "outcome", "review_findings", "closed_at")}),
    ]

    def get_readonly_fields(self, request, obj=None):
        return [name for _title, options in self.fieldsets for name in options["fields"]]


# --- Master data saved through changes.services ------------------------------------------


def _staff_of(provider_id: int | None):
    return User.objects.filter(is_active=True, profile__organization_id=provider_id
                               ).order_by("username")


class ProviderMasterAdmin(ServiceRefusalsMixin, ScopedModelAdmin):
    """A provider's change master data: change managers and administrators write it."""

    provider_path = "provider"
    #: Person fields limited to the provider's people; services check they are staff.
    people_fields: tuple[str, ...] = ()

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        provider_id = access.provider_id_of(request.user)
        if provider_id is None and request.user.is_superuser:
            return queryset
        return queryset.filter(**{f"{self.provider_path}_id": provider_id})

    def _may_write(self, request) -> bool:
        return access.is_provider_staff(request.user) and services.is_manager(request.user)

    def has_add_permission(self, request) -> bool:
        return super().has_add_permission(request) and self._may_write(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return super().has_change_permission(request, obj) and self._may_write(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and self._may_write(request)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        provider_id = access.provider_id_of(request.user)
        if db_field.name in self.people_fields:
            kwargs["queryset"] = _staff_of(provider_id)
        elif db_field.name == "board":
            kwargs["queryset"] = ChangeBoard.objects.filter(provider_id=provider_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        provider_id = access.provider_id_of(request.user)
        if db_field.name in self.people_fields:
            kwargs["queryset"] = _staff_of(provider_id)
        elif db_field.name == "services":
            kwargs["queryset"] = Service.objects.filter(provider_id=provider_id)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def form_data(self, form, change: bool) -> dict[str, Any]:
        names = form.changed_data if change else list(form.cleaned_data)
        return {name: form.cleaned_data[name] for name in names if name in form.cleaned_data}

    def save_model(self, request, obj, form, change) -> None:
        fresh = type(obj).objects.get(pk=obj.pk) if change else None
        saved = self.save_through_service(fresh, actor=request.user,
                                          data=self.form_data(form, change))
        obj.pk = saved.pk

    def save_through_service(self, instance, *, actor, data):
        raise NotImplementedError

    def save_related(self, request, form, formsets, change) -> None:
        """Many-to-many values were saved by the service with the object."""
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def delete_model(self, request, obj) -> None:
        services.delete_master(obj, actor=request.user)

    def delete_queryset(self, request, queryset) -> None:
        for obj in queryset:
            services.delete_master(obj, actor=request.user)


@admin.register(ChangeBoard)
class ChangeBoardAdmin(ProviderMasterAdmin):
    list_display = ("name", "provider", "chair", "quorum", "is_default", "is_active")
    list_filter = ("is_default", "is_active")
    search_fields = ("name",)
    readonly_fields = ("provider",)
    filter_horizontal = ("members", "emergency_approvers")
    people_fields = ("chair", "members", "emergency_approvers")

    def save_through_service(self, instance, *, actor, data):
        return services.save_board(instance, actor=actor, data=data)


@admin.register(ChangeTemplate)
class ChangeTemplateAdmin(ProviderMasterAdmin):
    list_display = ("name", "provider", "approved_by", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name",)
    readonly_fields = ("provider", "approved_by")

    def save_through_service(self, instance, *, actor, data):
        return services.save_template(instance, actor=actor, data=data)


@admin.register(FreezeWindow)
class FreezeWindowAdmin(ProviderMasterAdmin):
    list_display = ("name", "provider", "start", "end")
    search_fields = ("name",)
    readonly_fields = ("provider",)
    filter_horizontal = ("services",)

    def save_through_service(self, instance, *, actor, data):
        return services.save_freeze(instance, actor=actor, data=data)


class MeetingItemInline(ReadOnlyInline):
    model = MeetingItem
    fields = ("position", "change", "decision", "notes", "decided_at")


@admin.register(CabMeeting)
class CabMeetingAdmin(ProviderMasterAdmin):
    """Meetings are cancelled (status), not deleted: their minutes are a record."""

    provider_path = "board__provider"
    list_display = ("title", "board", "scheduled_at", "location", "status")
    list_filter = ("status",)
    search_fields = ("title",)
    readonly_fields = ("created_by",)
    filter_horizontal = ("attendees",)
    people_fields = ("attendees",)
    inlines = [MeetingItemInline]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []  # the agenda is made on saving

    def save_through_service(self, instance, *, actor, data):
        return services.save_meeting(instance, actor=actor, data=data)
