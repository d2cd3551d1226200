"""Django admin for the directory; saves go through the audited directory services.

``RecordAdmin`` is the base of record types shown in the admin: read-only (records
move through their workflow in the web UI and the API), deletable by administrators
through ``services.delete_record``; a deletion the retention period forbids (GEN-7) is
an error message, never a 500, and deletes nothing.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected as django_delete_selected
from django.contrib.admin.utils import get_fields_from_path, quote, unquote
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from . import access, directory, notifications, services, templating
from . import rules as perms
from .choices import Role
from .exceptions import RetentionError, WorkflowError
from .forms import NotificationTemplateForm
from .models import (
    AuditEntry,
    Department,
    Notification,
    NotificationAttempt,
    NotificationChannel,
    NotificationPreference,
    NotificationTemplate,
    Organization,
    Team,
    display_name,
)
from .retention import check_deletable
from .scoping import restrict


class ScopedRelatedFieldListFilter(admin.RelatedFieldListFilter):
    """A list filter by a related object offering only objects of the reader's scope."""

    def field_choices(self, field, request, model_admin):
        queryset = restrict(field.related_model._default_manager.all(), request.user)
        ordering = self.field_admin_ordering(field, request, model_admin)
        if ordering:
            queryset = queryset.order_by(*ordering)
        return [(obj.pk, str(obj)) for obj in queryset]


class ScopedChoicesAdminMixin:
    """For anyone but a superuser, every related choice of an admin form and every list
    filter by a related object offers only objects of the reader's scope
    (``core.scoping.restrict``), whatever queryset the admin class chose. The base of
    every admin class and inline of the project (``core.tests.test_scoped_choices``)."""

    def _restricted(self, db_field, request, kwargs: dict) -> dict:
        if request is not None and not request.user.is_superuser:
            queryset = kwargs.get("queryset")
            if queryset is None:
                queryset = (self.get_field_queryset(None, db_field, request)
                            or db_field.remote_field.model._default_manager.all())
            kwargs["queryset"] = restrict(queryset, request.user)
        return kwargs

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        return super().formfield_for_foreignkey(
            db_field, request, **self._restricted(db_field, request, kwargs))

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        return super().formfield_for_manytomany(
            db_field, request, **self._restricted(db_field, request, kwargs))

    def get_list_filter(self, request):
        filters = super().get_list_filter(request)
        if request.user.is_superuser:
            return filters
        return [(item, ScopedRelatedFieldListFilter)
                if isinstance(item, str)
                and get_fields_from_path(self.model, item)[-1].is_relation else item
                for item in filters]


class ScopedModelAdmin(ScopedChoicesAdminMixin, admin.ModelAdmin):
    pass


class ScopedTabularInline(ScopedChoicesAdminMixin, admin.TabularInline):
    pass


class DirectoryAdmin(ScopedModelAdmin):
    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in form.changed_data
                if name not in {f.name for f in obj._meta.many_to_many}}
        if change:
            fresh = type(obj).objects.get(pk=obj.pk)
            directory.update_object(fresh, actor=request.user, changes=data)
        else:
            created = directory.create_object(
                type(obj), actor=request.user,
                data={name: form.cleaned_data[name] for name in form.cleaned_data
                      if name not in {f.name for f in obj._meta.many_to_many}},
            )
            obj.pk = created.pk

    def delete_model(self, request, obj):
        directory.delete_object(obj, actor=request.user)


@admin.register(Organization)
class OrganizationAdmin(DirectoryAdmin):
    list_display = ("name", "code", "kind", "provider", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "code")


@admin.register(Department)
class DepartmentAdmin(DirectoryAdmin):
    list_display = ("name", "organization", "parent")
    list_filter = ("organization",)


@admin.register(Team)
class TeamAdmin(DirectoryAdmin):
    list_display = ("name", "organization", "lead")
    list_filter = ("organization",)
    filter_horizontal = ("members",)


@admin.register(AuditEntry)
class AuditEntryAdmin(ScopedModelAdmin):
    list_display = ("id", "occurred_at", "actor_name", "source", "action", "object_repr")
    list_filter = ("action", "source")
    search_fields = ("object_repr", "actor_name", "object_id")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class NotificationChannelForm(forms.ModelForm):
    """The secret is never shown; leave it empty to keep the current one."""

    secret = forms.CharField(label=_("signing secret"), required=False, max_length=200,
                             widget=forms.PasswordInput(render_value=False),
                             help_text=_("Leave empty to keep the current secret."))
    clear_secret = forms.BooleanField(label=_("remove the secret"), required=False)

    class Meta:
        model = NotificationChannel
        fields = ["organization", "name", "kind", "target", "secret", "events",
                  "rate_limit_per_minute", "is_active"]


@admin.register(NotificationChannel)
class NotificationChannelAdmin(ScopedModelAdmin):
    """Saves go through the audited notification services (secret masked in the log)."""

    form = NotificationChannelForm
    list_display = ("name", "organization", "kind", "is_active", "rate_limit_per_minute")
    list_filter = ("kind", "is_active")
    search_fields = ("name",)

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in form.cleaned_data
                if name not in ("secret", "clear_secret")}
        if form.cleaned_data.get("secret"):
            data["secret"] = form.cleaned_data["secret"]
        elif form.cleaned_data.get("clear_secret"):
            data["secret"] = ""
        if change:
            fresh = NotificationChannel.objects.get(pk=obj.pk)
            notifications.update_channel(fresh, actor=request.user, changes=data)
        else:
            data.setdefault("secret", "")
            obj.pk = notifications.create_channel(actor=request.user, data=data).pk

    def delete_model(self, request, obj):
        notifications.delete_channel(obj, actor=request.user)


class ReadOnlyAdmin(ScopedModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class NotificationAttemptInline(ScopedTabularInline):
    model = NotificationAttempt
    extra = 0
    fields = ("attempted_at", "ok", "status_code", "error", "response")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("id", "created_at", "event", "recipient", "status", "attempts", "sent_at")
    list_filter = ("status", "event")
    search_fields = ("recipient", "subject")
    exclude = ("payload",)
    inlines = [NotificationAttemptInline]


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(ReadOnlyAdmin):
    list_display = ("user", "event", "email", "im")
    list_filter = ("event",)


# --- Records ---------------------------------------------------------------------------


def refusal_text(error: ValidationError | WorkflowError) -> str:
    """The message of a service-layer refusal, for the admin's message list."""
    if isinstance(error, WorkflowError):
        return error.message
    return " ".join(str(m) for m in error.messages)


class ServiceRefusalsMixin:
    """The service layer's refusals (ValidationError, WorkflowError such as RetentionError)
    become an error message and a redirect instead of a 500. The admin's views run in a
    transaction, so whatever they wrote before the refusal (log entries) is rolled back."""

    def _refused(self, request, error, url: str) -> HttpResponseRedirect:
        self.message_user(request, refusal_text(error), messages.ERROR)
        return HttpResponseRedirect(url)

    def _change_url(self, object_id) -> str:
        """The object's admin page, or the list when it is gone (or never existed)."""
        opts = self.opts
        pk = unquote(str(object_id)) if object_id else None
        try:
            exists = bool(pk) and self.model._default_manager.filter(pk=pk).exists()
        except (ValueError, ValidationError):
            exists = False
        if exists:
            return reverse(f"admin:{opts.app_label}_{opts.model_name}_change",
                           args=[quote(pk)], current_app=self.admin_site.name)
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist",
                       current_app=self.admin_site.name)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except (ValidationError, WorkflowError) as error:
            return self._refused(request, error, request.get_full_path())

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except (ValidationError, WorkflowError) as error:
            return self._refused(request, error, self._change_url(object_id))


class ProviderRecordQuerySetMixin:
    """Records the administrator's provider serves (a superuser outside any
    organization sees all of them)."""

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser and access.organization_of(request.user) is None:
            return queryset
        return queryset.visible_to(request.user)


class RecordAdmin(ServiceRefusalsMixin, ProviderRecordQuerySetMixin, ScopedModelAdmin):
    """Read-only records; administrators delete them outside their retention period."""

    list_display = ("number", "title", "status_label", "organization", "requester",
                    "created_at")
    search_fields = ("number", "title")
    list_select_related = ("organization", "requester")
    actions = ["delete_selected"]

    @admin.display(description=_("status"))
    def status_label(self, obj) -> str:
        return obj.status_label

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return (super().has_delete_permission(request, obj)
                and perms.is_administrator(request.user)
                and (obj is None or perms.can_delete_record(request.user, obj)))

    def render_delete_form(self, request, context):
        """Say at once when the retention period forbids the deletion."""
        record = context["object"]
        try:
            check_deletable(record)
        except RetentionError as error:
            return self._refused(request, error, self._change_url(record.pk))
        return super().render_delete_form(request, context)

    def delete_model(self, request, obj) -> None:
        services.delete_record(obj, actor=request.user)

    def delete_queryset(self, request, queryset) -> None:
        for record in queryset:
            services.delete_record(record, actor=request.user)

    @admin.action(permissions=["delete"],
                  description=django_delete_selected.short_description)
    def delete_selected(self, request, queryset):
        """Django's action, refused as a whole when one record must still be kept."""
        refused = []
        for record in queryset:
            try:
                check_deletable(record)
            except RetentionError as error:
                refused.append(error)
        if refused:
            for error in refused:
                self.message_user(request, error.message, messages.ERROR)
            self.message_user(request, _("Nothing was deleted."), messages.ERROR)
            return None
        try:
            with transaction.atomic():
                return django_delete_selected(self, request, queryset)
        except (ValidationError, WorkflowError) as error:
            self.message_user(request, refusal_text(error), messages.ERROR)
            return None


# --- Notification templates ------------------------------------------------------------


@admin.register(NotificationTemplate)
class NotificationTemplateAdmin(ServiceRefusalsMixin, ScopedModelAdmin):
    """Saves go through ``templating.save_template`` (administrators of the provider,
    audited); the list shows the administrator's own provider only."""

    form = NotificationTemplateForm  # checked in the sandbox as in the web UI and the API
    list_display = ("event", "language", "subject_template", "is_active", "updated_at")
    list_filter = ("event", "language", "is_active")
    actions = None  # a bulk delete would skip the audited service

    def get_queryset(self, request):
        return super().get_queryset(request).filter(
            provider_id=access.provider_id_of(request.user))

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in templating.TEMPLATE_FIELDS}
        fresh = NotificationTemplate.objects.get(pk=obj.pk) if change else None
        obj.pk = templating.save_template(fresh, actor=request.user, data=data).pk

    def delete_model(self, request, obj):
        templating.delete_template(obj, actor=request.user)


# --- People and roles (Django's own models, for superusers) -------------------------------
#
# Roles are Django groups named by the role codes (``cab_member``); wherever the admin lists
# or offers them it shows their translated names (变更咨询委员会成员) instead. People are
# administered in the web app (``core.views_directory``); these pages stay for superusers.

User = get_user_model()


def role_label(name: str) -> str:
    """The translated name of the role a group stands for (the group's name otherwise)."""
    return str(Role(name).label) if name in Role.values else name


class RoleChoiceField(forms.ModelMultipleChoiceField):
    """Groups offered by the names of their roles."""

    def label_from_instance(self, obj) -> str:
        return role_label(obj.name)


class RoleListFilter(admin.SimpleListFilter):
    title = _("Role")
    parameter_name = "role"

    def lookups(self, request, model_admin):
        return Role.choices

    def queryset(self, request, queryset):
        return queryset.filter(groups__name=self.value()) if self.value() else queryset


admin.site.unregister(Group)


@admin.register(Group)
class RoleGroupAdmin(DjangoGroupAdmin):
    list_display = ("role", "name")

    @admin.display(description=_("Role"), ordering="name")
    def role(self, obj) -> str:
        return role_label(obj.name)


admin.site.unregister(User)


@admin.register(User)
class PersonAdmin(DjangoUserAdmin):
    """Django's user admin, with 姓名, organization and roles by their names."""

    list_display = ("username", "name", "email", "organization", "roles", "is_active",
                    "is_staff")
    list_filter = ("is_active", "is_staff", "is_superuser", RoleListFilter)
    list_select_related = ("profile__organization",)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "groups":
            kwargs["form_class"] = RoleChoiceField
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    @admin.display(description=_("Full name"), ordering="last_name")
    def name(self, obj) -> str:
        return display_name(obj)

    @admin.display(description=_("organization"), ordering="profile__organization__name")
    def organization(self, obj) -> str:
        profile = getattr(obj, "profile", None)
        return str(profile.organization) if profile is not None else "—"

    @admin.display(description=_("Roles"))
    def roles(self, obj) -> str:
        return ", ".join(role_label(group.name) for group in obj.groups.all())
