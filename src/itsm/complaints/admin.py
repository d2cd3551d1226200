"""Complaints and improvement actions in the Django admin: read-only records that
administrators may delete only after their retention period (``core.admin.RecordAdmin``)."""

from django.contrib import admin

from itsm.core.admin import RecordAdmin

from .models import Complaint, ImprovementAction


@admin.register(Complaint)
class ComplaintAdmin(RecordAdmin):
    list_display = ("number", "title", "level", "status_label", "organization", "created_at")


@admin.register(ImprovementAction)
class ImprovementActionAdmin(RecordAdmin):
    pass
