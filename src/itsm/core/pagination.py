"""Cursor (keyset) pagination shared by the API and the web UI lists."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination


class RecordCursorPagination(CursorPagination):
    """Stable pages at any depth: the cursor encodes a position, not an offset.

    A damaged or hand-made cursor (undecodable, or a position that does not fit the
    sort field) is a 400 with a message, never a 500.
    """

    ordering = ("-created_at", "-id")
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 200
    invalid_cursor_message = _(
        "This page link is no longer valid. Start again from the first page.")

    def paginate_queryset(self, queryset, request, view=None):
        try:
            return super().paginate_queryset(queryset, request, view)
        except (NotFound, DjangoValidationError, ValueError, TypeError) as exc:
            raise ValidationError({self.cursor_query_param: [self.invalid_cursor_message]}) from exc


class NamePagination(RecordCursorPagination):
    ordering = ("id",)
