"""Size limits of what people and systems send in, in one place (issue 14).

Text fields: the model fields carry ``max_length`` (Django forms and DRF model
serializers enforce it: a field message, HTTP 400); the paths that write without a
form or serializer (email intake, monitoring alerts) cut their text to fit with
:func:`fit_text`. The limits are checked when a text is written, not on every later
save, so text stored before a limit existed stays readable and its record workable.

Request bodies of the API: JSON nested at most ``MAX_JSON_DEPTH`` levels
(``core.safejson``, 400) and at most ``API_MAX_BODY_BYTES`` unless they are multipart
uploads (``core.middleware.ApiRequestLimitsMiddleware``, 413). The README's API
section documents these numbers; keep it in step.
"""

from __future__ import annotations

from django.conf import settings

#: Titles of records (``Record.title``): unchanged since the first release.
TITLE_MAX_LENGTH = 200
#: Descriptions: of records, services, configuration items, teams, calendars …
DESCRIPTION_MAX_LENGTH = 20_000
#: Comments and internal notes, and other short notes (reasons, vote comments,
#: resolutions, a task's notes): the limit comments had before this module existed.
COMMENT_MAX_LENGTH = 20_000
#: Long documents typed into one field: change plans, reports, root-cause analyses,
#: emergency plans, meeting minutes, post-implementation reviews.
LONG_TEXT_MAX_LENGTH = 50_000

#: JSON nested deeper than this is refused before it is decoded (HTTP 400).
MAX_JSON_DEPTH = 64
#: The largest request body the API reads unless it is a multipart upload (HTTP 413);
#: attachments and import files go as multipart/form-data up to ``MAX_UPLOAD_BYTES``.
#: ``settings.API_MAX_BODY_BYTES`` overrides it.
DEFAULT_API_MAX_BODY_BYTES = 2 * 1024 * 1024


def api_max_body_bytes() -> int:
    """The body limit of the API in bytes (read at use, so tests may change it)."""
    return int(getattr(settings, "API_MAX_BODY_BYTES", DEFAULT_API_MAX_BODY_BYTES))


def fit_text(text: str, limit: int, marker: str) -> tuple[str, bool]:
    """``text`` if it has at most ``limit`` characters; otherwise its beginning followed
    by a blank line and ``marker`` (which says what happened), ``limit`` characters in
    all. The second value tells whether the text was cut."""
    if len(text) <= limit:
        return text, False
    tail = "\n\n" + marker
    if len(tail) >= limit:
        return tail.strip()[:limit], True
    return text[: limit - len(tail)].rstrip() + tail, True
