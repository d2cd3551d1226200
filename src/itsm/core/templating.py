"""Notification templates that a provider's administrators write, rendered in a sandbox.

Template injection is the classic hole of helpdesk templates (``{{ ''.__class__ }}``
walking to ``os.system``, ``{{ settings.SECRET_KEY }}``, a ``'a' * 10**9`` that eats the
worker's memory). The text is Jinja2, and four layers keep it harmless:

1. **An allowlist, checked at save time and again before every render** (so a template
   written straight into the database is refused too): only the placeholders of
   :data:`PLACEHOLDERS`, ``range(…)``, ``loop.index`` and its siblings, the filters of
   :data:`FILTERS` and the tests of :data:`TESTS`; statements ``if`` and ``for`` only
   (no ``set``, ``macro``, ``call``, ``include``, ``import``, ``extends``); no attribute
   access and no method calls.
2. **Jinja2's** ``ImmutableSandboxedEnvironment`` (no unsafe attributes, no mutation of
   lists), with autoescape off: these are plain-text mails and robot messages.
3. **A flat context of strings and numbers** (:func:`record_context`); a model instance
   never reaches a template.
4. **Limits**: source size, placeholder uses, ``range`` length, loop iterations and
   wall-clock time per render, the results of ``*``, ``+``, ``**``, ``join`` and
   ``replace``, and the output size (the body is cut at :data:`MAX_OUTPUT` characters).

:func:`validate_template` turns every problem into a field message (and tries the
template on a sample ticket); :func:`render_template` renders or raises;
:func:`render_notification` never raises: a broken template is logged and the built-in
text goes out instead, so a template can never stop a notification.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Iterable, Iterator
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from jinja2 import TemplateSyntaxError, Undefined, nodes, pass_context
from jinja2.filters import FILTERS as JINJA_FILTERS
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from jinja2.tests import TESTS as JINJA_TESTS

from . import access, objects
from . import rules as perms
from .choices import NotificationEvent, Priority
from .models import NotificationTemplate, display_name
from .text import single_line

logger = logging.getLogger(__name__)

#: Longest subject and body templates (characters of source).
MAX_SUBJECT_SOURCE = 1000
MAX_BODY_SOURCE = 10_000
#: Longest rendered text; a longer body is cut (and refused when saving).
MAX_OUTPUT = 50_000
#: Longest ``range(…)``, loop iterations per render, placeholder uses per template.
MAX_RANGE = 1000
MAX_LOOP_ITERATIONS = 10_000
#: Wall-clock time one render may take (checked at every loop iteration and output).
MAX_RENDER_SECONDS = 1.0
MAX_PLACEHOLDER_USES = 200
#: Largest exponent and integer base of ``**``.
MAX_EXPONENT = 100
MAX_POWER_BASE = 10**6

#: What a template may use, with the description shown next to the editor.
PLACEHOLDERS: dict[str, Any] = {
    "number": gettext_lazy("record number, e.g. REQ-2026-000042"),
    "title": gettext_lazy("title of the record"),
    "status": gettext_lazy("status"),
    "priority": gettext_lazy("priority"),
    "url": gettext_lazy("link to the record"),
    "organization": gettext_lazy("customer organization"),
    "requester": gettext_lazy("requester"),
    "assignee": gettext_lazy("assignee, or the team"),
    "actor": gettext_lazy("who did it (empty for automatic events)"),
    "event": gettext_lazy("name of the event"),
    "due_at": gettext_lazy("due time, YYYY-MM-DD HH:MM"),
    "default_subject": gettext_lazy("the built-in subject of this notification"),
    "default_body": gettext_lazy("the built-in text of this notification"),
}
#: Filters a template may use (``replace`` and ``join`` are size-checked versions).
FILTERS = frozenset({
    "abs", "capitalize", "count", "d", "default", "first", "float", "int", "join", "last",
    "length", "list", "lower", "replace", "reverse", "round", "string", "title", "trim",
    "truncate", "upper", "wordcount",
})
TESTS = frozenset({
    "defined", "undefined", "none", "number", "string", "even", "odd", "divisibleby",
    "eq", "ne", "lt", "le", "gt", "ge", "in", "lower", "upper", "==", "!=", "<", "<=",
    ">", ">=",
})
LOOP_ATTRIBUTES = frozenset({"index", "index0", "revindex", "revindex0", "first", "last",
                             "length", "previtem", "nextitem"})
FUNCTIONS = frozenset({"range", "loop"})

#: Node types of an allowed template; anything else (set, macro, include …) is refused.
_ALLOWED_NODES = frozenset({
    nodes.Template, nodes.Output, nodes.TemplateData, nodes.If, nodes.For, nodes.Name,
    nodes.Const, nodes.Concat, nodes.CondExpr, nodes.And, nodes.Or, nodes.Not,
    nodes.Compare, nodes.Operand, nodes.Filter, nodes.Test, nodes.Call, nodes.Getattr,
    nodes.Getitem, nodes.Slice, nodes.Tuple, nodes.List, nodes.Keyword, nodes.Add,
    nodes.Sub, nodes.Mul, nodes.Div, nodes.FloorDiv, nodes.Mod, nodes.Pow, nodes.Neg,
    nodes.Pos,
})
#: How refused statements are named in messages.
_STATEMENTS = {
    nodes.Assign: "{% set %}", nodes.AssignBlock: "{% set %}", nodes.Macro: "{% macro %}",
    nodes.CallBlock: "{% call %}", nodes.Include: "{% include %}",
    nodes.Import: "{% import %}", nodes.FromImport: "{% from … import %}",
    nodes.Extends: "{% extends %}", nodes.Block: "{% block %}", nodes.With: "{% with %}",
    nodes.FilterBlock: "{% filter %}", nodes.Scope: "{% with %}",
}
#: The context key of the loop budget (not a placeholder: templates cannot name it).
_BUDGET = "itsm_loop_budget"
#: Names a loop variable may not take (Jinja2's own, ours, the placeholders').
_RESERVED = frozenset({"self", "loop", "range", "caller", "varargs", "kwargs", _BUDGET,
                       *PLACEHOLDERS})


class TemplateRefused(Exception):
    """The template breaks a rule of this module; the message says which."""


# --- The sandbox -----------------------------------------------------------------------------


class _EmptyUndefined(Undefined):
    """A missing value renders as empty text; an unsafe attribute still raises."""

    __slots__ = ()

    def _check(self) -> None:
        if self._undefined_exception is SecurityError:
            self._fail_with_undefined_error()

    def __str__(self) -> str:
        self._check()
        return ""

    def __iter__(self) -> Iterator[Any]:
        self._check()
        return iter(())

    def __bool__(self) -> bool:
        self._check()
        return False

    def __len__(self) -> int:
        self._check()
        return 0


def _is_sequence(value: Any) -> bool:
    return isinstance(value, str | list | tuple)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class _Sandbox(ImmutableSandboxedEnvironment):
    """Jinja2's immutable sandbox with size limits on ``*``, ``+`` and ``**``, and no
    printf-style ``%`` on text (``'%*s' % (10**9, '')``)."""

    intercepted_binops = frozenset({"*", "+", "**", "%"})

    def call_binop(self, context, operator: str, left: Any, right: Any) -> Any:
        if operator == "**":
            if (not (_is_number(left) and _is_number(right)) or abs(right) > MAX_EXPONENT
                    or abs(left) > MAX_POWER_BASE):
                raise SecurityError(_("The number is too large."))
        elif operator == "*":
            for seq, times in ((left, right), (right, left)):
                if _is_sequence(seq) and isinstance(times, int) and len(seq) * times > MAX_OUTPUT:
                    raise SecurityError(_("The text would be too long."))
        elif operator == "+":
            if _is_sequence(left) and _is_sequence(right) and len(left) + len(right) > MAX_OUTPUT:
                raise SecurityError(_("The text would be too long."))
        elif operator == "%" and isinstance(left, str):
            raise SecurityError(_("Formatting text with the percent operator is not available; "
                                  "use ~ to join."))
        return super().call_binop(context, operator, left, right)


def _range(*args: int) -> range:
    numbers = range(*args)
    if len(numbers) > MAX_RANGE:
        raise SecurityError(_("range() is limited to %(limit)s numbers.") % {"limit": MAX_RANGE})
    return numbers


def _join(value: Iterable[Any], separator: str = "") -> str:
    items = [str(item) for item in value]
    separator = str(separator)
    if sum(map(len, items)) + len(separator) * max(len(items) - 1, 0) > MAX_OUTPUT:
        raise SecurityError(_("The text would be too long."))
    return separator.join(items)


def _replace(value: Any, old: Any, new: Any, count: int | None = None) -> str:
    text, old, new = str(value), str(old), str(new)
    found = text.count(old) if count is None else min(int(count), text.count(old))
    if len(text) + found * (len(new) - len(old)) > MAX_OUTPUT:
        raise SecurityError(_("The text would be too long."))
    return text.replace(old, new, -1 if count is None else int(count))


class _Budget:
    """What one render may still spend: loop iterations and wall-clock time. Outside
    loops a template's work is bounded by its size, so checking at every iteration
    bounds the whole render."""

    __slots__ = ("deadline", "iterations")

    def __init__(self) -> None:
        self.iterations = MAX_LOOP_ITERATIONS
        self.deadline = time.monotonic() + MAX_RENDER_SECONDS

    def spend(self) -> None:
        self.iterations -= 1
        if self.iterations < 0:
            raise SecurityError(_("The template repeats too often."))
        self.check_time()

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise SecurityError(_("The template takes too long to render."))


@pass_context
def _loop_budget(context, iterable: Iterable[Any]) -> Iterator[Any]:
    """Wrapped around every ``for`` loop by :func:`_compile`."""
    budget = context.get(_BUDGET)
    for item in iterable:
        budget.spend()
        yield item


def _environment() -> _Sandbox:
    env = _Sandbox(autoescape=False, undefined=_EmptyUndefined, keep_trailing_newline=True)
    env.globals = {"range": _range}
    env.filters = {name: JINJA_FILTERS[name] for name in FILTERS}
    env.filters.update(join=_join, replace=_replace, **{_BUDGET: _loop_budget})
    env.tests = {name: JINJA_TESTS[name] for name in TESTS}
    return env


_ENV = _environment()


# --- The allowlist -----------------------------------------------------------------------------


def _node_problem(node: nodes.Node, loop_names: set[str]) -> str | None:
    kind = type(node)
    if kind not in _ALLOWED_NODES:
        what = _STATEMENTS.get(kind, kind.__name__)
        return _("“%(what)s” is not allowed in a notification template.") % {"what": what}
    if kind is nodes.Name and node.ctx != "load":  # a loop variable
        if node.name in _RESERVED or node.name.startswith("_"):
            return _("“%(name)s” cannot be the name of a loop variable.") % {"name": node.name}
    elif kind is nodes.Name:
        if node.name not in PLACEHOLDERS and node.name not in loop_names | FUNCTIONS:
            return (_("Unknown placeholder “%(name)s”; available: %(names)s.")
                    % {"name": node.name, "names": ", ".join(PLACEHOLDERS)})
    elif kind is nodes.Getattr:
        if not (isinstance(node.node, nodes.Name) and node.node.name == "loop"
                and node.attr in LOOP_ATTRIBUTES):
            return (_("“.%(name)s” is not allowed: placeholders have no attributes.")
                    % {"name": node.attr})
    elif kind is nodes.Getitem:
        if not (isinstance(node.arg, nodes.Slice)
                or (isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, int))):
            return _("Only a number or a slice may follow a placeholder in [ ].")
    elif kind is nodes.Call:
        if not (isinstance(node.node, nodes.Name) and node.node.name == "range"
                and not (node.kwargs or node.dyn_args or node.dyn_kwargs)):
            return _("Only range(…) may be called in a notification template.")
    elif kind is nodes.Filter and node.name not in FILTERS:
        return (_("Unknown filter “%(name)s”; available: %(names)s.")
                % {"name": node.name, "names": ", ".join(sorted(FILTERS))})
    elif kind is nodes.Test and node.name not in TESTS:
        return _("Unknown test “%(name)s”.") % {"name": node.name}
    elif kind is nodes.For and node.recursive:
        return _("Recursive loops are not allowed.")
    return None


def template_problems(source: str) -> list[str]:
    """What makes ``source`` unacceptable (empty when it is acceptable); no rendering."""
    try:
        every_node = list(_ENV.parse(source).find_all(nodes.Node))
    except TemplateSyntaxError as exc:
        return [_("Syntax error on line %(line)s: %(message)s")
                % {"line": exc.lineno, "message": exc.message}]
    except RecursionError:
        return [_("The template is nested too deeply.")]
    loop_names = {name.name for loop in every_node if isinstance(loop, nodes.For)
                  for name in [loop.target, *loop.target.find_all(nodes.Name)]
                  if isinstance(name, nodes.Name)}
    problems: list[str] = []
    uses = 0
    for node in every_node:
        uses += isinstance(node, nodes.Name) and node.ctx == "load"
        problem = _node_problem(node, loop_names)
        if problem and problem not in problems:
            problems.append(problem)
    if uses > MAX_PLACEHOLDER_USES:
        problems.append(_("At most %(limit)s placeholders per template.")
                        % {"limit": MAX_PLACEHOLDER_USES})
    return problems


@functools.lru_cache(maxsize=256)
def _compile(source: str):
    """The checked template with every loop wrapped in the iteration budget."""
    tree = _ENV.parse(source)
    for loop in tree.find_all(nodes.For):
        loop.iter = nodes.Filter(loop.iter, _BUDGET, [], [], None, None, lineno=loop.lineno)
    return _ENV.from_string(tree)


def _plain(context: dict[str, Any]) -> dict[str, Any]:
    """Strings and numbers only, each at most MAX_OUTPUT characters."""
    plain: dict[str, Any] = {}
    for name in PLACEHOLDERS:
        value = context.get(name, "")
        if value is None:
            value = ""
        if not _is_number(value):
            value = str(value)[:MAX_OUTPUT]
        plain[name] = value
    return plain


def _render_source(source: str, context: dict[str, Any]) -> tuple[str, bool]:
    """(text, whether it was cut at MAX_OUTPUT); raises on any problem."""
    problems = template_problems(source)
    if problems:
        raise TemplateRefused(" ".join(problems))
    chunks: list[str] = []
    size = 0
    budget = _Budget()
    for chunk in _compile(source).generate({**_plain(context), _BUDGET: budget}):
        budget.check_time()
        chunks.append(chunk)
        size += len(chunk)
        if size > MAX_OUTPUT:
            return "".join(chunks)[:MAX_OUTPUT - 1] + "…", True
    return "".join(chunks), False


def render_template(subject_source: str, body_source: str,
                    context: dict[str, Any]) -> tuple[str, str]:
    """Render subject and body in the sandbox; raises TemplateRefused, SecurityError or
    any Jinja2/Python error. The subject comes back on one line."""
    for source, limit in ((subject_source, MAX_SUBJECT_SOURCE), (body_source, MAX_BODY_SOURCE)):
        if len(source) > limit:
            raise TemplateRefused(_("The template is longer than %(limit)s characters.")
                                  % {"limit": limit})
    subject, _cut = _render_source(subject_source, context)
    body, _cut = _render_source(body_source, context)
    return single_line(subject), body


def render_notification(template, context: dict[str, Any], *, default_subject: str,
                        default_body: str) -> tuple[str, str]:
    """A stored template rendered, or the built-in text when it fails (logged). A blank
    subject or body is replaced by the built-in one."""
    try:
        subject, body = render_template(template.subject_template, template.body_template,
                                        context)
    except Exception:  # a broken template must never stop a notification
        logger.warning("notification template %s (%s, %s) failed; sending the built-in text",
                       template.pk, template.event, template.language, exc_info=True)
        return default_subject, default_body
    return subject or default_subject, body if body.strip() else default_body


# --- Validation and preview --------------------------------------------------------------------


def sample_context(event: str) -> dict[str, Any]:
    """A made-up ticket in the active language, for previews and save-time trials."""
    number = "REQ-2026-000042"
    label = NotificationEvent(event).label if event in NotificationEvent.values else ""
    title = _("The printer on the third floor jams")
    url = "https://itsm.example.cn/requests/42/"
    return {
        "number": number, "title": title, "status": _("Resolved"),
        "priority": str(Priority.IMPORTANT.label), "url": url,
        "organization": _("East China Manufacturing"), "requester": "张伟",
        "assignee": "李娜", "actor": "李娜", "event": str(label),
        "due_at": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
        "default_subject": f"[{number}] {label}",
        "default_body": _("The built-in text of this notification.") + f"\n\n{title}\n{url}",
    }


def _field_errors(source: str, limit: int, context: dict[str, Any]) -> list[str]:
    if len(source) > limit:
        return [_("At most %(limit)s characters (it has %(length)s).")
                % {"limit": limit, "length": len(source)}]
    problems = template_problems(source)
    if problems:
        return problems
    try:
        _text, cut = _render_source(source, context)
    except Exception as exc:  # every failure is a message for the editor
        return [_("The template fails on a sample ticket: %(error)s") % {"error": exc}]
    if cut:
        return [_("The text would be longer than %(limit)s characters.")
                % {"limit": MAX_OUTPUT}]
    return []


def validate_template(subject_source: str, body_source: str, *, event: str = "",
                      language: str | None = None) -> None:
    """Raise ValidationError with messages for ``subject_template`` / ``body_template``
    when either breaks a rule or fails on the sample ticket."""
    # The sample ticket speaks the template's language; the messages the editor's.
    with translation.override(language or translation.get_language()):
        context = sample_context(event)
    errors = {
        "subject_template": _field_errors(subject_source or "", MAX_SUBJECT_SOURCE, context),
        "body_template": _field_errors(body_source or "", MAX_BODY_SOURCE, context),
    }
    errors = {name: messages for name, messages in errors.items() if messages}
    if errors:
        raise ValidationError(errors)


def preview(subject_source: str, body_source: str, *, event: str,
            language: str) -> dict[str, str]:
    """The template rendered against the sample ticket in ``language``; raises
    ValidationError like :func:`validate_template`."""
    validate_template(subject_source, body_source, event=event, language=language)
    with translation.override(language):
        subject, body = render_template(subject_source, body_source, sample_context(event))
    return {"subject": subject, "body": body}


def record_context(event: str, record=None, *, actor=None, default_subject: str = "",
                   default_body: str = "", url: str = "") -> dict[str, Any]:
    """The flat context of a notification about ``record``, in the active language."""
    context: dict[str, Any] = dict.fromkeys(PLACEHOLDERS, "")
    context.update(
        event=str(NotificationEvent(event).label) if event in NotificationEvent.values else "",
        actor=display_name(actor) if actor is not None else "",
        default_subject=default_subject, default_body=default_body, url=url)
    if record is None:
        return context
    assignee = display_name(record.assignee) if getattr(record, "assignee_id", None) else ""
    if not assignee and getattr(record, "assignee_team_id", None):
        assignee = record.assignee_team.name
    due_at = getattr(record, "due_at", None)
    context.update(
        number=getattr(record, "number", "") or "",
        title=getattr(record, "title", "") or "",
        status=getattr(record, "status_label", "") or "",
        priority=record.get_priority_display() if hasattr(record, "get_priority_display")
        else "",
        organization=record.organization.name if getattr(record, "organization_id", None)
        else "",
        requester=display_name(record.requester) if getattr(record, "requester_id", None)
        else "",
        assignee=assignee,
        due_at=timezone.localtime(due_at).strftime("%Y-%m-%d %H:%M") if due_at else "",
    )
    return context


# --- Saving templates (administrators of the provider) -------------------------------------


def may_manage_templates(user) -> bool:
    """Administrators of a provider write its templates; its other staff read them."""
    return access.is_provider_staff(user) and perms.can_manage_master_data(user)


def _require_admin(actor, provider_id: int | None) -> None:
    if actor is None:
        return
    if not may_manage_templates(actor) or provider_id != access.provider_id_of(actor):
        raise PermissionDenied(_("Only administrators of the provider may change "
                                 "notification templates."))


#: The fields a caller may set; the provider comes from the actor.
TEMPLATE_FIELDS = ("event", "language", "subject_template", "body_template", "is_active")


@transaction.atomic
def save_template(template, *, actor, data: dict[str, Any]):
    """Create (``template`` None) or change a notification template; validated in the
    sandbox, audited. New templates belong to the actor's provider (``data["provider"]``
    when the system itself writes)."""
    if template is not None:
        provider_id = template.provider_id
    elif actor is not None:
        provider_id = access.provider_id_of(actor)
    else:
        provider_id = getattr(data.get("provider"), "pk", None)
    _require_admin(actor, provider_id)
    values = {name: data[name] for name in TEMPLATE_FIELDS if name in data}
    values["updated_by"] = actor
    if template is None:
        values["provider_id"] = provider_id

    def clean(candidate: NotificationTemplate) -> None:
        candidate.full_clean()
        validate_template(candidate.subject_template, candidate.body_template,
                          event=candidate.event, language=candidate.language)

    try:
        with transaction.atomic():
            return objects.save_object(template or NotificationTemplate, actor=actor,
                                       data=values, clean=clean)
    except IntegrityError as exc:  # two administrators racing for the same slot
        raise ValidationError(_("There is already a template for this event and "
                                "language.")) from exc


def delete_template(template, *, actor) -> None:
    """Delete a template (the built-in text applies again); audited."""
    _require_admin(actor, template.provider_id)
    objects.delete_object(template, actor=actor)
