"""Email intake, the IMAP fetcher: ``poll_mailbox`` reads the UNSEEN messages of the
mailbox of ``ITSM_IMAP_URL`` (at most ``POLL_BATCH`` a poll), hands each to
``intake.process_message`` and flags it seen (or moves it to "Processed")."""

from __future__ import annotations

import logging
import re
import urllib.parse
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

from ..choices import InboundMailStatus
from .intake import IntakeResult, process_message

logger = logging.getLogger(__name__)

#: Messages handled per poll; the rest wait for the next one.
POLL_BATCH = 200


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
