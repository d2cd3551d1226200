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
    ProviderOrSharedQuerySet,
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
    WrittenOnce,
    attachment_path,
    display_name,
)
from .reports import ArchivedReport, ReportSubscription

__all__ = [
    "ArchivedReport", "Attachment", "AuditChainHead", "AuditEntry", "BusinessCalendar",
    "CalendarException", "CalendarWindow", "Comment", "Department", "Notification",
    "NotificationAttempt", "NotificationChannel", "NotificationPreference",
    "NotificationTemplate", "Organization", "Profile", "ProviderOrSharedQuerySet",
    "ProviderStaffQuerySet", "Record",
    "RecordChild", "RecordLink", "RecordQuerySet", "ReportSubscription", "SavedView",
    "ScopedQuerySet", "SharedQuerySet", "Team", "TimelineEvent", "WrittenOnce",
    "attachment_path", "display_name",
]
