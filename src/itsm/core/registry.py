"""The registry every app declares itself in: record types and menu entries.

An app declares what it brings in its ``registrations`` module (imported by
``CoreConfig.ready`` with the app's ``receivers`` and ``checks``); the project derives
from the registry what used to be edited by hand in shared files:

- the navigation (``ui.context_processors.navigation``): one menu per group, each entry
  shown only to the people its ``visible`` predicate admits, in ``order``;
- the URL map (``itsm.urls``) includes every installed app's ``urls`` and ``api.urls``
  module, so a new app needs no edit there;
- the global search (``core.global_search``) looks through every searchable record
  type its reader's menu shows;
- tests (the access matrix) read the record types from here.

A record type is registered with ``register_record_type`` (its menu entry comes with
it); any other page with ``register_menu_item``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from .models import Record
from . import access

Predicate = Callable[[Any], bool]

#: The menus of the navigation bar, in order: key → label.
NAV_GROUPS: dict[str, Promise] = {
    "service_desk": _("Service desk"),
    "knowledge": _("Knowledge"),
    "problems_changes": _("Problems & changes"),
    "configuration": _("Configuration"),
    "quality": _("Quality"),
    "security": _("Security"),
    "people": _("People"),
    "settings": _("Settings"),
}


def everyone(user) -> bool:
    return user is not None and user.is_authenticated


def provider_staff(user) -> bool:
    return access.is_provider_staff(user)


@dataclass(frozen=True)
class MenuItem:
    """One entry of a menu: ``url_name`` reversed without arguments; ``customer_label``
    replaces the label for people who are not provider staff ("My requests")."""

    group: str
    label: Promise | str
    url_name: str
    visible: Predicate = provider_staff
    order: int = 100
    key: str = ""
    customer_label: Promise | str | None = None

    def label_for(self, staff: bool) -> Promise | str:
        return self.label if staff or self.customer_label is None else self.customer_label


@dataclass(frozen=True)
class ListColumn:
    """A column a record type adds to its staff list, after the priority: the model
    field ``key`` (its choice label, a local time, or the value), or what ``value``
    makes of the record."""

    key: str
    label: Promise | str
    value: Callable[[Any], Any] | None = None


@dataclass(frozen=True)
class RecordType:
    """A record type of an app: its model, where its pages are, who sees it.

    Its URL names come from the model's ``url_prefix`` (``problems:problem`` →
    ``problems:problem-list``, …, as ``core.views.record_urls`` makes them); ``key``, the
    model name, is the basename of its API routes (``api:problem-list``).
    ``searchable``: the global search (``core.global_search``) looks through it.
    """

    model: type[Record]
    menu: MenuItem | None = None
    searchable: bool = True
    columns: tuple[ListColumn, ...] = ()

    @property
    def key(self) -> str:
        return self.model._meta.model_name

    def url_name(self, view: str) -> str:
        return f"{self.model.url_prefix}-{view}"

    def visible(self, user) -> bool:
        """Whether ``user`` may use the type's pages: its menu entry's predicate; a type
        without one is for provider staff only."""
        return (self.menu.visible if self.menu is not None else provider_staff)(user)

    def label_for(self, user) -> Promise | str:
        """The name of the type as ``user``'s menu shows it ("My requests" for a customer)."""
        if self.menu is None:
            return capfirst(self.model._meta.verbose_name_plural)

        return capfirst(self.menu.label_for(access.is_provider_staff(user)))


_RECORD_TYPES: dict[str, RecordType] = {}
_MENU: list[MenuItem] = []


def register_record_type(model: type[Record], *, group: str | None = None,
                         label: Promise | str | None = None,
                         customer_label: Promise | str | None = None,
                         visible: Predicate = provider_staff, order: int = 100,
                         menu_key: str = "", searchable: bool = True,
                         columns: tuple[ListColumn, ...] = ()) -> RecordType:
    """Declare a record type; with a ``group``, its list is an entry of that menu
    (``menu_key`` names the entry, ``nav-<key>`` in the page; by default the last part of
    the model's ``url_prefix`` with an "s": ``problems``).
    ``searchable=False`` keeps it out of the global search (its list still searches);
    ``columns`` are the type's own columns of its staff list."""
    record_type = RecordType(model=model, searchable=searchable, columns=columns)
    if group is not None:
        name = model.url_prefix.rpartition(":")[2]
        record_type = RecordType(model=model, searchable=searchable, columns=columns,
                                 menu=register_menu_item(
            group, label or model._meta.verbose_name_plural, record_type.url_name("list"),
            visible=visible, order=order, key=menu_key or f"{name}s",
            customer_label=customer_label))
    _RECORD_TYPES[record_type.key] = record_type
    return record_type


def register_menu_item(group: str, label: Promise | str, url_name: str, *,
                       visible: Predicate = provider_staff, order: int = 100,
                       key: str = "", customer_label: Promise | str | None = None
                       ) -> MenuItem:
    """Declare a page of a menu (``group`` is a key of ``NAV_GROUPS``)."""
    if group not in NAV_GROUPS:
        raise ValueError(f"Unknown menu {group!r}: one of {', '.join(NAV_GROUPS)}")
    item = MenuItem(group=group, label=label, url_name=url_name, visible=visible,
                    order=order, key=key or url_name.rpartition(":")[2].removesuffix("-list"),
                    customer_label=customer_label)
    _MENU[:] = [i for i in _MENU if i.key != item.key] + [item]
    return item


def record_types() -> list[RecordType]:
    """Every registered record type, in registration (app) order."""
    return list(_RECORD_TYPES.values())


def record_type_of(model: type) -> RecordType | None:
    return _RECORD_TYPES.get(model._meta.model_name)


@dataclass(frozen=True)
class Menu:
    key: str
    label: Promise | str
    entries: list[tuple[str, Promise | str, str]]  # (key, label, url)


def menus_for(user) -> list[Menu]:
    """The menus ``user`` sees, each with the entries they may use, in order."""

    staff = access.is_provider_staff(user)
    menus = []
    for group, label in NAV_GROUPS.items():
        entries = []
        for item in sorted((i for i in _MENU if i.group == group), key=lambda i: i.order):
            if not item.visible(user):
                continue
            try:
                url = reverse(item.url_name)
            except NoReverseMatch:  # an app whose URLs are not installed
                continue
            entries.append((item.key, capfirst(item.label_for(staff)), url))
        if entries:
            menus.append(Menu(group, label, entries))
    return menus


# --- The workspace: home-page widgets and the inbox ----------------------------------


@dataclass(frozen=True)
class Widget:
    """A card of the home page (工作台).

    ``context(user)`` returns what ``template`` renders, with a fixed number of queries
    whatever the amount of data, or None when the card has nothing to say now (it is
    left out: a banner); the card is shown to the people ``visible`` admits,
    in ``order``, ``width`` columns of twelve on a wide screen (full width on a phone).
    """

    key: str
    title: Promise | str
    template: str
    context: Callable[[Any], dict[str, Any] | None]
    visible: Predicate
    order: int = 100
    width: int = 6


@dataclass(frozen=True)
class InboxItem:
    """One thing waiting for a person: what it is, the record it is about, since when
    and (when it has one) by when."""

    kind: Promise | str
    title: str
    url: str
    number: str = ""
    since: Any = None
    due: Any = None


@dataclass(frozen=True)
class InboxSource:
    """A kind of work an app puts in people's inbox (我的待办).

    ``items(user, limit)`` returns how many such things wait for ``user`` and the first
    ``limit`` of them (most pressing first), with a fixed number of queries.
    """

    key: str
    label: Promise | str
    items: Callable[[Any, int], tuple[int, list[InboxItem]]]
    visible: Predicate = provider_staff
    order: int = 100


_WIDGETS: dict[str, Widget] = {}
_INBOX: dict[str, InboxSource] = {}
_RECORD_ACTIONS: dict[str, RecordAction] = {}


@dataclass(frozen=True)
class RecordAction:
    """A link an app adds to the pages of other apps' records, beside Edit and Delete
    ("Complain about this ticket"): ``url(record, user)`` is its address, or None where
    it is not for this person and record."""

    key: str
    label: Promise | str
    url: Callable[[Any, Any], str | None]
    models: frozenset[str]
    order: int = 100


def register_record_action(key: str, label: Promise | str,
                           url: Callable[[Any, Any], str | None], *,
                           models: Iterable[type], order: int = 100) -> RecordAction:
    """Declare a link on the record pages of ``models`` (see :class:`RecordAction`)."""
    action = RecordAction(key=key, label=label, url=url, order=order,
                          models=frozenset(m._meta.label_lower for m in models))
    _RECORD_ACTIONS[key] = action
    return action


def record_actions_for(record, user) -> list[tuple[str, Promise | str, str]]:
    """(key, label, url) of the links other apps add to ``record``'s page for ``user``."""
    actions = sorted((a for a in _RECORD_ACTIONS.values()
                      if record._meta.label_lower in a.models), key=lambda a: (a.order, a.key))
    return [(a.key, a.label, url) for a in actions if (url := a.url(record, user))]


def register_widget(key: str, title: Promise | str, template: str,
                    context: Callable[[Any], dict[str, Any] | None], *, visible: Predicate,
                    order: int = 100, width: int = 6) -> Widget:
    """Declare a home-page card (see :class:`Widget`)."""
    widget = Widget(key=key, title=title, template=template, context=context,
                    visible=visible, order=order, width=width)
    _WIDGETS[key] = widget
    return widget


def register_inbox_source(key: str, label: Promise | str,
                          items: Callable[[Any, int], tuple[int, list[InboxItem]]], *,
                          visible: Predicate = provider_staff, order: int = 100
                          ) -> InboxSource:
    """Declare a kind of work of the inbox (see :class:`InboxSource`)."""
    source = InboxSource(key=key, label=label, items=items, visible=visible, order=order)
    _INBOX[key] = source
    return source


def widgets_for(user) -> list[Widget]:
    """The home-page cards ``user`` sees, in order."""
    return sorted((w for w in _WIDGETS.values() if w.visible(user)),
                  key=lambda w: (w.order, w.key))


def inbox_sources_for(user) -> list[InboxSource]:
    """The kinds of work that may wait for ``user``, in order."""
    return sorted((s for s in _INBOX.values() if s.visible(user)),
                  key=lambda s: (s.order, s.key))


def role_predicate(*roles: str, staff: bool = True) -> Predicate:
    """Whether a person holds one of ``roles`` (as provider staff unless ``staff`` is
    False): the usual ``visible`` of a widget or an inbox source."""

    def visible(user) -> bool:
        return (everyone(user) and access.has_role(user, *roles)
                and (not staff or access.is_provider_staff(user)))

    return visible


# --- Parts other apps add to a record's pages ----------------------------------------


@dataclass(frozen=True)
class RecordPanel:
    """A part an app adds to the detail pages of other apps' records ("Knowledge that
    may help" on a ticket): ``panel(record, user)`` returns a ``core.views.Panel`` or
    None where it has nothing for this person and record."""

    key: str
    panel: Callable[[Any, Any], Any]
    models: frozenset[str]
    order: int = 100


@dataclass(frozen=True)
class FormPanel:
    """A part an app adds to the create form of other apps' records (suggestions while
    a customer types a request): ``template`` is included below the form's fields for
    the people ``visible`` admits; it finds the form as ``form`` and the model's label
    (``servicedesk.servicerequest``) as ``form_model``."""

    key: str
    template: str
    models: frozenset[str]
    visible: Predicate = everyone
    order: int = 100


_RECORD_PANELS: dict[str, RecordPanel] = {}
_FORM_PANELS: dict[str, FormPanel] = {}


def register_record_panel(key: str, panel: Callable[[Any, Any], Any], *,
                          models: Iterable[type], order: int = 100) -> RecordPanel:
    """Declare a panel on the detail pages of ``models`` (see :class:`RecordPanel`)."""
    item = RecordPanel(key=key, panel=panel, order=order,
                       models=frozenset(m._meta.label_lower for m in models))
    _RECORD_PANELS[key] = item
    return item


def record_panels_for(record, user) -> list[Any]:
    """The panels other apps add to ``record``'s page for ``user``, in order."""
    items = sorted((p for p in _RECORD_PANELS.values()
                    if record._meta.label_lower in p.models), key=lambda p: (p.order, p.key))
    return [panel for p in items if (panel := p.panel(record, user)) is not None]


def register_form_panel(key: str, template: str, *, models: Iterable[type],
                        visible: Predicate = everyone, order: int = 100) -> FormPanel:
    """Declare a part of the create form of ``models`` (see :class:`FormPanel`)."""
    item = FormPanel(key=key, template=template, visible=visible, order=order,
                     models=frozenset(m._meta.label_lower for m in models))
    _FORM_PANELS[key] = item
    return item


def form_panels_for(model: type, user) -> list[str]:
    """The templates other apps add to the create form of ``model`` for ``user``."""
    label = model._meta.label_lower
    return [p.template for p in sorted(_FORM_PANELS.values(), key=lambda p: (p.order, p.key))
            if label in p.models and p.visible(user)]
