"""Named constants of the platform core: each value with its translated label, and the
coloured choices every status, priority and badge-shown choice of the platform uses."""

from __future__ import annotations

import enum
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

#: Bootstrap's contextual colour names: a badge of colour ``c`` is ``text-bg-c``.
COLORS = frozenset({"primary", "secondary", "success", "danger", "warning", "info",
                    "light", "dark"})
#: The colour of a value that is not (or no longer) one of the choices.
DEFAULT_COLOR = "secondary"


def _check_color(cls: type, value: Any, color: Any) -> str:
    if color not in COLORS:
        raise ValueError(f"{cls.__qualname__} {value!r}: colour {color!r} is not one of "
                         f"{sorted(COLORS)}")
    return color


class _Colored:
    """What both coloured choices add: ``member.color`` and ``color_of(value)``."""

    _color_: str

    @enum.property
    def color(self) -> str:
        """The member's Bootstrap contextual colour (``primary`` … ``dark``)."""
        return self._color_

    @classmethod
    def color_of(cls, value: Any, default: str = DEFAULT_COLOR) -> str:
        """The colour of ``value`` (a member or its plain value); ``default`` when it is
        not one of the choices (an empty or removed value)."""
        try:
            return cls(value).color  # type: ignore[call-arg]
        except (ValueError, TypeError):
            return default


class ColoredTextChoices(_Colored, models.TextChoices):
    """``TextChoices`` whose members carry a colour: ``NEW = "new", "info", _("New")``
    (value, colour, label). ``choices``, ``values``, ``labels``, comparisons with strings
    and model fields behave exactly as with ``TextChoices``; the colour is not part of
    ``choices``, so migrations do not see it."""

    def __new__(cls, value: str, color: str) -> ColoredTextChoices:
        member = str.__new__(cls, value)
        member._value_ = value
        member._color_ = _check_color(cls, value, color)
        return member


class ColoredIntegerChoices(_Colored, models.IntegerChoices):
    """``IntegerChoices`` whose members carry a colour: ``URGENT = 1, "danger",
    _("Urgent")`` (value, colour, label); otherwise as ``ColoredTextChoices``."""

    def __new__(cls, value: int, color: str) -> ColoredIntegerChoices:
        member = int.__new__(cls, value)
        member._value_ = value
        member._color_ = _check_color(cls, value, color)
        return member


class OrganizationKind(models.TextChoices):
    PROVIDER = "provider", _("Service provider")
    CUSTOMER = "customer", _("Customer")


class Role(models.TextChoices):
    """The roles a person can hold; stored as Django groups named by the value."""

    REQUESTER = "requester", _("Requester")
    CUSTOMER_ADMIN = "customer_admin", _("Customer administrator")
    AGENT = "agent", _("Service desk agent")
    TEAM_LEAD = "team_lead", _("Team lead")
    CHANGE_MANAGER = "change_manager", _("Change manager")
    CAB_MEMBER = "cab_member", _("CAB member")
    QUALITY_MANAGER = "quality_manager", _("Quality manager")
    SECURITY_OFFICER = "security_officer", _("Security officer")
    HR = "hr", _("HR")
    COMPLAINT_HANDLER = "complaint_handler", _("Complaint handler")
    MANAGEMENT = "management", _("Management")
    AUDITOR = "auditor", _("Auditor (read-only)")
    ADMINISTRATOR = "administrator", _("Administrator")


#: Roles of the customer side: they see their own organization only.
CUSTOMER_ROLES = frozenset({Role.REQUESTER, Role.CUSTOMER_ADMIN})
#: Provider roles that may work on records (everything but the read-only auditor).
STAFF_WRITER_ROLES = frozenset(
    {
        Role.AGENT,
        Role.TEAM_LEAD,
        Role.CHANGE_MANAGER,
        Role.CAB_MEMBER,
        Role.QUALITY_MANAGER,
        Role.SECURITY_OFFICER,
        Role.HR,
        Role.COMPLAINT_HANDLER,
        Role.MANAGEMENT,
        Role.ADMINISTRATOR,
    }
)
STAFF_ROLES = STAFF_WRITER_ROLES | {Role.AUDITOR}


class Priority(ColoredIntegerChoices):
    """The four priority levels of the manuals (INC-2); lower sorts first."""

    URGENT = 1, "danger", _("Urgent")
    IMPORTANT = 2, "warning", _("Important")
    GENERAL = 3, "primary", _("General")
    NOT_IMPORTANT = 4, "secondary", _("Not important")


class Language(models.TextChoices):
    ZH_HANS = "zh-hans", "简体中文"
    EN = "en", "English"


class AuditAction(models.TextChoices):
    CREATE = "create", _("Created")
    UPDATE = "update", _("Updated")
    DELETE = "delete", _("Deleted")
    TRANSITION = "transition", _("Status changed")
    READ = "read", _("Read")


class AuditSource(models.TextChoices):
    WEB = "web", _("Web")
    API = "api", _("API")
    JOB = "job", _("Background job")
    EMAIL = "email", _("Email")
    CLI = "cli", _("Command line")


class TimelineKind(models.TextChoices):
    CREATED = "created", _("Created")
    UPDATED = "updated", _("Updated")
    TRANSITIONED = "transitioned", _("Status changed")
    COMMENTED = "commented", _("Comment")
    ATTACHED = "attached", _("Attachment added")
    SLA = "sla", _("SLA")


class LinkKind(models.TextChoices):
    RELATED = "related", _("Related")
    DUPLICATE_OF = "duplicate_of", _("Duplicate of")
    CAUSED_BY = "caused_by", _("Caused by")
    PART_OF = "part_of", _("Part of")
    #: A ticket or problem solved with a knowledge article (its "used to resolve" count).
    SOLVED_WITH = "solved_with", _("Solved with")


class CalendarExceptionKind(models.TextChoices):
    HOLIDAY = "holiday", _("Public holiday")
    WORKDAY = "workday", _("Make-up working day")
    HALF_DAY = "half_day", _("Half day")


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class ChannelKind(models.TextChoices):
    EMAIL = "email", _("Email")
    DINGTALK = "dingtalk", _("DingTalk robot")
    WECOM = "wecom", _("WeCom robot")
    FEISHU = "feishu", _("Feishu robot")
    WEBHOOK = "webhook", _("Signed webhook")


class NotificationStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class NotificationEvent(models.TextChoices):
    RECORD_CREATED = "record_created", _("Record created")
    RECORD_ASSIGNED = "record_assigned", _("Record assigned")
    COMMENT_ADDED = "comment_added", _("Comment added")
    RECORD_RESOLVED = "record_resolved", _("Record resolved")
    SLA_WARNING = "sla_warning", _("SLA warning")
    SLA_BREACH = "sla_breach", _("SLA breached")
    SLA_ESCALATION = "sla_escalation", _("SLA escalation to management")
    MAJOR_INCIDENT = "major_incident", _("Major incident")
    SATISFACTION_REQUEST = "satisfaction_request", _("Satisfaction survey")
    APPROVAL_REQUESTED = "approval_requested", _("Approval requested")
    APPROVAL_DECIDED = "approval_decided", _("Approval decided")
    QUALITY_ALERT = "quality_alert", _("Quality target alert")
    IMPROVEMENT_UPDATE = "improvement_update", _("Improvement plan update")
    REMINDER = "reminder", _("Reminder of a due date")


class ReportFrequency(models.TextChoices):
    """How often a report subscription is sent: the period kind it reports on."""

    MONTHLY = "month", _("Monthly")
    QUARTERLY = "quarter", _("Quarterly")


class ReportFormat(models.TextChoices):
    PDF = "pdf", "PDF"
    XLSX = "xlsx", "XLSX"
