"""Ordered reactions to the record signals: the one place that says what happens, in
which order, when a record is created, updated, moved along its workflow or commented on.

Django runs a signal's receivers in the order they were connected, that is in the order
in which modules happened to be imported. For the record signals of ``core.signals``
that order matters, so it is declared here instead, as a :class:`Sequence` of named
steps per signal:

- ``record_preparing``: ``defaults`` (a new ticket's priority from its impact and
  urgency, unless the caller chose one) → ``request_type`` (a request's catalogue type
  and the values of its own fields checked); ``record_inserting``: ``clocks`` (its SLA
  policy and due times, so the insert carries them).
- ``record_created``: ``clocks`` → ``request_type`` → ``assignment`` →
  ``major_incident`` → ``notifications``. A new ticket's SLA clocks are stored before
  anything moves it; a request of a catalogue type waits for its approvals before it is
  assigned (or gets its fulfilment tasks); it is assigned before the major-incident
  rule runs, so that the major incident inherits the team; people are told last, so
  that notification templates show the assignee and the due time
  (``core.templating.record_context``).
- ``record_updated``: ``clocks``.
- ``record_transitioned``: ``clocks`` → ``approvals`` → ``notifications``. Clocks move
  (and the due time with them) before anyone is told; what the application does in
  consequence (a change's approval round, its automatic approval) precedes the telling
  too.
- ``comment_added``: ``resume`` → ``clocks`` → ``notifications``. The requester's reply
  resumes a ticket waiting for them, the first public reply stops the response clock,
  then people are told.

Apps attach their reactions to a step in their ``receivers.py``, bound to concrete
senders, as with ``@receiver``::

    @reaction(signals.record_created, "assignment", sender=(ServiceRequest, Incident))
    def assign_new_ticket(sender, record, actor=None, **kwargs) -> None: ...

Dispatch: each sequence is the only Django receiver of its signal (``core.receivers``
connects it). When the signal is sent it calls the sender's reactions step by step, in
the declared order. A step takes at most one reaction per sender, so neither import
order nor registration order can change what runs when. A reaction for a step that is
not declared, for a signal without a sequence, for an abstract model or for no sender at
all is refused at import (``ImproperlyConfigured``). Reactions are ordinary receivers
otherwise: the same keyword arguments, the same transaction, and an exception
propagates and stops the reactions after it (as in ``Signal.send``).

A new step goes into its sequence below, where it belongs, with its reason in the list
above; ``core/tests/test_reactions.py`` checks that the declared order is the order in
which the steps run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.dispatch import Signal

from . import signals

Receiver = Callable[..., Any]


@dataclass
class Reaction:
    """What one step of a sequence does for one sender."""

    step: str
    sender: type
    func: Receiver

    @property
    def name(self) -> str:
        return f"{self.func.__module__}.{self.func.__qualname__}"


class Sequence:
    """The ordered steps reacting to one signal, and the reactions registered for them."""

    def __init__(self, name: str, signal: Signal, steps: Iterable[str]) -> None:
        self.name = name
        self.signal = signal
        self.steps = tuple(steps)
        if len(set(self.steps)) != len(self.steps):
            raise ImproperlyConfigured(f"{name}: a step is declared twice in {self.steps}")
        self._reactions: dict[str, dict[type, Reaction]] = {step: {} for step in self.steps}

    def __repr__(self) -> str:
        return f"<Sequence {self.name}: {' → '.join(self.steps)}>"

    def register(self, step: str, sender: type | Iterable[type], func: Receiver) -> None:
        """Make ``func`` the reaction of ``step`` for ``sender`` (a model or several)."""
        if step not in self._reactions:
            raise ImproperlyConfigured(
                f"{self.name} has no step {step!r}; declared: {', '.join(self.steps)} "
                f"(core.reactions)")
        for model in _senders(sender):
            new = Reaction(step, model, func)
            old = self._reactions[step].get(model)
            if old is not None and old.name != new.name:
                raise ImproperlyConfigured(
                    f"{self.name}: step {step!r} for {model.__name__} is {old.name} already; "
                    f"{new.name} needs a step of its own (core.reactions)")
            self._reactions[step][model] = new

    def reactions(self, sender: type) -> list[Reaction]:
        """The reactions to ``sender``'s signal, in the order they run."""
        return [r for step in self.steps if (r := self._reactions[step].get(sender))]

    def senders(self) -> set[type]:
        """Every sender with at least one reaction."""
        return {model for by_sender in self._reactions.values() for model in by_sender}

    def dispatch(self, sender: type, **kwargs: Any) -> None:
        """The receiver of the signal: the sender's reactions, in the declared order."""
        for reaction in self.reactions(sender):
            reaction.func(sender=sender, **kwargs)

    def connect(self) -> None:
        """Make this sequence a receiver of its signal (``core.receivers`` does, once)."""
        self.signal.connect(self.dispatch, weak=False,
                            dispatch_uid=f"itsm.core.reactions.{self.name}")


def _senders(sender: type | Iterable[type]) -> list[type]:
    models = [sender] if isinstance(sender, type) else list(sender or ())
    if not models:
        raise ImproperlyConfigured("A reaction needs a sender (a concrete model).")
    for model in models:
        meta = getattr(model, "_meta", None)
        if not isinstance(model, type) or meta is None or meta.abstract:
            raise ImproperlyConfigured(
                f"A reaction's sender must be a concrete model, not {model!r}.")
    return models


RECORD_PREPARING = Sequence("record_preparing", signals.record_preparing,
                            ["defaults", "request_type"])
RECORD_INSERTING = Sequence("record_inserting", signals.record_inserting, ["clocks"])
RECORD_CREATED = Sequence("record_created", signals.record_created,
                          ["clocks", "request_type", "assignment", "major_incident",
                           "notifications"])
RECORD_UPDATED = Sequence("record_updated", signals.record_updated, ["clocks"])
RECORD_TRANSITIONED = Sequence("record_transitioned", signals.record_transitioned,
                               ["clocks", "approvals", "notifications"])
COMMENT_ADDED = Sequence("comment_added", signals.comment_added,
                         ["resume", "clocks", "notifications"])

#: Every sequence, by the signal it orders.
SEQUENCES: dict[Signal, Sequence] = {
    s.signal: s for s in (RECORD_PREPARING, RECORD_INSERTING, RECORD_CREATED, RECORD_UPDATED,
                          RECORD_TRANSITIONED, COMMENT_ADDED)
}


def reaction(signal: Signal, step: str, *, sender: type | Iterable[type]
             ) -> Callable[[Receiver], Receiver]:
    """Decorator: ``func`` reacts to ``signal`` sent by ``sender`` (a model or several)
    as the step ``step`` of the signal's sequence."""
    sequence = SEQUENCES.get(signal)
    if sequence is None:
        raise ImproperlyConfigured(f"{signal!r} has no sequence in core.reactions.")

    def register(func: Receiver) -> Receiver:
        sequence.register(step, sender, func)
        return func

    return register
