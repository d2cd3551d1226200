"""What the change app declares in the core registry: the change record type and its
menu pages (calendar, CAB meetings)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from itsm.core.registry import register_menu_item, register_record_type

from .models import Change

register_record_type(Change, group="problems_changes", label=_("Changes"), order=20)
register_menu_item("problems_changes", _("Change calendar"), "changes:calendar",
                   order=30, key="change-calendar")
register_menu_item("problems_changes", _("CAB meetings"), "changes:meeting-list",
                   order=40, key="cab-meetings")
