"""Workflows declared as data.

A record type declares its statuses (``ColoredTextChoices``: value, badge colour, label)
and the transitions between them: from which statuses, to which status, who may perform
it, which fields it may set and which it requires. ``services.transition_record``
enforces the declaration for every caller (web UI, API, email intake, jobs).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ImproperlyConfigured

from . import access
from .choices import ColoredTextChoices

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User
    from django.utils.functional import Promise

    from .models import Record

#: Actor token: the record's requester (and a customer admin of its organization).
REQUESTER = "record_requester"
#: Actor token: any provider staff member who may write records.
STAFF = "staff"


@dataclass(frozen=True)
class Transition:
    """One allowed move between statuses.

    ``required`` lists fields that must have a value after the transition; an entry
    ``"a|b"`` means at least one of ``a`` and ``b``. ``fields`` are the fields the
    caller may set as part of the transition (e.g. the resolution when resolving).
    ``stamp`` names a datetime field set to the time of the transition.
    """

    name: str
    label: Promise | str
    sources: tuple[str, ...]
    target: str
    actors: frozenset[str]
    fields: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    comment_required: bool = False
    stamp: str = ""
    style: str = "primary"
    #: Performed by the application on a person's decision (e.g. the vote that decides
    #: an approval), never offered to anyone as an action.
    automatic: bool = False

    def allowed_for(self, user: User | AnonymousUser | None, record: Record) -> bool:
        """Whether ``user`` may perform this transition on ``record`` (None = system)."""
        if user is None:
            return True
        if self.automatic or access.is_read_only(user):
            return False
        if STAFF in self.actors and access.is_staff_writer(user):
            return True
        if REQUESTER in self.actors and (
            record.requester_id == user.pk
            or (
                access.has_role(user, "customer_admin")
                and access.organization_of(user) is not None
                and record.organization_id == access.organization_of(user).pk
            )
        ):
            return True
        return bool(access.roles_of(user) & self.actors)

    def missing_fields(self, values: dict[str, Any]) -> list[str]:
        """Required entries without a value; for "a|b" the first alternative is named."""
        missing = []
        for entry in self.required:
            alternatives = entry.split("|")
            if not any(values.get(name) not in (None, "") for name in alternatives):
                missing.append(alternatives[0])
        return missing


@dataclass(frozen=True)
class Workflow:
    """The statuses of one record type and the transitions between them."""

    #: Each status once, with its label and the colour of its badge.
    statuses: type[ColoredTextChoices]
    initial: str
    transitions: tuple[Transition, ...]
    #: Statuses in which the record is finished (no SLA, no editing by requesters).
    final: frozenset[str] = field(default_factory=frozenset)
    #: Statuses in which SLA clocks stand still (waiting for the customer, a third party).
    paused: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if not (isinstance(self.statuses, type) and issubclass(self.statuses, ColoredTextChoices)):
            raise ImproperlyConfigured(
                f"Workflow statuses must be ColoredTextChoices, not {self.statuses!r}")
        known = set(self.statuses.values)
        names = [t.name for t in self.transitions]
        if len(names) != len(set(names)):
            raise ImproperlyConfigured(f"Duplicate transition names in {names}")
        problems = [s for s in [self.initial, *self.final, *self.paused] if s not in known]
        for t in self.transitions:
            problems += [s for s in (*t.sources, t.target) if s not in known]
        if problems:
            raise ImproperlyConfigured(f"Workflow names unknown statuses: {sorted(set(problems))}")

    def get(self, name: str) -> Transition | None:
        return next((t for t in self.transitions if t.name == name), None)

    def from_status(self, status: str) -> Iterable[Transition]:
        return (t for t in self.transitions if status in t.sources)

    def available(self, record: Record, user: User | AnonymousUser | None) -> list[Transition]:
        """Transitions the user may perform on the record in its current status."""
        return [t for t in self.from_status(record.status) if t.allowed_for(user, record)]

    def label(self, status: str) -> str:
        return str(self._labels.get(status, status))

    def color(self, status: str) -> str:
        """The Bootstrap colour of ``status``'s badge (``secondary`` when unknown)."""
        return self.statuses.color_of(status)

    @cached_property
    def _labels(self) -> dict[str, Any]:
        """Status → (lazy, translated when shown) label; lists show it on every row."""
        return dict(self.statuses.choices)
