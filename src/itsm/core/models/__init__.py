"""Core models, one module per concern."""

from .calendars import BusinessCalendar, CalendarException, CalendarWindow
from .notifications import (
    Notification,
    NotificationAttempt,
    NotificationChannel,
    NotificationPreference,
    NotificationTemplate,
)
from .records import (
    Attachment,
    AuditChainHead,
    AuditEntry,
    Comment,
    Department,
    Organization,
    Profile,
    ProviderStaffQuerySet,
    Record,
    RecordChild,
    RecordLink,
    RecordQuerySet,
    SavedView,
    ScopedQuerySet,
    SharedQuerySet,
    Team,
    TimelineEvent,
    attachment_path,
    display_name,
)

__all__ = [
    "Attachment", "AuditChainHead", "AuditEntry", "BusinessCalendar", "CalendarException",
    "CalendarWindow", "Comment", "Department", "Notification", "NotificationAttempt",
    "NotificationChannel", "NotificationPreference", "NotificationTemplate", "Organization",
    "Profile", "ProviderStaffQuerySet", "Record",
    "RecordChild", "RecordLink", "RecordQuerySet", "SavedView", "ScopedQuerySet", "SharedQuerySet",
    "Team", "TimelineEvent",
    "attachment_path", "display_name",
]
