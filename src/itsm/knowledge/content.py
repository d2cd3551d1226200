"""An article's rich text: sanitized with nh3 on every save, its plain text for search,
and the differences between two revisions.

The body is HTML typed or pasted by staff. It is cleaned with a fixed allow-list before it
is stored, so every page can show it as it is: headings, paragraphs, emphasis, lists,
quotes, code, tables and links (http, https and mailto only, opened with ``noopener``);
images only when they are files of the article itself, served by the access-checked
``knowledge:article-file`` view. Anything else (scripts, styles, event handlers, frames,
``javascript:`` links, images from elsewhere) is dropped.
"""

from __future__ import annotations

import difflib
import html
import re
from dataclasses import dataclass

import nh3
from django.utils.translation import gettext as _

#: The tags an article body may hold.
ALLOWED_TAGS = frozenset({
    "p", "br", "h2", "h3", "h4", "strong", "em", "u", "s", "ul", "ol", "li", "blockquote",
    "pre", "code", "table", "thead", "tbody", "tr", "th", "td", "a", "img",
})
ALLOWED_ATTRIBUTES = {"a": {"href"}, "img": {"src", "alt"}, "th": {"colspan", "rowspan"},
                      "td": {"colspan", "rowspan"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
#: The only images a body may show: files of an article, through the checked view.
IMAGE_SOURCE = re.compile(r"^/knowledge/articles/\d+/files/\d+/$")
#: Elements whose content goes with them (not left behind as text).
DROPPED_WITH_CONTENT = frozenset({"script", "style", "iframe", "object", "embed", "noscript",
                                  "template", "svg", "math"})
#: Tags after which the plain text starts a new line.
BLOCK_END = re.compile(r"</(p|h2|h3|h4|li|blockquote|pre|tr|table|ul|ol)>|<br\s*/?>",
                       re.IGNORECASE)
TAG = re.compile(r"<[^>]*>")


def _attribute(tag: str, name: str, value: str) -> str | None:
    if tag == "img" and name == "src":
        return value if IMAGE_SOURCE.match(value) else None
    if name in ("colspan", "rowspan"):
        return value if value.isdigit() and 0 < int(value) <= 50 else None
    return value


def sanitize(markup: str | None) -> str:
    """``markup`` reduced to the allow-list (see the module's docstring)."""
    if not markup:
        return ""
    cleaned = nh3.clean(markup, tags=set(ALLOWED_TAGS), attributes={
        k: set(v) for k, v in ALLOWED_ATTRIBUTES.items()},
        clean_content_tags=set(DROPPED_WITH_CONTENT), attribute_filter=_attribute,
        url_schemes=set(URL_SCHEMES), link_rel="noopener noreferrer", strip_comments=True)
    # An <img> whose source was refused is left without one: drop it.
    return re.sub(r"<img(?![^>]*\ssrc=)[^>]*>", "", cleaned)


def text_of(markup: str | None) -> str:
    """The words of a body without its tags, a line per block (search, diffs)."""
    if not markup:
        return ""
    text = TAG.sub("", BLOCK_END.sub("\n", markup))
    lines = (" ".join(html.unescape(line).split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


# --- Differences between revisions ---------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    """Part of a changed line: ``changed`` when it differs from the other side."""

    text: str
    changed: bool = False


@dataclass(frozen=True)
class DiffLine:
    """One row of a side-by-side diff: ``op`` is equal, delete, insert or replace."""

    op: str
    old: tuple[Segment, ...] = ()
    new: tuple[Segment, ...] = ()

    @property
    def old_text(self) -> str | None:
        return "".join(s.text for s in self.old) if self.op != "insert" else None

    @property
    def new_text(self) -> str | None:
        return "".join(s.text for s in self.new) if self.op != "delete" else None


@dataclass(frozen=True)
class FieldDiff:
    name: str
    label: str
    lines: tuple[DiffLine, ...]

    @property
    def changed(self) -> bool:
        return any(line.op != "equal" for line in self.lines)


def _segments(old: str, new: str) -> tuple[tuple[Segment, ...], tuple[Segment, ...]]:
    """The characters two versions of a line share and those that differ (Chinese has
    no spaces to split words on: compared by character)."""
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    left: list[Segment] = []
    right: list[Segment] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if old[i1:i2]:
            left.append(Segment(old[i1:i2], op != "equal"))
        if new[j1:j2]:
            right.append(Segment(new[j1:j2], op != "equal"))
    return tuple(left), tuple(right)


def diff_lines(old: str, new: str) -> tuple[DiffLine, ...]:
    """The lines of ``old`` and ``new`` paired up: unchanged, removed, added, or
    replaced (with the changed characters marked)."""
    a, b = old.splitlines(), new.splitlines()
    rows: list[DiffLine] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            rows += [DiffLine("equal", (Segment(line),), (Segment(line),)) for line in a[i1:i2]]
            continue
        olds, news = a[i1:i2], b[j1:j2]
        for k in range(max(len(olds), len(news))):
            if k < len(olds) and k < len(news):
                left, right = _segments(olds[k], news[k])
                rows.append(DiffLine("replace", left, right))
            elif k < len(olds):
                rows.append(DiffLine("delete", old=(Segment(olds[k], True),)))
            else:
                rows.append(DiffLine("insert", new=(Segment(news[k], True),)))
    return tuple(rows)


def diff_fields(old: dict[str, str], new: dict[str, str], labels: dict[str, str]
                ) -> list[FieldDiff]:
    """Per field (in the order of ``labels``) the diff of its text in two revisions."""
    return [FieldDiff(name, label, diff_lines(old.get(name) or "", new.get(name) or ""))
            for name, label in labels.items()]


def part_labels() -> dict[str, str]:
    """The parts of an article a revision keeps, labelled in the reader's language, in
    the order pages and diffs show them."""
    return {"title": _("Title"), "description": _("Summary"), "keywords": _("Keywords"),
            "symptom": _("Symptom"), "cause": _("Cause"), "solution": _("Solution"),
            "body": _("Content")}
