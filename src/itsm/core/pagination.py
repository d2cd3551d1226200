"""Cursor (keyset) pagination shared by the API and the web UI lists."""

from __future__ import annotations

from rest_framework.pagination import CursorPagination


class RecordCursorPagination(CursorPagination):
    """Stable pages at any depth: the cursor encodes a position, not an offset."""

    ordering = ("-created_at", "-id")
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 200


class NamePagination(RecordCursorPagination):
    ordering = ("id",)
