"""Template helpers: timeline sentences, badges, people's names, query strings."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

from itsm.core.choices import PRIORITY_COLORS, TimelineKind
from itsm.core.models import display_name

register = template.Library()


@register.filter
def person(user) -> str:
    return display_name(user) if user else "—"


@register.simple_tag
def priority_badge(record) -> str:
    return format_html('<span class="badge text-bg-{}">{}</span>',
                       PRIORITY_COLORS.get(record.priority, "secondary"),
                       record.get_priority_display())


@register.simple_tag
def status_badge(record) -> str:
    color = getattr(record, "status_color", "secondary")
    return format_html('<span class="badge text-bg-{}" data-status="{}">{}</span>',
                       color, record.status, record.status_label)


@register.simple_tag
def describe_event(event, record) -> str:
    """One sentence for a timeline event, in the reader's language."""
    data = event.data
    if event.kind == TimelineKind.CREATED:
        return _("created %(number)s") % {"number": record.number}
    if event.kind == TimelineKind.TRANSITIONED:
        workflow = record.workflow
        transition = workflow.get(data.get("transition", ""))
        return _("%(action)s: %(old)s → %(new)s") % {
            "action": transition.label if transition else data.get("transition"),
            "old": workflow.label(data.get("old_status", "")),
            "new": workflow.label(data.get("new_status", "")),
        }
    if event.kind == TimelineKind.UPDATED:
        labels = []
        for name in data.get("fields", []):
            try:
                labels.append(str(record._meta.get_field(name.removesuffix("_id")).verbose_name))
            except Exception:  # a field removed since: show its name
                labels.append(name)
        return _("changed %(fields)s") % {"fields": _(", ").join(labels)}
    if event.kind == TimelineKind.ATTACHED:
        return _("attached %(name)s") % {"name": data.get("name", "")}
    if event.kind == TimelineKind.COMMENTED:
        return _("added an internal note") if event.internal else _("replied")
    return str(event.get_kind_display())


@register.simple_tag(takes_context=True)
def sort_url(context, field: str) -> str:
    """Query string that sorts by ``field``, toggling direction, keeping the filters."""
    query = context["request"].GET.copy()
    query.pop("cursor", None)
    current = query.get("ordering", "")
    query["ordering"] = f"-{field}" if current == field else field
    return "?" + query.urlencode()


@register.filter
def filesize(value: int) -> str:
    if value < 1024:
        return f"{value} B"
    if value < 1024 * 1024:
        return f"{value / 1024:.1f} KB"
    return f"{value / 1048576:.1f} MB"
