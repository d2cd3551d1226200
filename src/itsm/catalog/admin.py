"""Django admin for the catalogue and business calendars.

Saves go through ``catalog.admin_services`` (audited, administrators only) and every
change to a calendar, its windows or exceptions renews what is cached of calendars
(``touch_calendar``). Administrators who are not superusers see their
provider's rows (and the shared calendars) only.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from itsm.core import access
from itsm.core.admin import ScopedModelAdmin, ScopedTabularInline
from itsm.core.choices import CalendarExceptionKind
from itsm.core.models import BusinessCalendar, CalendarException, CalendarWindow

from . import admin_services
from .models import PriorityRule, Service, SLAPolicy, SLATarget


def _form_data(form: forms.ModelForm, names: list[str] | None = None) -> dict[str, Any]:
    names = form.cleaned_data if names is None else names
    return {name: form.cleaned_data[name] for name in names if name in form.cleaned_data}


class ProviderScopedAdmin(ScopedModelAdmin):
    """Rows of the user's provider; saved through the audited catalogue services."""

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(provider_id=access.provider_id_of(request.user))

    def save_model(self, request, obj, form, change) -> None:
        if change:
            fresh = type(obj).objects.get(pk=obj.pk)
            saved = admin_services.update_provider_object(
                fresh, actor=request.user, changes=_form_data(form, form.changed_data))
        else:
            saved = admin_services.create_provider_object(
                type(obj), actor=request.user, data=_form_data(form))
        obj.pk = saved.pk

    def delete_model(self, request, obj) -> None:
        admin_services.delete_provider_object(obj, actor=request.user)


@admin.register(Service)
class ServiceAdmin(ProviderScopedAdmin):
    list_display = ("name", "code", "provider", "calendar", "owner_team", "is_active")
    list_filter = ("is_active", "calendar")
    search_fields = ("name", "code")
    filter_horizontal = ("customers",)


class SLATargetFormSet(forms.BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        rows = [f.cleaned_data for f in self.forms
                if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        try:
            admin_services.validate_targets(rows)
        except ValidationError as exc:
            raise forms.ValidationError(exc.message_dict["targets"]) from exc


class SLATargetInline(ScopedTabularInline):
    model = SLATarget
    formset = SLATargetFormSet
    extra = 0


def _inline_rows(formset: forms.BaseInlineFormSet, names: tuple[str, ...]) -> list[dict]:
    """The rows an inline formset leaves (deleted and empty extra forms dropped)."""
    rows = []
    for form in formset.forms:
        data = getattr(form, "cleaned_data", None)
        if not data or data.get("DELETE"):
            continue
        rows.append({name: data[name] for name in names})
    return rows


def _mark_saved(formset: forms.BaseInlineFormSet) -> None:
    """What ``construct_change_message`` expects after ``formset.save()``."""
    formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []


@admin.register(SLAPolicy)
class SLAPolicyAdmin(ProviderScopedAdmin):
    list_display = ("name", "provider", "service", "customer", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name",)
    inlines = [SLATargetInline]

    def save_formset(self, request, form, formset, change) -> None:
        if formset.model is not SLATarget:
            return super().save_formset(request, form, formset, change)
        rows = _inline_rows(formset, ("priority", "response_minutes", "resolution_minutes"))
        policy = SLAPolicy.objects.get(pk=form.instance.pk)
        admin_services.update_policy(policy, actor=request.user, changes={}, targets=rows)
        _mark_saved(formset)


@admin.register(PriorityRule)
class PriorityRuleAdmin(ProviderScopedAdmin):
    list_display = ("provider", "impact", "urgency", "priority")
    list_filter = ("provider", "impact", "urgency")


# --- Business calendars -----------------------------------------------------------------


class CalendarWindowFormSet(forms.BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        rows = [f.cleaned_data for f in self.forms
                if f.cleaned_data and not f.cleaned_data.get("DELETE")
                and f.cleaned_data.get("start") and f.cleaned_data.get("end")]
        try:
            admin_services.validate_windows(rows)
        except ValidationError as exc:
            raise forms.ValidationError(exc.message_dict["windows"]) from exc


class CalendarWindowInline(ScopedTabularInline):
    model = CalendarWindow
    formset = CalendarWindowFormSet
    extra = 0


class CalendarExceptionForm(forms.ModelForm):
    class Meta:
        model = CalendarException
        fields = ("date", "kind", "name", "start", "end")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("kind") == CalendarExceptionKind.HOLIDAY and (
                data.get("start") or data.get("end")):
            self.add_error("start", gettext("A public holiday has no working hours."))
        return data


class CalendarExceptionInline(ScopedTabularInline):
    model = CalendarException
    form = CalendarExceptionForm
    extra = 0
    fields = ("date", "kind", "name", "start", "end")


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(ScopedModelAdmin):
    list_display = ("name", "organization", "time_zone", "always_on", "updated_at")
    list_filter = ("always_on",)
    search_fields = ("name",)
    readonly_fields = ("updated_at",)
    inlines = [CalendarWindowInline, CalendarExceptionInline]
    actions = ["seed_china_next_year"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.visible_to(request.user)

    def has_change_permission(self, request, obj=None) -> bool:
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or admin_services.can_write_calendar(request.user, obj))

    def has_delete_permission(self, request, obj=None) -> bool:
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or admin_services.can_write_calendar(request.user, obj))

    def save_model(self, request, obj, form, change) -> None:
        fields = [name for name in form.cleaned_data if name != "updated_at"]
        if change:
            fresh = BusinessCalendar.objects.get(pk=obj.pk)
            saved = admin_services.update_calendar(
                fresh, actor=request.user, changes=_form_data(form, form.changed_data))
        else:
            saved = admin_services.create_calendar(actor=request.user,
                                                   data=_form_data(form, fields))
        obj.pk, obj.updated_at = saved.pk, saved.updated_at

    def delete_model(self, request, obj) -> None:
        admin_services.delete_calendar(obj, actor=request.user)

    def save_formset(self, request, form, formset, change) -> None:
        calendar = BusinessCalendar.objects.get(pk=form.instance.pk)
        if formset.model is CalendarWindow:
            rows = _inline_rows(formset, ("weekday", "start", "end"))
            admin_services.update_calendar(calendar, actor=request.user, changes={},
                                           windows=rows)
        elif formset.model is CalendarException:
            self._save_exceptions(request, calendar, formset)
        else:  # pragma: no cover - no other inline
            super().save_formset(request, form, formset, change)
            admin_services.touch_calendar(calendar)
            return
        _mark_saved(formset)

    def _save_exceptions(self, request, calendar: BusinessCalendar, formset) -> None:
        names = ("date", "kind", "name", "start", "end")
        for form in formset.deleted_forms:
            if form.instance.pk:
                admin_services.delete_exception(form.instance, actor=request.user)
        for form in formset.forms:
            if form in formset.deleted_forms or not form.has_changed():
                continue
            data = {name: form.cleaned_data.get(name) for name in names}
            if form.instance.pk:
                fresh = CalendarException.objects.get(pk=form.instance.pk)
                admin_services.update_exception(fresh, actor=request.user, changes=data)
            else:
                admin_services.add_exception(calendar, actor=request.user, data=data)

    @admin.action(description=_("Add China's official holidays of next year"))
    def seed_china_next_year(self, request, queryset) -> None:
        year = timezone.localdate().year + 1
        for calendar in queryset:
            try:
                result = admin_services.seed_china(calendar, actor=request.user, years=[year])
            except (ValidationError, PermissionDenied) as exc:
                text = "; ".join(getattr(exc, "messages", [str(exc)]))
                self.message_user(request, f"{calendar}: {text}", messages.ERROR)
                continue
            self.message_user(request, gettext(
                "%(calendar)s: %(added)s days of %(year)s added.")
                % {"calendar": calendar, "added": result["added"], "year": year})
