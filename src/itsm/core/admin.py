"""Django admin for the directory; saves go through the audited directory services."""

from django.contrib import admin

from . import directory
from .models import AuditEntry, Department, Organization, Team


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
