"""What the change app declares in the core registry: the change record type and its
menu pages (calendar, CAB meetings), its home-page cards and inbox work."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from itsm.core import access
from itsm.core.choices import Role
from itsm.core.registry import (
    ListColumn,
    register_inbox_source,
    register_menu_item,
    register_record_type,
    register_widget,
    role_predicate,
)

from . import widgets
from .models import Change


def planned_window(change: Change) -> str:
    """The planned window as the list shows it (start – end, local time)."""
    if not change.planned_start:
        return ""
    start = timezone.localtime(change.planned_start)
    end = timezone.localtime(change.planned_end) if change.planned_end else None
    if end is None:
        return f"{start:%m-%d %H:%M} –"
    return f"{start:%m-%d %H:%M} – {end:%H:%M}" if end.date() == start.date() \
        else f"{start:%m-%d %H:%M} – {end:%m-%d %H:%M}"


register_record_type(Change, group="problems_changes", label=_("Changes"), order=20,
                     columns=(ListColumn("change_type", _("change type")),
                              ListColumn("risk_level", _("risk level")),
                              ListColumn("planned", _("planned window"),
                                         value=planned_window)))
register_menu_item("problems_changes", _("Change calendar"), "changes:calendar",
                   order=30, key="change-calendar")
register_menu_item("problems_changes", _("CAB meetings"), "changes:meeting-list",
                   order=40, key="cab-meetings")

# The home page and the inbox (``widgets``): who owes a vote, this week, the freezes.
CHANGE_ROLES = (Role.CHANGE_MANAGER, Role.CAB_MEMBER)
register_widget("awaiting-my-vote", _("Awaiting my vote or approval"),
                "changes/widgets/my_votes.html", widgets.my_votes,
                visible=role_predicate(*CHANGE_ROLES), order=15)
register_widget("changes-this-week", _("This week's changes"),
                "changes/widgets/this_week.html", widgets.this_week,
                visible=role_predicate(*CHANGE_ROLES), order=35)
register_widget("freeze-windows", _("Change freeze windows"),
                "changes/widgets/freeze_windows.html", widgets.freeze_windows,
                visible=role_predicate(*CHANGE_ROLES), order=36)
register_inbox_source("votes", _("Approvals and CAB votes"), widgets.votes_inbox,
                      visible=access.is_staff_writer, order=5)
register_inbox_source("change-tasks", _("Change tasks"), widgets.tasks_inbox,
                      visible=access.is_staff_writer, order=30)
