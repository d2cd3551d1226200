"""The API's JSON parser: bounded in size and depth, with messages in the reader's
language (``REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]``; views that name their parsers
import ``JSONParser`` from here)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils import json

from .. import limits, safejson
from ..exceptions import RequestBodyTooLarge


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser that refuses, before decoding anything:

    - a body larger than ``limits.api_max_body_bytes()`` (413, also when no
      Content-Length announced it; ``ApiRequestLimitsMiddleware`` refuses those that
      do before the body is read);
    - JSON nested deeper than ``limits.MAX_JSON_DEPTH`` levels (400), which Python's
      recursive decoder would answer with ``RecursionError``.
    """

    def parse(self, stream, media_type: str | None = None,
              parser_context: dict[str, Any] | None = None) -> Any:
        parser_context = parser_context or {}
        encoding = parsers.get_encoding(parser_context)
        limit = limits.api_max_body_bytes()
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise RequestBodyTooLarge(limits.body_too_large_message(limit))
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError as exc:
            raise ParseError(_("The request body is not valid %(encoding)s text.")
                             % {"encoding": encoding}) from exc
        try:
            return safejson.loads(
                text, parse_constant=json.strict_constant if self.strict else None)
        except safejson.JSONTooDeep as exc:
            raise ParseError(str(exc)) from exc
        except ValueError as exc:
            raise ParseError(_("JSON parse error: %(error)s") % {"error": exc}) from exc
