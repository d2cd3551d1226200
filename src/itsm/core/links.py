"""Links between records of any type, and finding a record by its number.

Every record type links to every other (a ticket related to a change, an incident
caused by a problem …): links, their timeline events and audit entries, and the look-up
of a record by number or type and id, scoped to the person asking.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from . import access, audit, services
from . import rules as perms
from .choices import AuditAction, LinkKind, TimelineKind
from .models import Record, RecordLink

# --- Finding records by type or number -------------------------------------------------------


def record_models() -> dict[str, type[Record]]:
    """Every concrete record type by model name (``servicerequest``, ``incident`` …)."""
    return {m._meta.model_name: m for m in apps.get_models() if issubclass(m, Record)}


def model_for_number(number: str) -> type[Record] | None:
    prefix = (number or "").split("-", 1)[0].upper()
    return next((m for m in record_models().values() if m.number_prefix == prefix), None)


def find_visible_record(user, *, number: str | None = None, type_name: str | None = None,
                        pk: int | None = None) -> Record | None:
    """A record the user may see, named by its number or by type and id."""
    if number:
        model = model_for_number(number)
        lookup = {"number": number.strip().upper()}
    else:
        model = record_models().get((type_name or "").lower())
        lookup = {"pk": pk}
    if model is None or not any(v not in (None, "") for v in lookup.values()):
        return None
    return model.objects.visible_to(user).filter(**lookup).first()


# --- Links between records ------------------------------------------------------------------


def _ct(record: Record) -> ContentType:
    return ContentType.objects.get_for_model(type(record))


def require_staff_writer(actor, message: str) -> None:
    if actor is not None and not access.is_staff_writer(actor):
        raise PermissionDenied(message)


def links_of(record: Record):
    """Links with ``record`` on either side (a queryset of RecordLink)."""
    ct = _ct(record)
    return RecordLink.objects.filter(Q(source_type=ct, source_id=record.pk)
                                     | Q(target_type=ct, target_id=record.pk))


@dataclass(frozen=True)
class LinkedRecord:
    """One link seen from ``record``: the record at the other end and the direction."""

    link: RecordLink
    other: Record
    outgoing: bool

    @property
    def kind_label(self) -> str:
        return str(LinkKind(self.link.kind).label) if self.link.kind in LinkKind.values \
            else self.link.kind


def linked_records(record: Record, user) -> list[LinkedRecord]:
    """The links of ``record`` whose other record ``user`` may see (one query per type)."""
    ct = _ct(record)
    links = list(links_of(record).order_by("created_at", "id"))
    wanted: dict[int, set[int]] = {}
    ends = []
    for link in links:
        outgoing = link.source_type_id == ct.pk and link.source_id == record.pk
        other = (link.target_type_id, link.target_id) if outgoing else (
            link.source_type_id, link.source_id)
        wanted.setdefault(other[0], set()).add(other[1])
        ends.append((link, other, outgoing))
    visible: dict[tuple[int, int], Record] = {}
    for type_id, ids in wanted.items():
        model = ContentType.objects.get_for_id(type_id).model_class()
        if model is None or not issubclass(model, Record):
            continue
        for other in model.objects.visible_to(user).filter(pk__in=ids):
            visible[(type_id, other.pk)] = other
    return [LinkedRecord(link, visible[other], outgoing)
            for link, other, outgoing in ends if other in visible]


def link_exists(a: Record, b: Record, kind: str) -> bool:
    ca, cb = _ct(a), _ct(b)
    return RecordLink.objects.filter(
        Q(source_type=ca, source_id=a.pk, target_type=cb, target_id=b.pk)
        | Q(source_type=cb, source_id=b.pk, target_type=ca, target_id=a.pk),
        kind=kind).exists()


def _link_events(a: Record, b: Record, actor, *, key: str, kind: str) -> None:
    """Internal timeline events on both records (their numbers may be news to a
    customer who cannot see the other record)."""
    services.add_timeline_event(a, TimelineKind.UPDATED, actor=actor, internal=True,
                                fields=[], **{key: b.number}, link_kind=kind)
    services.add_timeline_event(b, TimelineKind.UPDATED, actor=actor, internal=True,
                                fields=[], **{key: a.number}, link_kind=kind)


@transaction.atomic
def link_records(a: Record, b: Record, *, kind: str = LinkKind.RELATED, actor) -> RecordLink:
    """Link ``a`` to ``b`` (``a`` is *kind* ``b``, e.g. a duplicate of it).

    Service staff only; both records must be visible to the actor, different, and not
    linked with this kind yet (in either direction).
    """
    require_staff_writer(actor, _("Only service staff may link records."))
    if kind not in LinkKind.values:
        raise ValidationError({"kind": _("Choose one of: %(kinds)s.")
                               % {"kinds": ", ".join(LinkKind.values)}})
    if actor is not None and not (perms.can_view_record(actor, a)
                                  and perms.can_view_record(actor, b)):
        raise ValidationError({"target": _("Choose a record you can see.")})
    if type(a) is type(b) and a.pk == b.pk:
        raise ValidationError({"target": _("A record cannot be linked to itself.")})
    if link_exists(a, b, kind):
        raise ValidationError({"target": _("%(a)s and %(b)s are already linked as “%(kind)s”.")
                               % {"a": a.number, "b": b.number,
                                  "kind": LinkKind(kind).label}})
    link = RecordLink.objects.create(source_type=_ct(a), source_id=a.pk, target_type=_ct(b),
                                     target_id=b.pk, kind=kind, created_by=actor)
    audit.log(action=AuditAction.CREATE, instance=link, actor=actor,
              changes={"source": a.number, "target": b.number, "kind": kind},
              organization_id=a.organization_id)
    _link_events(a, b, actor, key="linked", kind=kind)
    return link


@transaction.atomic
def unlink_records(link: RecordLink, *, actor) -> None:
    """Remove a link (service staff who can see both records)."""
    require_staff_writer(actor, _("Only service staff may remove links."))
    link = RecordLink.objects.select_for_update().get(pk=link.pk)
    a, b = link.source, link.target
    if a is None or b is None or (actor is not None and not (
            perms.can_view_record(actor, a) and perms.can_view_record(actor, b))):
        raise ValidationError(_("This link cannot be removed."))
    audit.log(action=AuditAction.DELETE, instance=link, actor=actor,
              changes={"source": [a.number, None], "target": [b.number, None],
                       "kind": [link.kind, None]},
              organization_id=a.organization_id)
    link.delete()
    _link_events(a, b, actor, key="unlinked", kind=link.kind)
