"""Email intake, parsing: a raw message → ``ParsedMail`` (sender, subject, text,
attachments, references); a malformed one raises ``MailRejected``. Also the headers read
before parsing (Message-ID, the key that makes intake exactly-once, the sender) and
whether an automatic reply may be sent (RFC 3834)."""

from __future__ import annotations

import email
import email.errors
import hashlib
import mimetypes
import re
from dataclasses import dataclass, field
from email.message import Message
from email.parser import BytesHeaderParser
from email.utils import getaddresses

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from itsm.core.text import CONTROL_RE, single_line

from .decoding import decode_bytes, decode_header_value, header_text, html_to_text, tidy_text

#: More MIME parts than this (or deeper nesting) is treated as an attack, not mail.
MAX_MIME_PARTS = 500
MAX_MIME_DEPTH = 30
#: Text kept from a message body (a ticket description / comment is not a mailbox).
MAX_TEXT_CHARS = 100_000
MESSAGE_ID_RE = re.compile(r"<[^<>\s]{1,900}>")
NO_REPLY_LOCAL_PARTS = frozenset({
    "mailer-daemon", "postmaster", "noreply", "no-reply", "no_reply", "donotreply",
    "do-not-reply", "do_not_reply",
})


class MailRejected(Exception):
    """A message that cannot be turned into a ticket; ``reason`` is shown to agents."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class MailAttachment:
    name: str
    content_type: str
    data: bytes


@dataclass
class ParsedMail:
    message_id: str
    from_address: str
    from_name: str
    subject: str
    text: str
    attachments: list[MailAttachment] = field(default_factory=list)
    #: Message-IDs of In-Reply-To and References, most recent first.
    references: list[str] = field(default_factory=list)
    #: Why no automatic reply may be sent ("" = one may be sent).
    no_auto_reply: str = ""
    #: The addresses it was sent to (To, Cc, Delivered-To, X-Original-To), lower case:
    #: the intake routes mail for a register's own address (``intake.register_mail_route``).
    to_addresses: list[str] = field(default_factory=list)


def _header_block(raw: bytes) -> bytes:
    """The header section of a raw message (capped), for messages we will not parse."""
    end = len(raw)
    for sep in (b"\r\n\r\n", b"\n\n"):
        index = raw.find(sep, 0, 1024 * 1024)
        if index != -1:
            end = min(end, index + len(sep))
    return raw[: min(end, 1024 * 1024)]


def parse_headers(raw: bytes) -> Message | None:
    try:
        return BytesHeaderParser().parsebytes(_header_block(raw))
    except Exception:
        return None


def clean_message_id(value: str) -> str:
    match = MESSAGE_ID_RE.search(value or "")
    return match.group(0) if match else ""


def message_key(raw: bytes, message_id: str) -> str:
    if message_id:
        return hashlib.sha256(f"mid:{message_id}".encode("utf-8", "replace")).hexdigest()
    return hashlib.sha256(b"raw:" + raw).hexdigest()


def sender_of(msg: Message | None) -> tuple[str, str]:
    """(address, display name) of the first valid From address, or ("", "").

    Addresses are taken from the header as sent and only the display name is decoded
    afterwards, so an encoded word cannot smuggle in an address of its choosing.
    """
    if msg is None:
        return "", ""
    try:
        value = msg.get("From")
    except Exception:
        return "", ""
    if value is None:
        return "", ""
    value = value if isinstance(value, str) else decode_header_value(value)
    for name, address in getaddresses([CONTROL_RE.sub(" ", value)]):
        address = address.strip()
        if not address or CONTROL_RE.search(address):
            continue
        try:
            validate_email(address)
        except ValidationError:
            continue
        return address, decode_header_value(name)[:150]
    return "", ""


def auto_reply_blocker(msg: Message, from_address: str) -> str:
    """Why an automatic reply to this message must not be sent (RFC 3834), or ""."""
    auto = header_text(msg, "Auto-Submitted").split(";")[0].strip().lower()
    if auto and auto != "no":
        return "Auto-Submitted"
    if header_text(msg, "Precedence").strip().lower() in {"bulk", "junk", "list"}:
        return "Precedence"
    for name in ("List-Id", "List-Unsubscribe", "X-Auto-Response-Suppress"):
        if msg.get(name) is not None:
            return name
    return_path = msg.get("Return-Path")
    if return_path is not None and header_text(msg, "Return-Path").replace(" ", "") in {"<>", ""}:
        return "Return-Path"
    local = from_address.rsplit("@", 1)[0].lower()
    if local in NO_REPLY_LOCAL_PARTS or local.startswith("owner-") or local.endswith("-request"):
        return "sender"
    if from_address.lower() == own_address().lower():
        return "own address"
    return ""


def own_address() -> str:
    return getattr(settings, "DEFAULT_FROM_EMAIL", "") or "itsm@localhost"


def _attachment_name(part: Message, index: int, content_type: str) -> str:
    try:
        name = part.get_filename() or part.get_param("name") or ""
    except Exception:
        name = ""
    if isinstance(name, tuple):  # undecoded RFC 2231 triple
        name = name[2] if len(name) > 2 else ""
    name = decode_header_value(name)
    name = re.split(r"[\\/]", name)[-1].strip(" .")
    if not name:
        ext = mimetypes.guess_extension(content_type) or ".bin"
        name = f"attachment-{index}{ext}"
    return name[-200:]


def _check_structure(msg: Message) -> None:
    for defect in msg.defects:
        if isinstance(defect, email.errors.NoBoundaryInMultipartDefect):
            raise MailRejected(_("A multipart message without a boundary."))
        if isinstance(defect, email.errors.StartBoundaryNotFoundDefect):
            raise MailRejected(_("The multipart boundary was never found in the message."))
        if isinstance(defect, email.errors.MultipartInvariantViolationDefect):
            raise MailRejected(_("A damaged multipart structure."))


def parse_message(raw: bytes) -> ParsedMail:
    """Decode a raw message; ``MailRejected`` when it is malformed."""
    parts_declared = len(re.findall(rb"(?im)^content-type\s*:", raw))
    if parts_declared > MAX_MIME_PARTS:
        raise MailRejected(_("The message has more than %(n)d MIME parts.")
                           % {"n": MAX_MIME_PARTS})
    try:
        msg = email.message_from_bytes(raw)
    except RecursionError as exc:
        raise MailRejected(_("The MIME structure is nested too deeply.")) from exc
    from_address, from_name = sender_of(msg)
    if not from_address:
        raise MailRejected(_("The message has no valid sender (From) address."))

    plain: list[str] = []
    markup: list[str] = []
    attachments: list[MailAttachment] = []
    stack: list[tuple[Message, int]] = [(msg, 0)]
    seen = 0
    while stack:
        part, depth = stack.pop()
        seen += 1
        if seen > MAX_MIME_PARTS:
            raise MailRejected(_("The message has more than %(n)d MIME parts.")
                               % {"n": MAX_MIME_PARTS})
        if depth > MAX_MIME_DEPTH:
            raise MailRejected(_("The MIME structure is nested too deeply."))
        _check_structure(part)
        content_type = part.get_content_type()
        disposition = (part.get_content_disposition() or "").lower()
        if content_type == "message/rfc822":
            try:
                data = part.get_payload(0).as_bytes()
            except Exception:
                data = b""
            attachments.append(MailAttachment(
                _attachment_name(part, len(attachments) + 1, "message/rfc822") if
                part.get_filename() else f"message-{len(attachments) + 1}.eml",
                "message/rfc822", data))
            continue
        if part.is_multipart():
            payload = part.get_payload()
            if isinstance(payload, list):
                stack.extend((child, depth + 1) for child in reversed(payload))
            continue
        data = part.get_payload(decode=True)
        if not isinstance(data, bytes):
            data = b""
        is_text = content_type in {"text/plain", "text/html"}
        if is_text and disposition != "attachment" and not part.get_filename():
            text = decode_bytes(data, part.get_content_charset())
            (plain if content_type == "text/plain" else markup).append(text)
            continue
        attachments.append(MailAttachment(
            _attachment_name(part, len(attachments) + 1, content_type), content_type, data))

    if plain:
        text = tidy_text("\n\n".join(plain))
    else:
        text = "\n\n".join(html_to_text(m) for m in markup).strip()
    references: list[str] = []
    for name in ("In-Reply-To", "References"):
        ids = MESSAGE_ID_RE.findall(header_text(msg, name))
        references.extend(reversed(ids) if name == "References" else ids)
    return ParsedMail(
        message_id=clean_message_id(header_text(msg, "Message-ID")),
        from_address=from_address,
        from_name=from_name,
        subject=single_line(header_text(msg, "Subject"), 500),
        text=text[:MAX_TEXT_CHARS],
        attachments=attachments,
        references=list(dict.fromkeys(references))[:50],
        no_auto_reply=auto_reply_blocker(msg, from_address),
        to_addresses=list(dict.fromkeys(
            address.lower() for _name, address in getaddresses(
                [header_text(msg, h) for h in ("To", "Cc", "Delivered-To", "X-Original-To")])
            if "@" in address))[:50],
    )
