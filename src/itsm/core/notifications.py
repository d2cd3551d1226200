"""Notifications (GEN-6): email to people, IM robots and signed webhooks to channels.

The write side is :func:`notify`: called inside the transaction of the change that
causes it, it writes one :class:`~itsm.core.models.Notification` row per recipient
(every notification is logged) and queues one job per row with
``transaction.on_commit``, so a rolled-back change notifies nobody.

The send side is :func:`deliver`, run by the huey job ``core.tasks.send_notification``:

1. *Claim* (short transaction): lock the row (``SELECT … FOR UPDATE SKIP LOCKED``),
   skip it when it is no longer pending or another worker is sending it, apply the
   per-channel rate limit (counted from :class:`NotificationAttempt` rows, so it holds
   across processes; the channel row is locked while counting), then write the
   attempt row *before* sending. That row is both the rate-limit slot and a lease:
   an attempt with ``ok=False`` and no error is "in progress".
2. *Send* outside any transaction (no database lock is held during network I/O,
   which matters on SQLite where a transaction holds the one write lock).
3. *Record* the outcome on the attempt and the notification (sent / failed / retry).

Retries: a failed attempt is retried after ``RETRY_BASE_DELAY × 2^(attempts − 1)``
seconds (30, 60, 120, 240, 480 s), computed from the attempt count in the database so
that it survives lost jobs; after ``MAX_ATTEMPTS`` (1 + 5 retries) the notification is
``failed``. A rate-limited notification is deferred without counting an attempt.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from . import access, audit, safejson, templating
from . import rules as perms
from .cache import cached
from .choices import (
    AuditAction,
    ChannelKind,
    NotificationEvent,
    NotificationStatus,
)
from .jobs import queue_after_commit
from .models import (
    Notification,
    NotificationAttempt,
    NotificationChannel,
    NotificationPreference,
    NotificationTemplate,
    Organization,
)
from .text import single_line

#: The cache family of notification templates and channels (``core.receivers``).
NOTIFICATIONS = "notifications"

logger = logging.getLogger(__name__)

#: Network timeout of one robot/webhook request, in seconds.
HTTP_TIMEOUT = 10
#: Retries after the first attempt (huey's ``retries``), and the first retry delay.
RETRIES = 5
MAX_ATTEMPTS = 1 + RETRIES
RETRY_BASE_DELAY = 30
#: The rolling window of the per-channel rate limit, in seconds.
RATE_WINDOW = 60
#: An attempt "in progress" for longer than this was interrupted (worker crash).
LEASE_SECONDS = 120
#: A pending notification without any activity for this long lost its job.
LOST_AFTER = dt.timedelta(minutes=10)
#: How much of a response body the attempt log keeps.
RESPONSE_LIMIT = 2000
#: WeCom refuses markdown content over 4096 bytes (UTF-8).
WECOM_MAX_BYTES = 4096
DINGTALK_MAX_BYTES = 18000
FEISHU_MAX_BYTES = 18000

__all__ = [
    "DeliveryResult", "Outcome", "create_channel", "delete_channel", "deliver",
    "get_preferences", "notify", "redact_url", "retry_pending", "send",
    "set_preferences", "update_channel",
]


# --- Creating notifications -----------------------------------------------------------


def _provider_id(organization_id: int | None) -> int | None:
    """The provider serving an organization (itself when it is a provider)."""
    if organization_id is None:
        return None
    org = Organization.objects.filter(pk=organization_id).only("pk", "kind", "provider_id").first()
    return None if org is None else org.serving_provider_id


def _row_dedupe_key(dedupe_key: str | None, suffix: str) -> str | None:
    if not dedupe_key:
        return None
    key = f"{dedupe_key}:{suffix}"
    if len(key) > 200:
        key = "sha256:" + hashlib.sha256(key.encode()).hexdigest()
    return key


def _record_info(record) -> dict[str, Any]:
    if record is None:
        return {}
    url = ""
    if hasattr(record, "get_absolute_url"):
        try:
            url = record.get_absolute_url()
        except Exception:  # a link is a nicety, never a reason to fail
            url = ""
    base = getattr(settings, "SITE_URL", "").rstrip("/")
    if url and base:
        url = base + url
    return {
        "type": record._meta.label_lower,
        "id": record.pk,
        "number": getattr(record, "number", None),
        "title": getattr(record, "title", ""),
        "url": url,
    }


def _clean_subject(subject: str) -> str:
    """One line (no CR/LF: header injection), at most the column's 255 characters."""
    return single_line(subject, 255)


def _language(language: str | None) -> str:
    """A language of settings.LANGUAGES (the active one by default)."""
    try:
        return translation.get_supported_language_variant(
            language or translation.get_language() or settings.LANGUAGE_CODE)
    except LookupError:
        return settings.LANGUAGE_CODE


def _customised(event: str, provider_id: int | None, language: str, *, record, actor,
                subject: str, body: str) -> tuple[str, str]:
    """The provider's active template for (event, language) rendered in the sandbox, or
    the built-in text (also when the template fails: logged, never raised)."""
    if provider_id is None:
        return subject, body
    template = cached(NOTIFICATIONS, f"templates:{provider_id}", lambda: {
        (t.event, t.language): t for t in NotificationTemplate.objects.filter(
            provider_id=provider_id, is_active=True).order_by("-pk")
    }).get((event, language))
    if template is None:
        return subject, body
    with translation.override(language):
        context = templating.record_context(
            event, record, actor=actor, default_subject=_clean_subject(subject),
            default_body=str(body), url=_record_info(record).get("url", ""))
        return templating.render_notification(template, context, default_subject=subject,
                                              default_body=str(body))


def _email_enabled(user_ids: list[int], event: str) -> set[int]:
    """Of ``user_ids``, those whose email is on for ``event`` (on by default)."""
    off = set(NotificationPreference.objects.filter(
        user_id__in=user_ids, event=event, email=False).values_list("user_id", flat=True))
    return {pk for pk in user_ids if pk not in off}


def notify(
    event: str,
    *,
    record=None,
    recipients: Iterable[Any] = (),
    subject: str,
    body: str,
    organization_id: int | None = None,
    dedupe_key: str | None = None,
    context: dict | None = None,
    language: str | None = None,
    actor: Any = None,
) -> list[Notification]:
    """Queue ``event`` for ``recipients`` (by email) and the provider's channels.

    Call inside the transaction of the change: the rows commit or roll back with it,
    and the send jobs are queued on commit (one per notification).

    - One notification per active recipient with an email address whose preference
      for ``event`` has email on (the default); a person listed twice gets one.
    - One per active channel of the provider organization that serves the record's
      organization (or ``organization_id``) and wants ``event``.
    - ``subject`` and ``body`` are the built-in text, rendered by the caller in
      ``language`` (default: the active one). When the provider has an active
      :class:`NotificationTemplate` for (event, language), its rendering replaces them
      (``core.templating``; the built-in text is its ``default_subject`` /
      ``default_body``, ``actor`` its ``actor``). Robots get the same text, Markdown for
      DingTalk/WeCom; CR/LF are removed from the subject.
    - With ``dedupe_key`` each row gets ``f"{dedupe_key}:user:<id>"`` or
      ``f"{dedupe_key}:channel:<id>"``, unique in the database, so the same event
      notifies each recipient at most once even when two workers race.

    Returns the notifications created by this call (a deduplicated one is not
    returned again).
    """
    if event not in NotificationEvent.values:
        raise ValueError(f"unknown notification event {event!r}")
    if organization_id is None and record is not None:
        organization_id = getattr(record, "organization_id", None)
    if record is not None and organization_id == getattr(record, "organization_id", None) \
            and hasattr(record, "provider_id"):
        provider_id = record.provider_id  # its organization is usually loaded already
    else:
        provider_id = _provider_id(organization_id)
    subject, body = _customised(event, provider_id, _language(language), record=record,
                                actor=actor, subject=subject, body=body)
    clean_subject = _clean_subject(subject)
    payload: dict[str, Any] = {"record": _record_info(record),
                               "context": audit.to_json_value(context or {})}
    common = {
        "event": event, "subject": clean_subject, "body": str(body),
        "record_type": ContentType.objects.get_for_model(record) if record is not None else None,
        "record_id": record.pk if record is not None else None,
        "organization_id": organization_id,
    }
    people: dict[int, Any] = {}
    for user in recipients:
        if user is None or user.pk in people:
            continue
        email = (user.email or "").strip()
        if not user.is_active or not email or "\n" in email or "\r" in email:
            continue
        people[user.pk] = user
    wanted = _email_enabled(list(people), event)
    rows: list[tuple[str | None, dict[str, Any]]] = []
    for pk, user in people.items():
        if pk not in wanted:
            continue
        rows.append((_row_dedupe_key(dedupe_key, f"user:{pk}"), {
            **common, "recipient": user.email.strip()[:500],
            "payload": {**payload, "user_id": pk}}))
    if provider_id is not None:
        for channel in cached(NOTIFICATIONS, f"channels:{provider_id}", lambda: list(
                NotificationChannel.objects.filter(organization_id=provider_id,
                                                   is_active=True).order_by("pk"))):
            if not channel.wants(event):
                continue
            rows.append((_row_dedupe_key(dedupe_key, f"channel:{channel.pk}"), {
                **common, "channel": channel, "recipient": channel.name[:500],
                "payload": {**payload, "channel_id": channel.pk, "kind": channel.kind}}))

    created: list[Notification] = []
    with transaction.atomic(savepoint=False):  # a transaction when there is none
        for key, fields in rows:
            if key is None:
                notification = Notification.objects.create(**fields)
            else:
                # The INSERT in a savepoint: the unique column decides a race between
                # workers (or a repeated call), the loser skips the recipient.
                try:
                    with transaction.atomic():
                        notification = Notification.objects.create(dedupe_key=key, **fields)
                except IntegrityError:
                    continue
            created.append(notification)
            send_after_commit(notification.pk)
    return created


def send_after_commit(notification_id: int) -> None:
    """Queue the send job of a notification written in the current transaction once it
    commits (nothing when it rolls back; a queue that is down leaves it pending)."""
    queue_after_commit(_enqueue, notification_id)


def _enqueue(notification_id: int) -> None:
    from .tasks import send_notification

    send_notification(notification_id)


# --- Senders ------------------------------------------------------------------------------


@dataclass
class DeliveryResult:
    """What one delivery attempt achieved; ``error`` is set whenever ``ok`` is false."""

    ok: bool
    status_code: int | None = None
    error: str = ""
    response: str = ""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A robot or webhook that redirects is an error, not a reason to post elsewhere."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def _check_url(url: str) -> None:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(_("The address must be an http:// or https:// URL."))


def post_json(url: str, body: bytes, headers: dict[str, str] | None = None
              ) -> tuple[int | None, str, str]:
    """POST ``body`` (JSON) with a 10-second timeout: (status code, response text, error).

    Only http(s) URLs; redirects are not followed; no exception escapes.
    """
    try:
        _check_url(url)
    except ValueError as exc:
        return None, "", str(exc)
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        url, data=body, method="POST",
        headers={"Content-Type": "application/json; charset=utf-8",
                 "User-Agent": "ITSM-notifier/1", **(headers or {})})
    try:
        with _opener.open(request, timeout=HTTP_TIMEOUT) as response:
            text = response.read(64 * 1024).decode("utf-8", "replace")
            return response.status, text, ""
    except urllib.error.HTTPError as exc:
        try:
            text = exc.read(64 * 1024).decode("utf-8", "replace")
        except Exception:
            text = ""
        return exc.code, text, f"HTTP {exc.code}"
    except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return None, "", f"{type(exc).__name__}: {reason}"


def _json_dumps(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _truncate_bytes(text: str, limit: int) -> str:
    raw = text.encode("utf-8")
    if len(raw) <= limit:
        return text
    return raw[: limit - 3].decode("utf-8", "ignore") + "…"


def _json_result(status: int | None, text: str, error: str, *keys: str) -> DeliveryResult:
    """A robot's answer: HTTP 2xx and a JSON body whose first present key is 0."""
    if error or status is None or not 200 <= status < 300:
        return DeliveryResult(False, status, error or f"HTTP {status}", text)
    try:
        data = safejson.loads(text)  # another server's answer: bounded depth
    except ValueError:
        return DeliveryResult(False, status, _("The response is not JSON."), text)
    if not isinstance(data, dict):
        return DeliveryResult(False, status, _("The response is not JSON."), text)
    for key in keys:
        if key in data:
            if data[key] == 0:
                return DeliveryResult(True, status, "", text)
            message = data.get("errmsg") or data.get("msg") or data.get("StatusMessage") or ""
            return DeliveryResult(False, status, f"{key}={data[key]} {message}".strip(), text)
    return DeliveryResult(False, status, _("The response has no result code."), text)


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk custom robot "加签": base64(HMAC-SHA256(key=secret,
    msg=f"{timestamp}\\n{secret}")), URL-encoded; ``timestamp`` in milliseconds."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(),
                      hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest).decode())


def send_dingtalk(channel: NotificationChannel, notification: Notification) -> DeliveryResult:
    """DingTalk custom robot: POST ``{"msgtype": "markdown", "markdown": {title, text}}``.

    With a secret (security setting "加签"), ``&timestamp=<ms>&sign=<sig>`` is appended
    to the webhook URL, where ``sig`` is :func:`dingtalk_sign`; DingTalk refuses a
    timestamp more than an hour off. Success: JSON ``errcode == 0``.
    """
    url = channel.target
    if channel.secret:
        timestamp = int(time.time() * 1000)
        sep = "&" if urllib.parse.urlsplit(url).query else "?"
        url = f"{url}{sep}timestamp={timestamp}&sign={dingtalk_sign(channel.secret, timestamp)}"
    text = _truncate_bytes(f"#### {notification.subject}\n\n{notification.body}",
                           DINGTALK_MAX_BYTES)
    body = _json_dumps({"msgtype": "markdown",
                        "markdown": {"title": notification.subject, "text": text}})
    return _json_result(*post_json(url, body), "errcode")


def send_wecom(channel: NotificationChannel, notification: Notification) -> DeliveryResult:
    """WeCom (企业微信) group robot: POST ``{"msgtype": "markdown", "markdown": {content}}``.

    WeCom robots are not signed: the ``key`` in the webhook URL is the credential, so
    the URL is shown redacted to non-administrators. Content is cut at 4096 bytes.
    Success: JSON ``errcode == 0``.
    """
    content = _truncate_bytes(f"**{notification.subject}**\n\n{notification.body}",
                              WECOM_MAX_BYTES)
    body = _json_dumps({"msgtype": "markdown", "markdown": {"content": content}})
    return _json_result(*post_json(channel.target, body), "errcode")


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """Feishu/Lark custom bot "签名校验": base64(HMAC-SHA256(key=f"{timestamp}\\n{secret}",
    msg=b"")); ``timestamp`` in seconds (sent as a string)."""
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def send_feishu(channel: NotificationChannel, notification: Notification) -> DeliveryResult:
    """Feishu custom bot: POST ``{"msg_type": "text", "content": {"text": …}}``.

    With a secret the body also carries ``"timestamp"`` (seconds, string) and
    ``"sign"`` (:func:`feishu_sign`). Success: JSON ``code == 0`` (older bots answer
    ``StatusCode == 0``).
    """
    data: dict[str, Any] = {"msg_type": "text", "content": {"text": _truncate_bytes(
        f"{notification.subject}\n{notification.body}", FEISHU_MAX_BYTES)}}
    if channel.secret:
        timestamp = int(time.time())
        data["timestamp"] = str(timestamp)
        data["sign"] = feishu_sign(channel.secret, timestamp)
    return _json_result(*post_json(channel.target, _json_dumps(data)), "code", "StatusCode")


def webhook_signature(secret: str, timestamp: str, raw_body: bytes) -> str:
    """``sha256=`` + hex HMAC-SHA256(key=secret, msg=f"{timestamp}.{raw_body}")."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + raw_body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def send_webhook(channel: NotificationChannel, notification: Notification) -> DeliveryResult:
    """Generic signed webhook: POST JSON ``{event, subject, body, record, sent_at, id}``.

    Headers: ``X-ITSM-Event``, ``X-ITSM-Delivery`` (the notification id, the same on
    every retry, for the receiver to deduplicate), ``X-ITSM-Timestamp`` (Unix seconds)
    and, when the channel has a secret, ``X-ITSM-Signature: sha256=<hex>`` over
    ``f"{timestamp}.{raw body}"`` (:func:`webhook_signature`). The receiver recomputes
    it over the raw bytes and rejects stale timestamps. Success: any 2xx status.
    """
    now = timezone.now()
    timestamp = str(int(now.timestamp()))
    raw = _json_dumps({
        "id": notification.pk,
        "event": notification.event,
        "subject": notification.subject,
        "body": notification.body,
        "record": (notification.payload or {}).get("record") or None,
        "sent_at": now.isoformat(),
    })
    headers = {"X-ITSM-Event": notification.event, "X-ITSM-Delivery": str(notification.pk),
               "X-ITSM-Timestamp": timestamp}
    if channel.secret:
        headers["X-ITSM-Signature"] = webhook_signature(channel.secret, timestamp, raw)
    status, text, error = post_json(channel.target, raw, headers)
    if error or status is None or not 200 <= status < 300:
        return DeliveryResult(False, status, error or f"HTTP {status}", text)
    return DeliveryResult(True, status, "", text)


def _addresses(value: str) -> list[str]:
    return [a.strip() for a in value.split(",") if a.strip()]


#: Headers a notification may set on its email (``payload["mail_headers"]``): an answer
#: to an inbound message threads under it and says it is an automatic reply (RFC 3834).
REPLY_HEADERS = {"Message-ID", "In-Reply-To", "References", "Auto-Submitted"}


def reply_headers(notification: Notification) -> dict[str, str]:
    """The allowed ``mail_headers`` of the notification's payload, each one line."""
    wanted = (notification.payload or {}).get("mail_headers") or {}
    headers = {}
    for name, value in wanted.items() if isinstance(wanted, dict) else ():
        value = single_line(value)
        if name in REPLY_HEADERS and value:
            headers[name] = value
    if headers.get("Auto-Submitted") not in (None, "auto-replied"):
        del headers["Auto-Submitted"]
    return headers


def send_email(addresses: list[str], notification: Notification) -> DeliveryResult:
    """An automatic email through the configured backend (SMTP in production).

    ``Auto-Submitted: auto-generated`` (RFC 3834) and ``X-Auto-Response-Suppress: All``
    keep out-of-office replies and mail loops away; the subject is one line (CR/LF
    removed against header injection); UTF-8 subject and body. Addresses come only
    from a person's own account or a channel an administrator configured.
    ``X-ITSM-Notification`` carries the notification's id (the same on a retry).
    """
    try:
        for address in addresses:
            if "\n" in address or "\r" in address:
                raise ValidationError(_("Invalid email address."))
            validate_email(address)
    except ValidationError as exc:
        return DeliveryResult(False, None, "; ".join(exc.messages))
    if not addresses:
        return DeliveryResult(False, None, _("No email address."))
    headers = {"Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All",
               # The notification's id, the same on every retry (like the webhooks'
               # X-ITSM-Delivery): a mail traces back to its log row.
               "X-ITSM-Notification": str(notification.pk)}
    headers.update(reply_headers(notification))
    message = EmailMessage(
        subject=_clean_subject(notification.subject), body=notification.body,
        from_email=settings.DEFAULT_FROM_EMAIL, to=addresses, headers=headers)
    message.encoding = "utf-8"
    try:
        count = message.send(fail_silently=False)
    except Exception as exc:  # SMTP, socket and backend errors alike
        return DeliveryResult(False, None, f"{type(exc).__name__}: {exc}"[:1000])
    if not count:
        return DeliveryResult(False, None, _("The mail server accepted no message."))
    return DeliveryResult(True, None, "", "")


SENDERS = {
    ChannelKind.DINGTALK: send_dingtalk,
    ChannelKind.WECOM: send_wecom,
    ChannelKind.FEISHU: send_feishu,
    ChannelKind.WEBHOOK: send_webhook,
}


def send(notification: Notification) -> DeliveryResult:
    """Deliver one notification once (no retries, no logging); never raises."""
    try:
        channel = notification.channel
        if channel is None:
            return send_email([notification.recipient], notification)
        if channel.kind == ChannelKind.EMAIL:
            return send_email(_addresses(channel.target), notification)
        sender = SENDERS.get(channel.kind)
        if sender is None:
            return DeliveryResult(False, None, _("Unknown channel kind."))
        return sender(channel, notification)
    except Exception as exc:  # a bug in a sender must not lose the log
        logger.exception("sending notification %s failed", notification.pk)
        return DeliveryResult(False, None, f"{type(exc).__name__}: {exc}"[:1000])


# --- Delivery (the job's work) -------------------------------------------------------------


@dataclass
class Outcome:
    """What :func:`deliver` did; ``retry_in`` (seconds) asks the job to run again later."""

    state: str  # sent | failed | retry | deferred | skipped
    retry_in: float | None = None


def retry_delay(attempts: int) -> int:
    """Seconds before the next try after ``attempts`` failed ones: 30 × 2^(attempts−1)."""
    return RETRY_BASE_DELAY * 2 ** max(attempts - 1, 0)


def _fail(notification_id: int, error: str) -> Outcome:
    Notification.objects.filter(pk=notification_id, status=NotificationStatus.PENDING).update(
        status=NotificationStatus.FAILED, last_error=error)
    return Outcome("failed")


def _claim(notification_id: int, now: dt.datetime) -> tuple[Outcome | None, Notification | None,
                                                          NotificationAttempt | None]:
    """Phase 1 in one short transaction: lock, check, rate-limit, write the attempt."""
    with transaction.atomic():
        notification = (Notification.objects.select_for_update(skip_locked=True)
                        .filter(pk=notification_id).first())
        if notification is None:  # gone, or another worker holds it right now
            return Outcome("skipped"), None, None
        if notification.status != NotificationStatus.PENDING:
            return Outcome("skipped"), None, None  # exactly once: already sent or failed
        running = (notification.attempt_log.filter(ok=False, error="")
                   .order_by("-attempted_at").first())
        if running is not None:
            if running.attempted_at > now - dt.timedelta(seconds=LEASE_SECONDS):
                return Outcome("skipped"), None, None  # another worker is sending it
            running.error = _("The delivery was interrupted (the worker stopped).")
            running.save(update_fields=["error"])
        if notification.attempts >= MAX_ATTEMPTS:
            return _fail(notification.pk, notification.last_error
                         or _("Too many attempts.")), None, None
        channel = None
        if notification.channel_id is not None:
            # Locking the channel row serializes the count-then-insert below across
            # workers, so the limit holds exactly however many processes send.
            channel = (NotificationChannel.objects.select_for_update()
                       .filter(pk=notification.channel_id).first())
        if channel is None and (notification.payload or {}).get("channel_id"):
            return _fail(notification.pk, _("The channel was deleted.")), None, None
        if channel is not None:
            if not channel.is_active:
                return _fail(notification.pk, _("The channel is disabled.")), None, None
            limit = channel.rate_limit_per_minute or 20
            window = NotificationAttempt.objects.filter(
                notification__channel_id=channel.pk,
                attempted_at__gt=now - dt.timedelta(seconds=RATE_WINDOW))
            used = window.count()
            if used >= limit:
                oldest = window.order_by("attempted_at").values_list(
                    "attempted_at", flat=True).first()
                wait = (oldest + dt.timedelta(seconds=RATE_WINDOW) - now).total_seconds()
                return Outcome("deferred", retry_in=max(wait, 0) + 1), None, None
            notification.channel = channel
        attempt = NotificationAttempt.objects.create(notification=notification,
                                                     attempted_at=now)
        notification.attempts += 1
        Notification.objects.filter(pk=notification.pk).update(attempts=notification.attempts)
    return None, notification, attempt


def deliver(notification_id: int) -> Outcome:
    """Try to send one notification once; see the module docstring for the phases."""
    now = timezone.now()
    outcome, notification, attempt = _claim(notification_id, now)
    if outcome is not None:
        return outcome
    assert notification is not None and attempt is not None
    result = send(notification)
    error = "" if result.ok else (result.error or _("Unknown error."))
    with transaction.atomic():
        NotificationAttempt.objects.filter(pk=attempt.pk).update(
            ok=result.ok, status_code=result.status_code, error=error,
            response=(result.response or "")[:RESPONSE_LIMIT])
        if result.ok:
            Notification.objects.filter(pk=notification.pk).update(
                status=NotificationStatus.SENT, sent_at=timezone.now(), last_error="")
            return Outcome("sent")
        if notification.attempts >= MAX_ATTEMPTS:
            Notification.objects.filter(pk=notification.pk).update(
                status=NotificationStatus.FAILED, last_error=error)
            return Outcome("failed")
        Notification.objects.filter(pk=notification.pk).update(last_error=error)
    return Outcome("retry", retry_in=retry_delay(notification.attempts))


def lost_notification_ids(now: dt.datetime | None = None, limit: int = 1000) -> list[int]:
    """Pending notifications whose job was lost (worker crash, queue flushed).

    Pending, created more than 10 minutes ago, no attempt in the last 10 minutes
    (the longest retry delay is 8 minutes) and, for a channel, the channel is not
    saturated right now (its rate-limited jobs are alive, waiting for a slot).
    """
    now = now or timezone.now()
    cutoff = now - LOST_AFTER
    recent = NotificationAttempt.objects.filter(notification=OuterRef("pk"),
                                                attempted_at__gte=cutoff)
    busy = [
        row["pk"] for row in NotificationChannel.objects.annotate(
            used=Count("notifications__attempt_log", filter=Q(
                notifications__attempt_log__attempted_at__gt=now - dt.timedelta(
                    seconds=RATE_WINDOW)))).values("pk", "used", "rate_limit_per_minute")
        if row["used"] >= (row["rate_limit_per_minute"] or 20)
    ]
    return list(
        Notification.objects.filter(status=NotificationStatus.PENDING, created_at__lt=cutoff)
        .exclude(Exists(recent)).exclude(channel_id__in=busy)
        .order_by("created_at", "pk").values_list("pk", flat=True)[:limit])


def retry_pending(now: dt.datetime | None = None) -> int:
    """Queue a job again for every lost notification; returns how many."""
    from .tasks import send_notification

    ids = lost_notification_ids(now)
    for pk in ids:
        send_notification(pk)
    return len(ids)


# --- Channels and preferences (the API's write path) -----------------------------------


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


def get_preferences(user) -> list[dict[str, Any]]:
    """Every event with the person's email/IM choice (both on unless turned off)."""
    saved = {p.event: p for p in NotificationPreference.objects.filter(user=user)}
    return [
        {"event": event.value, "label": str(event.label),
         "email": saved[event.value].email if event.value in saved else True,
         "im": saved[event.value].im if event.value in saved else True}
        for event in NotificationEvent
    ]


@transaction.atomic
def set_preferences(user, items: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Save the person's choices for the events given; others stay as they are."""
    for item in items:
        if item["event"] not in NotificationEvent.values:
            raise ValidationError({"event": _("Unknown event.")})
        defaults = {k: bool(item[k]) for k in ("email", "im") if k in item}
        NotificationPreference.objects.update_or_create(user=user, event=item["event"],
                                                        defaults=defaults)
    return get_preferences(user)


def channel_kinds_needing_url() -> frozenset[str]:
    return frozenset({ChannelKind.DINGTALK, ChannelKind.WECOM, ChannelKind.FEISHU,
                      ChannelKind.WEBHOOK})


def validate_target(kind: str, target: str) -> str:
    """An http(s) URL for robots and webhooks, a list of addresses for email."""
    target = (target or "").strip()
    if kind == ChannelKind.EMAIL:
        addresses = _addresses(target)
        if not addresses:
            raise ValidationError(_("Enter at least one email address."))
        for address in addresses:
            validate_email(address)
        return ", ".join(addresses)
    try:
        _check_url(target)
    except ValueError as exc:
        raise ValidationError(str(exc)) from exc
    return target

