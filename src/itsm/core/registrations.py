"""What the core declares in the registry: the settings pages, and the home-page cards
and inbox work that read every record type (``core.workspace``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from . import access, workspace
from . import rules as perms
from .directory import may_read_directory
from .models import Department, Organization, Team
from .registry import register_inbox_source, register_menu_item, register_widget
from .reports.registry import reports_for

register_menu_item("settings", _("Notification templates"),
                   "notificationtemplate-list", order=10, key="notification-templates",
                   visible=lambda user: perms.can_manage_master_data(user)
                   and access.is_provider_staff(user))
register_menu_item("settings", _("Administration"), "admin:index", order=90,
                   key="administration",
                   visible=lambda user: perms.can_manage_master_data(user)
                   and user.is_staff)

# The home page's cards that read every record type, and the inbox's "assigned to me".
register_widget("my-work", _("My open work by urgency"), "core/widgets/my_work.html",
                workspace.my_work, visible=access.is_staff_writer, order=10)
register_widget("waiting-on-me", _("Waiting on me"), "core/widgets/waiting_on_me.html",
                workspace.waiting_on_me, visible=access.is_staff_writer, order=20)
register_widget("recently-updated", _("Recently updated"),
                "core/widgets/recently_updated.html", workspace.recently_updated,
                visible=access.is_staff_writer, order=30)
register_inbox_source("assigned", _("Assigned to me"), workspace.assigned_to_me,
                      visible=access.is_staff_writer, order=10)

# The directory (``views_directory``): provider staff read it all, customer administrators
# their own organization's people and departments.
register_menu_item("people", _("People"), "person-list", order=10, key="people",
                   visible=may_read_directory)
register_menu_item("people", Organization._meta.verbose_name_plural,
                   "organization-list", order=20, key="organizations",
                   visible=access.is_provider_staff)
register_menu_item("people", Department._meta.verbose_name_plural, "department-list",
                   order=30, key="departments", visible=may_read_directory)
register_menu_item("people", Team._meta.verbose_name_plural, "team-list", order=40,
                   key="teams", visible=access.is_provider_staff)

# Reports (``core.reports``): the catalogue, for everyone who may see one of them.
register_menu_item("quality", _("Reports"), "report-catalogue", order=9, key="reports",
                   visible=lambda user: bool(reports_for(user)))
