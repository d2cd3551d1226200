"""Size limits of what people and systems send in, in one place (issue 14).

Text fields carry ``max_length`` (the constants below): Django forms and DRF model
serializers enforce it with a field message (HTTP 400 in the API, a form error on a
page), and the service layer checks the text fields it writes
(:func:`text_length_errors`; text stored before a limit existed does not stop other
changes). Paths that write what nobody typed into a form — email intake, monitoring
alerts — cut their text to fit with :func:`fit_text` and say so at its end.

Request bodies of the API: JSON nested at most ``MAX_JSON_DEPTH`` levels
(``core.safejson``, 400) and at most :func:`api_max_body_bytes` unless they are
multipart uploads (``core.middleware.ApiRequestLimitsMiddleware``, 413). The README's
API section documents these numbers; keep it in step.
"""

from __future__ import annotations

from collections.abc import Collection

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

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


def size_text(size: int) -> str:
    """``2.0 MB``: Django's size format with a plain space (it puts a no-break space
    there for HTML pages; JSON clients compare and log the message)."""
    return filesizeformat(size).replace("\xa0", " ")


def body_too_large_message(limit: int | None = None) -> str:
    """The API's answer to a body over its limit (413), naming the limit."""
    return _("The request body is larger than %(limit)s, the most the API accepts "
             "(attachments and import files: upload them as multipart/form-data).") % {
        "limit": size_text(api_max_body_bytes() if limit is None else limit)}


def text_length_errors(instance: models.Model, names: Collection[str] | None = None
                       ) -> dict[str, list[str]]:
    """Django's field message for each text field of ``instance`` (all of them, or those
    in ``names``: the fields being written) longer than its ``max_length``. Django's
    model validation leaves that check to the forms for a ``TextField``; the service
    layer asks here, for the fields it writes only, so older longer text does not stop
    other changes."""
    errors: dict[str, list[str]] = {}
    for field in instance._meta.concrete_fields:
        if (not isinstance(field, models.TextField) or field.max_length is None
                or (names is not None and field.name not in names)):
            continue
        value = getattr(instance, field.attname)
        if isinstance(value, str) and len(value) > field.max_length:
            try:
                MaxLengthValidator(field.max_length)(value)
            except ValidationError as exc:
                errors[field.name] = exc.messages
    return errors


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
