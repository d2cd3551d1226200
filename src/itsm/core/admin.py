"""Django admin for the directory; saves go through the audited directory services."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from . import directory, notifications
from .models import (
    AuditEntry,
    Department,
    Notification,
    NotificationAttempt,
    NotificationChannel,
    NotificationPreference,
    Organization,
    Team,
)


class DirectoryAdmin(admin.ModelAdmin):
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
class AuditEntryAdmin(admin.ModelAdmin):
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
class NotificationChannelAdmin(admin.ModelAdmin):
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


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class NotificationAttemptInline(admin.TabularInline):
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
