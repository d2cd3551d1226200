"""Text rules shared by mail intake, notifications and notification templates."""

from __future__ import annotations

import re

#: Control characters, including the Unicode line and paragraph separators.
CONTROL_RE = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")


def single_line(value: object, limit: int | None = None) -> str:
    """One line: control characters (CR, LF …) become spaces and runs of blanks one space
    — safe for mail headers (no header injection) and one-line fields."""
    text = " ".join(CONTROL_RE.sub(" ", str(value)).split())
    return text[:limit] if limit else text
