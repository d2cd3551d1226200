"""Notifications, channels: the audited write path of a provider's channels
(administrators of that provider only; the secret and the robot token masked in the
audit trail), the validation of a channel's target and the redaction of robot URLs."""

from __future__ import annotations

import urllib.parse
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from .. import access, audit
from .. import rules as perms
from ..choices import AuditAction, ChannelKind
from ..models import NotificationChannel
from .senders import check_url, split_addresses


def redact_url(value: str) -> str:
    """``scheme://host/…``: robot URLs carry their access token in the path or query."""
    parts = urllib.parse.urlsplit(value)
    if parts.scheme and parts.netloc:
        return f"{parts.scheme}://{parts.netloc}/…"
    return "…" if value else ""


def _channel_changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """The audit diff of a channel with the secret and the robot token masked."""
    delta = audit.diff(before, after)
    for name in ("secret", "target"):
        if name in delta:
            old, new = delta[name]
            mask = (lambda v: "***" if v else "") if name == "secret" else redact_url
            delta[name] = [mask(old or ""), mask(new or "")]
            if delta[name][0] == delta[name][1]:
                delta[name][1] = delta[name][1] + " (changed)"
    return delta


def _require_channel_admin(actor, organization_id: int) -> None:
    if actor is None:
        return
    if not perms.can_manage_master_data(actor) or organization_id != access.provider_id_of(actor):
        raise PermissionDenied(_("Only administrators of the provider may change channels."))


@transaction.atomic
def create_channel(*, actor, data: dict[str, Any]) -> NotificationChannel:
    """A new channel of the actor's provider (administrators only); audited."""
    if "organization" not in data and "organization_id" not in data:
        data = {**data, "organization_id": access.provider_id_of(actor)}
    channel = NotificationChannel(**data)
    _require_channel_admin(actor, channel.organization_id)
    channel.full_clean()
    channel.save()
    audit.log(action=AuditAction.CREATE, instance=channel, actor=actor,
              changes=_channel_changes({}, audit.snapshot(channel)))
    return channel


@transaction.atomic
def update_channel(channel: NotificationChannel, *, actor, changes: dict[str, Any]
                   ) -> NotificationChannel:
    _require_channel_admin(actor, channel.organization_id)
    changes = {k: v for k, v in changes.items() if k not in ("organization", "organization_id")}
    before = audit.snapshot(channel)
    for name, value in changes.items():
        setattr(channel, name, value)
    channel.full_clean()
    channel.save()
    delta = _channel_changes(before, audit.snapshot(channel))
    if delta:
        audit.log(action=AuditAction.UPDATE, instance=channel, actor=actor, changes=delta)
    return channel


@transaction.atomic
def delete_channel(channel: NotificationChannel, *, actor) -> None:
    _require_channel_admin(actor, channel.organization_id)
    audit.log(action=AuditAction.DELETE, instance=channel, actor=actor,
              changes=_channel_changes(audit.snapshot(channel), {}))
    channel.delete()


def channel_kinds_needing_url() -> frozenset[str]:
    return frozenset({ChannelKind.DINGTALK, ChannelKind.WECOM, ChannelKind.FEISHU,
                      ChannelKind.WEBHOOK})


def validate_target(kind: str, target: str) -> str:
    """An http(s) URL for robots and webhooks, a list of addresses for email."""
    target = (target or "").strip()
    if kind == ChannelKind.EMAIL:
        addresses = split_addresses(target)
        if not addresses:
            raise ValidationError(_("Enter at least one email address."))
        for address in addresses:
            validate_email(address)
        return ", ".join(addresses)
    try:
        check_url(target)
    except ValueError as exc:
        raise ValidationError(str(exc)) from exc
    return target
