"""Email intake (REQ-1, REQ-2): messages of the intake mailbox become tickets and replies.

``process_message(raw)`` handles one message given as bytes, so it is testable without
a mail server; ``poll_mailbox()`` fetches the UNSEEN messages of the IMAP mailbox
configured by ``ITSM_IMAP_URL`` and hands each to it.

Exactly once: the ``InboundMail`` row is inserted first under a unique key (a hash of
the Message-ID, or of the raw bytes when there is none), in the same transaction as
the ticket or comment it produces. A second worker inserting the same key waits for
the first one's commit and then fails with ``IntegrityError``, which means "already
processed": the same message fetched twice, even concurrently, gives one ticket.

Never crash the worker: every failure while handling a message (malformed MIME, an
unknown sender, a rule of the write path) quarantines that message with a reason and
its raw bytes, and the poll continues with the next one.

Loop protection (RFC 3834): acknowledgements go only to the sender's own address,
never to automatic, bulk or list mail, never to MAILER-DAEMON/postmaster/noreply
addresses, at most ``ACK_LIMIT_PER_HOUR`` per sender (counted from the notification
log), carry ``Auto-Submitted: auto-replied``, and are sent by a job after commit.
"""

from __future__ import annotations

import codecs
import datetime as dt
import email
import email.errors
import hashlib
import html
import logging
import mimetypes
import re
import secrets
import urllib.parse
from dataclasses import dataclass, field
from email.header import decode_header
from email.message import Message
from email.parser import BytesHeaderParser
from email.utils import getaddresses
from html.parser import HTMLParser
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from itsm.core import audit, directory, notifications, services
from itsm.core import rules as perms
from itsm.core.choices import AuditSource, NotificationEvent, Role
from itsm.core.limits import DESCRIPTION_MAX_LENGTH, TITLE_MAX_LENGTH, fit_text
from itsm.core.models import Notification, Organization, Record
from itsm.core.text import CONTROL_RE, single_line

from .choices import Channel, InboundMailStatus, TicketStatus
from .models import InboundMail, Incident, ServiceRequest

logger = logging.getLogger(__name__)
User = get_user_model()

#: More MIME parts than this (or deeper nesting) is treated as an attack, not mail.
MAX_MIME_PARTS = 500
MAX_MIME_DEPTH = 30
#: Text kept from a message body (a ticket description / comment is not a mailbox).
MAX_TEXT_CHARS = 100_000
#: The attachment that keeps a message text longer than a description or comment may be.
FULL_TEXT_NAME = "message.txt"
#: Automatic replies per sender address and hour.
ACK_LIMIT_PER_HOUR = 5
ACK_DEDUPE_PREFIX = "mail-ack:"
#: Messages handled per poll; the rest wait for the next one.
POLL_BATCH = 200
TICKET_TYPES: tuple[type[Record], ...] = (ServiceRequest, Incident)

NUMBER_RE = re.compile(r"\b(REQ|INC)-(\d{4})-(\d{6})\b")
#: Message-IDs of our own automatic mail: <itsm.{number}.{random}@host>.
OUR_MESSAGE_ID_RE = re.compile(r"^<itsm\.((?:REQ|INC)-\d{4}-\d{6})\.[A-Za-z0-9]+@[^<>\s]+>$")
MESSAGE_ID_RE = re.compile(r"<[^<>\s]{1,900}>")
NO_REPLY_LOCAL_PARTS = frozenset({
    "mailer-daemon", "postmaster", "noreply", "no-reply", "no_reply", "donotreply",
    "do-not-reply", "do_not_reply",
})
GB_CODECS = frozenset({"gb2312", "gbk", "gb18030"})


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


@dataclass
class IntakeResult:
    status: str  # an InboundMailStatus, or "duplicate"
    inbound: InboundMail | None = None
    record: Record | None = None
    reason: str = ""

    DUPLICATE = "duplicate"


@dataclass
class PollStats:
    fetched: int = 0
    created: int = 0
    commented: int = 0
    quarantined: int = 0
    ignored: int = 0
    duplicates: int = 0
    errors: int = 0

    def add(self, result: IntakeResult) -> None:
        name = {
            InboundMailStatus.CREATED: "created", InboundMailStatus.COMMENTED: "commented",
            InboundMailStatus.QUARANTINED: "quarantined", InboundMailStatus.IGNORED: "ignored",
            IntakeResult.DUPLICATE: "duplicates",
        }[result.status]
        setattr(self, name, getattr(self, name) + 1)


# --- Decoding ---------------------------------------------------------------------------


def _codec_name(charset: str | None) -> str | None:
    """The Python codec for a declared charset; GB2312/GBK are read as GB18030."""
    if not charset:
        return None
    name = str(charset).strip().strip("\"'").lower()
    if not name or name in {"unknown-8bit", "x-unknown", "unknown"}:
        return None
    try:
        info = codecs.lookup(name)
    except LookupError:
        return None
    if not getattr(info, "_is_text_encoding", True):
        return None  # base64, rot13 … are not charsets
    return "gb18030" if info.name in GB_CODECS else info.name


def _is_single_byte(codec: str) -> bool:
    """Whether ``codec`` maps every byte to one character (decoding never fails)."""
    try:
        return len(bytes(range(256)).decode(codec)) == 256
    except (UnicodeDecodeError, LookupError):
        return False


def decode_bytes(data: bytes, charset: str | None = None) -> str:
    """Decode with the declared charset, else UTF-8, else GB18030, else Latin-1.

    A single-byte charset (Latin-1, windows-1252 …) decodes any bytes, so a part that
    declares one but is valid UTF-8 — a mailer that mislabels its UTF-8, common with
    Chinese text — is read as UTF-8 instead of turning into mojibake."""
    declared = _codec_name(charset)
    if declared and _is_single_byte(declared) and not data.isascii():
        declared = None
    candidates = [c for c in (declared, "utf-8", "gb18030") if c]
    for name in dict.fromkeys(candidates):
        try:
            return data.decode(name)
        except (UnicodeDecodeError, LookupError):
            continue
    return data.decode("latin-1", errors="replace")


def decode_header_value(value: Any) -> str:
    """A header (RFC 2047 encoded words, raw 8-bit bytes) as one line of text."""
    if value is None:
        return ""
    try:
        parts = decode_header(value)
    except Exception:  # malformed encoded word: keep the raw text
        return single_line(str(value))
    out = []
    for chunk, charset in parts:
        out.append(chunk if isinstance(chunk, str) else decode_bytes(chunk, charset))
    return single_line("".join(out))


def _header(msg: Message | None, name: str) -> str:
    if msg is None:
        return ""
    try:
        return decode_header_value(msg.get(name))
    except Exception:
        return ""


class _TextExtractor(HTMLParser):
    """Fallback HTML → text without nh3: keep text, drop script/style, break blocks."""

    BLOCKS = frozenset({"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6",
                        "table", "blockquote", "pre", "hr"})
    SKIP = frozenset({"script", "style", "head", "title"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in self.SKIP:
            self.skipping += 1
        elif tag in {"br", "hr"}:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: Any) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def _tidy_text(text: str, *, collapse_spaces: bool = False) -> str:
    """Unix line ends, no trailing blanks, at most one empty line in a row; HTML text
    also has its runs of spaces collapsed (plain text keeps its indentation)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if collapse_spaces:
        lines = [" ".join(line.split()) for line in lines]
    else:
        lines = [line.rstrip() for line in lines]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n").rstrip()


def html_to_text(markup: str) -> str:
    """Readable text of an HTML body (nh3 when installed, else the stdlib parser)."""
    try:
        import nh3
    except ImportError:  # nh3 is a dependency, but the intake must not need it
        parser = _TextExtractor()
        parser.feed(markup)
        parser.close()
        return _tidy_text("".join(parser.parts), collapse_spaces=True)
    markup = re.sub(r"(?i)<br\s*/?>", "\n", markup)
    markup = re.sub(r"(?i)</(p|div|tr|li|h[1-6]|table|blockquote|pre)\s*>", "\n", markup)
    markup = re.sub(r"(?i)<hr\b[^>]*>", "\n", markup)
    cleaned = nh3.clean(markup, tags=set(), attributes={},
                        clean_content_tags={"script", "style", "head", "title"})
    return _tidy_text(html.unescape(cleaned), collapse_spaces=True)


QUOTE_SEPARATORS = (
    re.compile(r"^-{2,}\s*(original message|原始邮件|原始郵件)\s*-{2,}$", re.I),
    re.compile(r"^-{2,}\s*(forwarded message|转发邮件)\s*-{2,}$", re.I),
    re.compile(r"^在.{0,300}写道\s*[:：]$"),
    re.compile(r"^on\s.{0,300}\swrote\s*:$", re.I),
)


def strip_quoted(text: str) -> str:
    """A reply without what it quotes: ``>`` lines and everything after a separator."""
    lines = text.split("\n")
    kept: list[str] = []
    for i, line in enumerate(lines):
        s = line.strip()
        joined = f"{s} {lines[i + 1].strip()}" if i + 1 < len(lines) else s
        if any(p.match(s) for p in QUOTE_SEPARATORS) or (
            s.startswith(("在", "On ")) and any(p.match(joined) for p in QUOTE_SEPARATORS[2:])
        ):
            break
        if s.startswith(">"):
            continue
        kept.append(line)
    return _tidy_text("\n".join(kept))


# --- Parsing ----------------------------------------------------------------------------


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
    auto = _header(msg, "Auto-Submitted").split(";")[0].strip().lower()
    if auto and auto != "no":
        return "Auto-Submitted"
    if _header(msg, "Precedence").strip().lower() in {"bulk", "junk", "list"}:
        return "Precedence"
    for name in ("List-Id", "List-Unsubscribe", "X-Auto-Response-Suppress"):
        if msg.get(name) is not None:
            return name
    return_path = msg.get("Return-Path")
    if return_path is not None and _header(msg, "Return-Path").replace(" ", "") in {"<>", ""}:
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
        text = _tidy_text("\n\n".join(plain))
    else:
        text = "\n\n".join(html_to_text(m) for m in markup).strip()
    references: list[str] = []
    for name in ("In-Reply-To", "References"):
        ids = MESSAGE_ID_RE.findall(_header(msg, name))
        references.extend(reversed(ids) if name == "References" else ids)
    return ParsedMail(
        message_id=clean_message_id(_header(msg, "Message-ID")),
        from_address=from_address,
        from_name=from_name,
        subject=single_line(_header(msg, "Subject"), 500),
        text=text[:MAX_TEXT_CHARS],
        attachments=attachments,
        references=list(dict.fromkeys(references))[:50],
        no_auto_reply=auto_reply_blocker(msg, from_address),
    )


# --- People and reply targets ------------------------------------------------------------


def find_person(address: str):
    """The active person whose email matches (case-insensitive), or None."""
    return (User.objects.filter(email__iexact=address, is_active=True, profile__isnull=False)
            .select_related("profile__organization").order_by("id").first())


def _contact_for(parsed: ParsedMail):
    """A requester account (no usable password) for an unknown sender, in the intake org."""
    code = getattr(settings, "MAIL_INTAKE_ORGANIZATION", "")
    if not code:
        raise MailRejected(_("unknown sender"))
    organization = Organization.objects.filter(code=code).first()
    if organization is None:
        raise MailRejected(
            _("unknown sender (the intake organization “%(code)s” does not exist)")
            % {"code": code})
    base = re.sub(r"[^\w.@+-]", "-", parsed.from_address.lower())[:140]
    username, n = base, 1
    while User.objects.filter(username=username).exists():
        n += 1
        username = f"{base}-{n}"
    name = parsed.from_name or parsed.from_address.split("@")[0]
    return directory.create_person(actor=None, data={
        "username": username, "email": parsed.from_address, "first_name": name[:150],
        "last_name": "", "roles": [Role.REQUESTER], "profile": {"organization": organization},
    })


def _current(record: Record | None) -> Record | None:
    """The ticket a merged ticket was merged into (followed a few hops)."""
    for _hop in range(5):
        target = getattr(record, "merged_into", None)
        if target is None:
            break
        record = target
    return record


def _record_by_number(number: str) -> Record | None:
    for model in TICKET_TYPES:
        if number.startswith(model.number_prefix + "-"):
            return _current(model.objects.filter(number=number).first())
    return None


def find_reply_target(parsed: ParsedMail) -> Record | None:
    """The ticket a message answers: a number in the subject, or a known Message-ID."""
    for match in NUMBER_RE.finditer(parsed.subject):
        record = _record_by_number(match.group(0))
        if record is not None:
            return record
    for message_id in parsed.references:
        match = OUR_MESSAGE_ID_RE.match(message_id)
        if match:
            record = _record_by_number(match.group(1))
            if record is not None:
                return record
    if parsed.references:
        earlier = (InboundMail.objects
                   .filter(message_id__in=parsed.references, record_id__isnull=False,
                           status__in=[InboundMailStatus.CREATED, InboundMailStatus.COMMENTED])
                   .select_related("record_type").order_by("-received_at", "-id").first())
        if earlier is not None and earlier.record_type is not None:
            model = earlier.record_type.model_class()
            if model is not None and model in TICKET_TYPES:
                return _current(model.objects.filter(pk=earlier.record_id).first())
    return None


# --- Writing tickets and comments -------------------------------------------------------


def _add_attachments(record: Record, actor, parsed: ParsedMail) -> list[str]:
    """Attach the files; return notes about the ones skipped."""
    notes = []
    for item in parsed.attachments:
        if len(item.data) > settings.MAX_UPLOAD_BYTES:
            notes.append(_("The attachment “%(name)s” (%(size)s) was not added: the limit "
                           "is %(limit)s.") % {
                "name": item.name, "size": filesizeformat(len(item.data)),
                "limit": filesizeformat(settings.MAX_UPLOAD_BYTES)})
            continue
        upload = SimpleUploadedFile(item.name, item.data, content_type=item.content_type)
        services.add_attachment(record, actor=actor, upload=upload)
    return notes


def _oversized_notes(parsed: ParsedMail) -> list[str]:
    return [a.name for a in parsed.attachments if len(a.data) > settings.MAX_UPLOAD_BYTES]


def _fit_message_text(text: str, limit: int) -> tuple[str, str | None]:
    """``text`` cut to ``limit`` characters, ending with a note that says so, when it is
    longer; and the whole text to attach as ``FULL_TEXT_NAME`` (None when it fits, or
    when it is larger than an attachment may be)."""
    if len(text) <= limit:
        return text, None
    whole: str | None = text
    if len(text.encode("utf-8")) > settings.MAX_UPLOAD_BYTES:
        whole = None
        note = _("[The message was cut to %(limit)d characters.]") % {"limit": limit}
    else:
        note = _("[The message was cut to %(limit)d characters; the whole text is attached "
                 "as %(name)s.]") % {"limit": limit, "name": FULL_TEXT_NAME}
    return fit_text(text, limit, note)[0], whole


def _attach_whole_text(record: Record, actor, whole: str | None) -> None:
    if whole is not None:
        upload = SimpleUploadedFile(FULL_TEXT_NAME, whole.encode("utf-8"),
                                    content_type="text/plain")
        services.add_attachment(record, actor=actor, upload=upload)


def _fit_comment(body: str) -> str:
    limit = services.MAX_COMMENT_LENGTH
    return body if len(body) <= limit else body[: limit - 1] + "…"


def _link(inbound: InboundMail, record: Record, status: str) -> None:
    inbound.record_type = ContentType.objects.get_for_model(type(record))
    inbound.record_id = record.pk
    inbound.status = status


def _reopen_window_open(record: Record) -> bool:
    resolved_at = getattr(record, "resolved_at", None)
    if resolved_at is None:
        return True
    days = int(getattr(settings, "REOPEN_DAYS", 7))
    return timezone.now() - resolved_at <= dt.timedelta(days=days)


def _reply(inbound: InboundMail, parsed: ParsedMail, person, record: Record) -> Record | None:
    """Add the reply to ``record``; None when it should start a new ticket instead."""
    if not perms.can_comment_record(person, record):
        raise MailRejected(_("The sender may not comment on %(number)s.")
                           % {"number": record.number})
    is_requester = record.requester_id == person.pk
    if record.is_final:
        return None
    if record.status == TicketStatus.RESOLVED and is_requester and not _reopen_window_open(record):
        return None
    body = strip_quoted(parsed.text) or parsed.text
    if not body:
        body = _("(attachments only)") if parsed.attachments else _("(empty message)")
    skipped = _oversized_notes(parsed)
    if skipped:
        body = "\n\n".join([body, *[_("Not attached (too large): %(name)s") % {"name": n}
                                    for n in skipped]])
    body, whole = _fit_message_text(body, services.MAX_COMMENT_LENGTH)
    if record.status == TicketStatus.RESOLVED and is_requester:
        record = services.transition_record(record, "reopen", actor=person, comment=body)
    else:
        services.add_comment(record, actor=person, body=body)
        # A reply from the requester's side resumes a waiting ticket (receivers.py).
        record.refresh_from_db()
    _attach_whole_text(record, person, whole)
    _add_attachments(record, person, parsed)
    _link(inbound, record, InboundMailStatus.COMMENTED)
    return record


def _create(inbound: InboundMail, parsed: ParsedMail, person,
            follow_up_of: Record | None = None) -> Record:
    title = parsed.subject or _("(no subject)")
    description = parsed.text
    if follow_up_of is not None:
        description = "\n\n".join(
            [_("Follow-up to %(number)s.") % {"number": follow_up_of.number}, description])
    description, whole = _fit_message_text(description, DESCRIPTION_MAX_LENGTH)
    record = services.create_record(ServiceRequest, actor=person, data={
        "organization": person.profile.organization,
        "title": title[:TITLE_MAX_LENGTH],
        "description": description,
        "requester": person,
        "channel": Channel.EMAIL,
    })
    _attach_whole_text(record, person, whole)
    notes = _add_attachments(record, person, parsed)
    if notes:
        services.add_comment(record, actor=None, body=_fit_comment("\n".join(notes)))
    _link(inbound, record, InboundMailStatus.CREATED)
    _queue_acknowledgement(inbound, parsed, record)
    return record


def _handle(inbound: InboundMail, raw: bytes) -> Record | None:
    parsed = parse_message(raw)
    inbound.from_address = parsed.from_address[:320]
    inbound.subject = parsed.subject[:500]
    if parsed.from_address.lower() == own_address().lower():
        inbound.status = InboundMailStatus.IGNORED
        inbound.reason = _("Sent from the intake address itself (mail loop).")
        return None
    person = find_person(parsed.from_address)
    target = find_reply_target(parsed)
    if target is not None:
        if person is None:
            raise MailRejected(_("unknown sender"))
        with audit.audit_context(source=AuditSource.EMAIL):
            record = _reply(inbound, parsed, person, target)
            if record is not None:
                return record
            return _create(inbound, parsed, person, follow_up_of=target)
    with audit.audit_context(source=AuditSource.EMAIL):
        if person is None:
            person = _contact_for(parsed)
        return _create(inbound, parsed, person)


def _error_text(exc: BaseException) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(str(m) for m in exc.messages)
    return str(exc) or type(exc).__name__


def process_message(raw: bytes, *, mailbox: str = "", size: int | None = None) -> IntakeResult:
    """Turn one raw message into a ticket or a comment, exactly once; never raises for
    anything wrong with the message itself (it is quarantined instead).

    ``size`` is the full size when ``raw`` holds only the header of a message too large
    to fetch.
    """
    headers = parse_headers(raw)
    message_id = clean_message_id(_header(headers, "Message-ID"))
    key = message_key(raw, message_id)
    from_address, _name = sender_of(headers)
    total = max(size or 0, len(raw))
    with transaction.atomic():
        try:
            with transaction.atomic():
                inbound = InboundMail.objects.create(
                    message_key=key, message_id=message_id[:998], mailbox=mailbox[:200],
                    from_address=from_address[:320],
                    subject=single_line(_header(headers, "Subject"), 500),
                    size=total, status=InboundMailStatus.QUARANTINED)
        except IntegrityError:
            return IntakeResult(IntakeResult.DUPLICATE)
        record = None
        reason = ""
        if total > settings.MAIL_MAX_BYTES:
            reason = _("The message is %(size)s; the limit is %(limit)s.") % {
                "size": filesizeformat(total), "limit": filesizeformat(settings.MAIL_MAX_BYTES)}
        else:
            try:
                with transaction.atomic():
                    record = _handle(inbound, raw)
            except MailRejected as exc:
                reason = exc.reason
            except (PermissionDenied, ValidationError) as exc:
                reason = _error_text(exc)
            except Exception as exc:  # the worker must survive any message
                logger.exception("mail intake: message %s could not be processed", key)
                reason = _("Processing failed: %(error)s") % {"error": _error_text(exc)[:500]}
        if reason:
            inbound.status = InboundMailStatus.QUARANTINED
            inbound.reason = reason
            inbound.record_type = None
            inbound.record_id = None
            inbound.raw.save(f"{key[:32]}.eml", ContentFile(raw), save=False)
        inbound.save()
    if reason:
        logger.warning("mail intake: quarantined %s from %s: %s", key, from_address, reason)
    return IntakeResult(inbound.status, inbound, record, inbound.reason)


# --- Acknowledgements -------------------------------------------------------------------


def make_message_id(number: str) -> str:
    domain = own_address().rsplit("@", 1)[-1].strip("<> ") or "localhost"
    domain = re.sub(r"[^A-Za-z0-9.-]", "", domain) or "localhost"
    return f"<itsm.{number}.{secrets.token_hex(8)}@{domain}>"


def acknowledgements_last_hour(address: str) -> int:
    since = timezone.now() - dt.timedelta(hours=1)
    return Notification.objects.filter(
        recipient__iexact=address, dedupe_key__startswith=ACK_DEDUPE_PREFIX,
        created_at__gte=since).count()


def _queue_acknowledgement(inbound: InboundMail, parsed: ParsedMail, record: Record) -> None:
    if parsed.no_auto_reply:
        return
    if acknowledgements_last_hour(parsed.from_address) >= ACK_LIMIT_PER_HOUR:
        logger.info("mail intake: acknowledgement limit reached for %s", parsed.from_address)
        return
    requester = record.requester
    language = getattr(getattr(requester, "profile", None), "language", None) or \
        settings.LANGUAGE_CODE
    with translation.override(language):
        subject = _("[%(number)s] Received: %(title)s") % {
            "number": record.number, "title": record.title}
        body = _(
            "Hello,\n\nwe have received your message and recorded it as %(number)s "
            "“%(title)s”.\nPlease keep %(number)s in the subject when you reply.\n\n"
            "This message was sent automatically."
        ) % {"number": record.number, "title": record.title}
    headers = {"Auto-Submitted": "auto-replied",
               "Message-ID": make_message_id(record.number)}
    original = clean_message_id(single_line(parsed.message_id))
    if original:
        headers["In-Reply-To"] = headers["References"] = original
    notification = Notification.objects.create(
        event=NotificationEvent.RECORD_CREATED, recipient=parsed.from_address,
        subject=single_line(subject, 255), body=body,
        payload={"kind": "mail_acknowledgement", "mail_headers": headers},
        record_type=ContentType.objects.get_for_model(type(record)), record_id=record.pk,
        organization_id=record.organization_id,
        dedupe_key=f"{ACK_DEDUPE_PREFIX}{inbound.message_key}")
    # Sent like every notification (claimed once, retried, re-queued if the job is lost).
    notifications.send_after_commit(notification.pk)


# --- IMAP -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImapConfig:
    scheme: str
    host: str
    port: int
    username: str
    password: str
    folder: str

    @property
    def label(self) -> str:
        return f"{self.username}@{self.host}:{self.port}/{self.folder}"


def parse_imap_url(url: str) -> ImapConfig:
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in {"imap", "imaps", "imap+starttls"}:
        raise ValueError(_("ITSM_IMAP_URL must start with imap://, imaps:// or imap+starttls://."))
    return ImapConfig(
        scheme=scheme,
        host=parts.hostname or "localhost",
        port=parts.port or (993 if scheme == "imaps" else 143),
        username=urllib.parse.unquote(parts.username or ""),
        password=urllib.parse.unquote(parts.password or ""),
        folder=urllib.parse.unquote(parts.path.lstrip("/")) or "INBOX",
    )


def _connect(config: ImapConfig):
    from imap_tools import MailBox, MailBoxStartTls, MailBoxUnencrypted

    if config.scheme == "imaps":
        box = MailBox(config.host, config.port, timeout=60)
    elif config.scheme == "imap+starttls":
        box = MailBoxStartTls(config.host, config.port, timeout=60)
    else:
        box = MailBoxUnencrypted(config.host, config.port, timeout=60)
    return box.login(config.username, config.password, initial_folder=config.folder)


def _fetch(box, uid: str, items: str) -> tuple[bytes, bytes]:
    """(response line, literal) of a UID FETCH; the literal is b"" when absent."""
    typ, data = box.client.uid("FETCH", uid, items)
    if typ != "OK":
        raise OSError(f"UID FETCH {uid} failed: {typ}")
    for item in data or []:
        if isinstance(item, tuple):
            return item[0], item[1]
    return b"", b""


def poll_mailbox(url: str | None = None) -> PollStats:
    """Fetch the UNSEEN messages of the intake mailbox once and process each."""
    url = settings.IMAP_URL if url is None else url
    stats = PollStats()
    if not url:
        return stats
    config = parse_imap_url(url)
    with _connect(config) as box:
        has_processed = box.folder.exists("Processed") and config.folder != "Processed"
        for uid in box.uids("UNSEEN", charset=None)[:POLL_BATCH]:
            try:
                line, header = _fetch(box, uid, "(RFC822.SIZE BODY.PEEK[HEADER])")
                match = re.search(rb"RFC822\.SIZE (\d+)", line)
                size = int(match.group(1)) if match else 0
                if size > settings.MAIL_MAX_BYTES:
                    raw = header
                else:
                    raw = _fetch(box, uid, "(BODY.PEEK[])")[1]
                result = process_message(raw, mailbox=config.label, size=size)
            except Exception:  # left unseen: tried again at the next poll
                logger.exception("mail intake: message UID %s could not be handled", uid)
                stats.errors += 1
                continue
            stats.fetched += 1
            stats.add(result)
            box.client.uid("STORE", uid, "+FLAGS", "(\\Seen)")
            if has_processed:
                box.move(uid, "Processed")
    return stats
