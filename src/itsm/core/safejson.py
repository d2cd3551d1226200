"""JSON from outside (request bodies, form fields, other servers' answers), decoded
only when it is not nested too deeply.

Python's decoder recurses once per level of arrays and objects: about a thousand
levels (a 2 kB body) end in ``RecursionError``, which no caller expects, hence a 500.
:func:`too_deep` counts the levels first, in one linear pass that never recurses and
stops at the first level past the limit, so 100,000 levels cost no more than 65.
"""

from __future__ import annotations

import json
import re
from typing import Any

from django.utils.translation import gettext as _

from .limits import MAX_JSON_DEPTH

#: A string (as JSON's own scanner reads one: a backslash escapes the next character),
#: a bracket, or a lone quote: the start of a string that never ends.
_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]|"', re.DOTALL)
_OPENING = frozenset("[{")
_CLOSING = frozenset("]}")


class JSONTooDeep(ValueError):
    """JSON nested deeper than the limit (a ``ValueError``, like any other bad JSON)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(too_deep_message(limit))


def too_deep_message(limit: int = MAX_JSON_DEPTH) -> str:
    return _("JSON nested deeper than %(limit)d levels.") % {"limit": limit}


def too_deep(text: str, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether ``text`` opens more than ``limit`` arrays/objects inside one another.

    Strings are skipped whole, so brackets inside them do not count. The scan can only
    over-count for text that is not JSON at all, and it stops where the decoder would
    fail (an unbalanced closing bracket, a string without its end): the decoder never
    goes deeper than the levels counted here.
    """
    depth = 0
    for match in _TOKEN.finditer(text):
        token = match.group()
        if token in _OPENING:
            depth += 1
            if depth > limit:
                return True
        elif token in _CLOSING:
            depth -= 1
            if depth < 0:
                return False
        elif len(token) == 1:  # a lone quote: the decoder stops here
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
