"""Email intake, decoding: declared charsets (GB2312/GBK read as GB18030, mislabelled
UTF-8), RFC 2047 headers, HTML bodies as text, and the quoted part of a reply."""

from __future__ import annotations

import codecs
import html
import re
from email.header import decode_header
from email.message import Message
from html.parser import HTMLParser
from typing import Any

from itsm.core.text import single_line

GB_CODECS = frozenset({"gb2312", "gbk", "gb18030"})


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


def header_text(msg: Message | None, name: str) -> str:
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


def tidy_text(text: str, *, collapse_spaces: bool = False) -> str:
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
        return tidy_text("".join(parser.parts), collapse_spaces=True)
    markup = re.sub(r"(?i)<br\s*/?>", "\n", markup)
    markup = re.sub(r"(?i)</(p|div|tr|li|h[1-6]|table|blockquote|pre)\s*>", "\n", markup)
    markup = re.sub(r"(?i)<hr\b[^>]*>", "\n", markup)
    cleaned = nh3.clean(markup, tags=set(), attributes={},
                        clean_content_tags={"script", "style", "head", "title"})
    return tidy_text(html.unescape(cleaned), collapse_spaces=True)


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
    return tidy_text("\n".join(kept))
