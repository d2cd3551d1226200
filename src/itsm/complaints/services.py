"""The complaint write path: raising a complaint (about a ticket or a change), taking it,
telling management of a major complaint, opening an improvement action from complaints
sharing a cause, and the master data (cause categories, clock policies).

Moving a complaint along its workflow is ``core.services.transition_record``: the
workflow names who may do what (designated handlers; the complainant's side accepts,
rejects or withdraws).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from itsm.core import access, links, objects, services
from itsm.core import rules as perms
from itsm.core.choices import LinkKind, NotificationEvent, Role
from itsm.core.models import Record
from itsm.core.notifications import absolute, by_language, notify

from .choices import HANDLER_ROLES, ComplaintChannel
from .clocks import management_of
from .models import CauseCategory, Complaint, ComplaintPolicy, ImprovementAction

#: Roles that may open improvement actions and read the complaint reports.
QUALITY_ROLES = (Role.QUALITY_MANAGER, Role.MANAGEMENT, *HANDLER_ROLES)


def is_handler(user) -> bool:
    """A designated complaint handler (or an administrator) of a provider."""
    return access.is_provider_staff(user) and bool(access.roles_of(user) & HANDLER_ROLES)


def may_manage(user) -> bool:
    """Quality managers, management, handlers and administrators: reports, improvement
    actions, the handling assessment."""
    return access.is_provider_staff(user) and access.has_role(user, *QUALITY_ROLES)


@transaction.atomic
def create_complaint(*, actor, data: dict[str, Any], about: Iterable[Record] = ()
                     ) -> Complaint:
    """Register a complaint (any channel) and link it to the records it is about (a ticket
    the complainant sees, e.g. "complain about this ticket")."""
    about = list(about)
    for record in about:
        if actor is not None and not perms.can_view_record(actor, record):
            raise ValidationError({"about": _("Choose a record you can see.")})
    data = dict(data)
    data.setdefault("received_at", timezone.now())
    if actor is not None and not access.is_provider_staff(actor):
        # Customers raise complaints in the portal (or by mail: ``create_from_mail``).
        data["channel"] = (ComplaintChannel.EMAIL if data.get("channel") == ComplaintChannel.EMAIL
                           else ComplaintChannel.PORTAL)
    complaint = services.create_record(Complaint, actor=actor, data=data)
    for record in about:
        links.link_records(complaint, record, kind=LinkKind.RELATED, actor=None)
    return complaint


def create_from_mail(person, data: dict[str, Any]) -> Complaint:
    """A complaint from mail sent to the complaints address (``servicedesk.mailintake``)."""
    return create_complaint(actor=person, data={**data, "channel": ComplaintChannel.EMAIL})


@transaction.atomic
def take_complaint(complaint: Complaint, *, actor) -> Complaint:
    """The handler takes the complaint (becomes its assignee)."""
    if not is_handler(actor):
        raise PermissionDenied(_("Only designated complaint handlers may take complaints."))
    return services.update_record(complaint, actor=actor, changes={"assignee": actor})


def notify_major(complaint: Complaint, actor) -> None:
    """A major complaint: management (email, in-app) and the provider's robot channels
    hear of it at once, each person in their own language."""
    groups = by_language(management_of(complaint)) or {settings.LANGUAGE_CODE: []}
    for language, people in groups.items():
        with translation.override(language):
            subject = _("[%(number)s] Major complaint: %(title)s") % {
                "number": complaint.number, "title": complaint.title}
            body = _("A major complaint from %(org)s was registered. Follow it at %(url)s.") % {
                "org": complaint.organization.name,
                "url": absolute(complaint.get_absolute_url())}
            notify(NotificationEvent.MAJOR_INCIDENT, record=complaint, recipients=people,
                   subject=subject, body=body, organization_id=complaint.organization_id,
                   language=language, actor=actor,
                   dedupe_key=f"major-complaint:{complaint.pk}:{language}")


@transaction.atomic
def open_improvement_action(complaints: Iterable[Complaint], *, actor,
                            data: dict[str, Any]) -> ImprovementAction:
    """An improvement action for complaints sharing a cause, linked to each of them."""
    complaints = list(complaints)
    if actor is not None and not may_manage(actor):
        raise PermissionDenied(_("Only quality managers, management and complaint handlers "
                                 "may open improvement actions."))
    if not complaints:
        raise ValidationError({"complaints": _("Choose at least one complaint.")})
    providers = {c.provider_id for c in complaints}
    if len(providers) != 1 or (actor is not None
                               and providers != {access.provider_id_of(actor)}):
        raise ValidationError({"complaints": _("Choose complaints of your own customers.")})
    data = dict(data)
    data.setdefault("organization", complaints[0].organization.provider
                    or complaints[0].organization)
    data.setdefault("requester", actor)
    causes = {c.cause_category_id for c in complaints if c.cause_category_id}
    if "cause_category" not in data and len(causes) == 1:
        data["cause_category"] = complaints[0].cause_category
    action = services.create_record(ImprovementAction, actor=actor, data=data)
    for complaint in complaints:
        links.link_records(action, complaint, kind=LinkKind.RELATED, actor=None)
    return action


# --- Master data ---------------------------------------------------------------------------


def may_read_settings(user) -> bool:
    """Who reads the cause categories and clock policies: those who may manage complaints,
    and the auditor, who reads everything of the provider."""
    return may_manage(user) or (access.is_provider_staff(user) and access.is_read_only(user))


def may_change_settings(user, setting: CauseCategory | ComplaintPolicy | None = None) -> bool:
    """Administrators of a provider change its complaint settings; a given ``setting``
    must be their provider's own: the shared defaults (no provider) serve every provider
    and are read-only to each."""
    return (access.is_provider_staff(user) and access.has_role(user, Role.ADMINISTRATOR)
            and (setting is None or setting.provider_id == access.provider_id_of(user)))


def require_setting_writer(actor, setting: CauseCategory | ComplaintPolicy | None = None
                           ) -> None:
    """PermissionDenied unless ``actor`` may change complaint settings (``setting``: that
    one); no check without an actor (the system)."""
    if actor is None:
        return
    if not may_change_settings(actor):
        raise PermissionDenied(_("Only administrators may change complaint settings."))
    if not may_change_settings(actor, setting):
        raise PermissionDenied(_("The shared defaults are read-only; add your own "
                                 "categories instead."))


def _save_setting(model, instance, *, actor, data: dict[str, Any]):
    """Save a complaint setting of the actor's provider (administrators only; never a
    shared default, which saving would otherwise take from every other provider)."""
    require_setting_writer(actor, instance)
    if actor is not None:
        data = {**data, "provider": access.organization_of(actor)}
    return objects.save_object(instance or model, actor=actor, data=data,
                               organization_id=getattr(data.get("provider"), "pk", None))


def save_cause(instance: CauseCategory | None, *, actor, data: dict[str, Any]
               ) -> CauseCategory:
    return _save_setting(CauseCategory, instance, actor=actor, data=data)


def delete_cause(instance: CauseCategory, *, actor) -> None:
    require_setting_writer(actor, instance)
    objects.delete_object(instance, actor=actor, organization_id=instance.provider_id)


def save_policy(instance: ComplaintPolicy | None, *, actor, data: dict[str, Any]
                ) -> ComplaintPolicy:
    return _save_setting(ComplaintPolicy, instance, actor=actor, data=data)


def delete_policy(instance: ComplaintPolicy, *, actor) -> None:
    require_setting_writer(actor, instance)
    objects.delete_object(instance, actor=actor, organization_id=instance.provider_id)

