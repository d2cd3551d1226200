"""Template helpers: timeline sentences, badges, people's names, query strings."""

from __future__ import annotations

from django import template
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from itsm.changes.choices import (
    ApprovalStatus,
    MeetingDecision,
    Stage,
    TaskStatus,
    VoteDecision,
)
from itsm.core.choices import LinkKind, Priority, TimelineKind
from itsm.core.models import display_name
from itsm.servicedesk.templatetags.sla import duration_formats, sla_countdown

register = template.Library()
PRIORITY_LABELS = dict(Priority.choices)


@register.filter
def person(user) -> str:
    return display_name(user) if user else "—"


@register.simple_tag
def priority_badge(record) -> str:
    """The record's priority in the colour declared on ``Priority``."""
    return format_html('<span class="badge text-bg-{}">{}</span>',
                       Priority.color_of(record.priority),
                       PRIORITY_LABELS.get(record.priority, record.priority))


@register.simple_tag
def status_badge(record) -> str:
    """The record's status in the colour declared on its workflow's status choice."""
    return format_html('<span class="badge text-bg-{}" data-status="{}">{}</span>',
                       record.status_color, record.status, record.status_label)


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


@register.simple_tag
def column_cell(record, column) -> SafeString:
    """One cell of a record type's own list column (``core.registry.ListColumn``)."""
    if column.value is not None:
        value = column.value(record)
    else:
        display = getattr(record, f"get_{column.key}_display", None)
        value = display() if display is not None else getattr(record, column.key, None)
    if hasattr(value, "tzinfo") and value is not None:
        value = _local(value)
    return format_html("<td>{}</td>", "—" if value in (None, "") else value)


@register.simple_tag
def record_rows(records, portal: bool, selectable: bool = False,
                columns: tuple = ()) -> SafeString:
    """The rows of a record list, built in Python: the list is the page agents keep open
    all day, and a template loop over 25 rows of ten cells was most of its time.

    Detail links are ``…/<id>/`` under the first record's (one ``reverse`` per page)."""
    if not records:
        return format_html('<tr><td colspan="9" class="text-muted">{}</td></tr>',
                           _("Nothing found."))
    first = records[0]
    prefix = first.get_absolute_url().removesuffix(f"{first.pk}/")
    left, over = _("{time} left"), _("{time} overdue")
    formats, now = duration_formats(), timezone.now()

    def staff_cells(record) -> SafeString | str:
        if portal:
            return ""
        team = record.assignee_team
        return format_html(
            "<td>{}</td><td>{}</td><td>{}{}</td>", record.organization,
            person(record.requester), person(record.assignee),
            format_html(' <span class="text-muted small">({})</span>', team) if team else "")

    def due_cell(record) -> SafeString:
        clock = getattr(record, "sla_clock", None)
        if record.due_at is None:  # a paused SLA clock says what is left
            paused = sla_countdown(clock, now) if clock is not None else ""
            return format_html("<td>—{}</td>",
                               format_html(" <small>{}</small>", paused) if paused else "")
        running = not record.is_final
        if clock is not None:  # an SLA clock: working time left on its calendar
            text = sla_countdown(clock, now)
            countdown = format_html(" <small>{}</small>", text) if text else ""
        elif running and record.status != "resolved":  # a plain due date: calendar time
            countdown = format_html(
                ' <span class="sla-countdown small text-muted" data-due="{}" data-left="{}" '
                'data-over="{}" data-hm="{}" data-h="{}" data-m="{}"></span>',
                timezone.localtime(record.due_at).isoformat(), left, over,
                formats["hm"], formats["h"], formats["m"])
        else:
            countdown = ""
        return format_html('<td><span class="{}">{}</span>{}</td>',
                           "sla-countdown-list" if running else "", _local(record.due_at),
                           countdown)

    def select_cell(record) -> SafeString | str:
        """A box to tick the record for a bulk action (``form="bulk-form"``)."""
        if not selectable:
            return ""
        return format_html('<td><input class="form-check-input" type="checkbox" name="ids" '
                           'value="{}" form="bulk-form" aria-label="{}"></td>',
                           record.pk, record.number)

    def own_cells(record) -> SafeString | str:
        if portal or not columns:
            return ""
        return format_html_join("", "{}", ((column_cell(record, c),) for c in columns))

    return format_html_join("\n", "<tr>{}<td><a href=\"{}{}/\">{}</a></td><td>{}</td><td>{}</td>"
                            "<td>{}</td>{}{}<td>{}</td>{}</tr>", (
                                (select_cell(r), prefix, r.pk, r.number, r.title,
                                 status_badge(r), priority_badge(r), own_cells(r),
                                 staff_cells(r), _local(r.created_at), due_cell(r))
                                for r in records))


@register.simple_tag
def select_options(choices, selected) -> SafeString:
    """``<option>``s of ``choices`` (value, label), those in ``selected`` (a value or a
    list of values, compared as text) selected; empty values are left out."""
    chosen = {str(v) for v in (selected if isinstance(selected, list | tuple) else [selected])
              if v not in (None, "")}
    return format_html_join("", "{}", (
        (format_html('<option value="{}" selected>{}</option>' if str(value) in chosen
                     else '<option value="{}">{}</option>', value, label),)
        for value, label in choices if value not in (None, "")))


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
    if event.kind == TimelineKind.UPDATED and "rating" in data:
        return _("rated the service %(score)s of 5") % {"score": data["rating"]}
    if event.kind == TimelineKind.SLA:
        return data.get("text", "")
    if event.kind == TimelineKind.UPDATED:
        related = _related_event(data) or _change_event(data)
        if related:
            return related
        labels = []
        for name in data.get("fields", []):
            try:
                labels.append(str(record._meta.get_field(name.removesuffix("_id")).verbose_name))
            except Exception:  # a field removed since: show its name
                labels.append(name)
        text = _("changed %(fields)s") % {"fields": _(", ").join(labels)} if labels else ""
        reason = _event_reason(data)
        return f"{text} ({reason})" if text and reason else (text or reason)
    if event.kind == TimelineKind.ATTACHED:
        return _("attached %(name)s") % {"name": data.get("name", "")}
    if event.kind == TimelineKind.COMMENTED:
        return _("added an internal note") if event.internal else _("replied")
    return str(event.get_kind_display())


def _event_reason(data: dict) -> str:
    """The reason stored with an event (an untranslated message marked with
    ``gettext_noop`` and its parameters), in the reader's language."""
    reason = data.get("reason")
    if not isinstance(reason, str) or not reason:
        return ""
    try:
        return _(reason) % (data.get("reason_params") or {})
    except (KeyError, TypeError, ValueError):
        return _(reason)


def _related_event(data: dict) -> str:
    """Merges and links between records (servicedesk.services)."""
    kind = data.get("link_kind")
    label = str(LinkKind(kind).label) if kind in LinkKind.values else (kind or "")
    if data.get("merged_into"):
        return _("merged into %(number)s") % {"number": data["merged_into"]}
    if data.get("merged"):
        return _("merged %(number)s into this record") % {"number": data["merged"]}
    if data.get("linked"):
        return _("linked %(number)s (%(kind)s)") % {"number": data["linked"], "kind": label}
    if data.get("unlinked"):
        return _("removed the link to %(number)s (%(kind)s)") % {
            "number": data["unlinked"], "kind": label}
    return ""


def _label(choices, value) -> str:
    """The label of ``value`` among ``choices`` (the value itself when unknown)."""
    return str(choices(value).label) if value in choices.values else str(value or "")


def _change_event(data: dict) -> str:
    """Votes, approval steps, tasks and CAB decisions of a change (changes.approvals,
    changes.services)."""

    reason = data.get("reason") if isinstance(data.get("reason"), str) else ""
    if "vote" in data:
        params = {"decision": _label(VoteDecision, data["vote"]),
                  "stage": _label(Stage, data.get("stage")), "round": data.get("round", ""),
                  "reason": reason}
        if reason:
            return _("voted “%(decision)s” (%(stage)s, round %(round)s): %(reason)s") % params
        return _("voted “%(decision)s” (%(stage)s, round %(round)s)") % params
    if "approval_opened" in data:
        return _("approval opened: %(stage)s, round %(round)s") % {
            "stage": _label(Stage, data["approval_opened"]), "round": data.get("round", "")}
    if "approval_decided" in data:
        return _("%(stage)s (round %(round)s) decided: %(outcome)s") % {
            "stage": _label(Stage, data["approval_decided"]), "round": data.get("round", ""),
            "outcome": _label(ApprovalStatus, data.get("outcome"))}
    if "task" in data:
        return _("task “%(task)s”: %(status)s") % {
            "task": data["task"], "status": _label(TaskStatus, data.get("task_status"))}
    if "meeting" in data:
        params = {"meeting": data["meeting"], "reason": reason,
                  "decision": _label(MeetingDecision, data.get("meeting_decision"))}
        if reason:
            return _("CAB meeting “%(meeting)s”: %(decision)s (%(reason)s)") % params
        return _("CAB meeting “%(meeting)s”: %(decision)s") % params
    return ""


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
