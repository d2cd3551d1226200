"""Notifications, the senders: one attempt, no retries, never raising. Email through
the configured backend; DingTalk, WeCom and Feishu robots (with their signing:
:func:`dingtalk_sign`, :func:`feishu_sign`) and generic webhooks signed with
:func:`webhook_signature`, posted by :func:`post_json` (http(s) only, no redirects)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import safejson
from ..choices import ChannelKind
from ..models import Notification, NotificationChannel
from ..text import single_line
from .rendering import subject_line

logger = logging.getLogger(__name__)

#: Network timeout of one robot/webhook request, in seconds.
HTTP_TIMEOUT = 10
#: WeCom refuses markdown content over 4096 bytes (UTF-8).
WECOM_MAX_BYTES = 4096
DINGTALK_MAX_BYTES = 18000
FEISHU_MAX_BYTES = 18000


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


def check_url(url: str) -> None:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(_("The address must be an http:// or https:// URL."))


def post_json(url: str, body: bytes, headers: dict[str, str] | None = None
              ) -> tuple[int | None, str, str]:
    """POST ``body`` (JSON) with a 10-second timeout: (status code, response text, error).

    Only http(s) URLs; redirects are not followed; no exception escapes.
    """
    try:
        check_url(url)
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


def split_addresses(value: str) -> list[str]:
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
        subject=subject_line(notification.subject), body=notification.body,
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
            return send_email(split_addresses(channel.target), notification)
        sender = SENDERS.get(channel.kind)
        if sender is None:
            return DeliveryResult(False, None, _("Unknown channel kind."))
        return sender(channel, notification)
    except Exception as exc:  # a bug in a sender must not lose the log
        logger.exception("sending notification %s failed", notification.pk)
        return DeliveryResult(False, None, f"{type(exc).__name__}: {exc}"[:1000])
