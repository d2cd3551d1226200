"""JSON from outside (request bodies, form fields, other servers' answers), decoded
only when it is not nested too deeply.

Python's decoder recurses once per level of arrays and objects: about a thousand
levels (a 2 kB body) end in ``RecursionError``, which no caller expects, hence a 500.
:func:`too_deep` counts the levels first, without recursion and in linear time (a few
milliseconds for 100,000 levels, tens for 3 MB of ordinary JSON).
"""

from __future__ import annotations

import json
import re
from typing import Any

from django.utils.translation import gettext as _

from .limits import MAX_JSON_DEPTH

#: A string as JSON's own scanner reads one (a backslash escapes the next character),
#: or a quote that opens a string without an end, with everything after it (the decoder
#: stops there). Possessive quantifiers: a failed match never backtracks.
_STRINGS = re.compile(r'"[^"\\]*+(?:\\.[^"\\]*+)*+"|".*', re.DOTALL)
#: The same strings one by one, the brackets, and a quote that opens a string without
#: an end; for the first look at a text (:func:`_too_deep_at_the_start`).
_TOKENS = re.compile(r'"[^"\\]*+(?:\\.[^"\\]*+)*+"|[\[\]{}]|"', re.DOTALL)
#: Tokens looked at one by one before the whole text is measured at once.
_FIRST_TOKENS = 1000
#: For ``bytes.translate``: every byte but the four brackets is deleted, and braces
#: become square brackets (the kind does not matter for the depth).
_NOT_BRACKETS = bytes(range(256)).translate(None, b"[]{}")
_ONE_KIND = bytes.maketrans(b"{}", b"[]")
_RUNS = re.compile(rb"\[+|\]+")
_OPENING = ord("[")
_OPENING_CHARS = frozenset("[{")
_CLOSING_CHARS = frozenset("]}")


class JSONTooDeep(ValueError):
    """JSON nested deeper than the limit (a ``ValueError``, like any other bad JSON)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(too_deep_message(limit))


def too_deep_message(limit: int = MAX_JSON_DEPTH) -> str:
    return _("JSON nested deeper than %(limit)d levels.") % {"limit": limit}


def too_deep(text: str, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether ``text`` opens more than ``limit`` arrays/objects inside one another.

    Exact for JSON; for text that is not JSON it may answer True where the decoder
    would have failed first, never False where the decoder would go deeper. Linear
    time, no recursion. The first thousand strings and brackets are looked at one by
    one (deep nesting usually starts there). Past them the text is measured at once:
    the strings are cut out (their brackets do not count) and only the brackets kept;
    a few passes delete the innermost empty pairs (each pass lowers the depth by
    exactly one, and flat data vanishes at C speed); one walk over the runs of opening
    and closing brackets left measures the rest.
    """
    if text.count("[") + text.count("{") <= limit:
        return False
    early = _too_deep_at_the_start(text, limit)
    if early is not None:
        return early
    skeleton = _STRINGS.sub("", text).encode("utf-8", "surrogatepass")
    brackets = skeleton.translate(_ONE_KIND, _NOT_BRACKETS)
    passes = 0
    while True:
        shorter = brackets.replace(b"[]", b"")
        removed = len(brackets) - len(shorter)
        if not removed:
            break
        passes += 1
        if passes > limit:
            return True
        brackets = shorter
        if removed * 8 < len(brackets) + removed:
            break  # few innermost pairs left: the walk below is short
    depth = 0
    for run in _RUNS.finditer(brackets):
        size = run.end() - run.start()
        if brackets[run.start()] == _OPENING:
            depth += size
            if depth + passes > limit:
                return True
        else:
            depth -= size
            if depth < 0:  # a closing bracket that closes nothing: the decoder stops
                return False
    return False


class BoundedJSONDecoder(json.JSONDecoder):
    """The decoder of the model ``JSONField``s people type into (``decoder=``): Django's
    form field, DRF's serializer field (form data) and the model field itself catch
    ``JSONDecodeError``, which JSON nested too deeply now is, instead of a
    ``RecursionError`` (a 500). A stored value deeper than the limit is read back as
    its text (Django's ``JSONField.from_db_value``)."""

    def decode(self, s: str, *args: Any, **kwargs: Any) -> Any:
        if too_deep(s):
            raise json.JSONDecodeError(too_deep_message(), s, 0)
        return super().decode(s, *args, **kwargs)


def _too_deep_at_the_start(text: str, limit: int) -> bool | None:
    """The answer from the first ``_FIRST_TOKENS`` strings and brackets of ``text``, or
    None when they do not settle it. Deep nesting is usually where JSON starts: found
    here after a few dozen tokens, whatever the size of the rest."""
    depth = 0
    for count, match in enumerate(_TOKENS.finditer(text)):
        if count == _FIRST_TOKENS:
            return None
        token = match.group()
        if token in _OPENING_CHARS:
            depth += 1
            if depth > limit:
                return True
        elif token in _CLOSING_CHARS:
            depth -= 1
            if depth < 0:  # closes nothing: the decoder stops here
                return False
        elif len(token) == 1:  # a string without an end: the decoder stops here
            return False
    return False


def loads(text: str | bytes, *, max_depth: int = MAX_JSON_DEPTH, **kwargs: Any) -> Any:
    """``json.loads`` that raises :class:`JSONTooDeep` (a ``ValueError``) instead of
    recursing through JSON nested deeper than ``max_depth``."""
    if isinstance(text, (bytes, bytearray)):
        text = text.decode(json.detect_encoding(text), "surrogatepass")
    if too_deep(text, max_depth):
        raise JSONTooDeep(max_depth)
    return json.loads(text, **kwargs)
