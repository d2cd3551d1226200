"""The OpenAPI description of the API (drf-spectacular), where its guesses would lie."""

from __future__ import annotations

from typing import Any

from drf_spectacular import openapi


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's schema, except that the sub-lists of one object (a record's
    comments, attachments, timeline, transitions, links...) are not described with the
    list filters of their viewset: those only narrow which object the URL may name, they
    do not filter the sub-list."""

    def get_filter_backends(self) -> list[Any]:
        if getattr(self.view, "detail", False):
            return []
        return super().get_filter_backends()
