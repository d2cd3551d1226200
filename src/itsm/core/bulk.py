"""Bulk actions on records: one operation (assign, a transition, a comment) applied to
each of the records chosen on a list or named in the API, through the same service
functions as one at a time — each record in its own savepoint, audited, notified —
with a result line per record: done, or why not.

The page (``core.views.RecordBulkView``) and the API (``RecordViewSet.bulk``) differ
only in how they read the operation; both call :func:`apply_each`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from rest_framework.exceptions import APIException

from .exceptions import WorkflowError
from .filtersets import MAX_ID
from .models import Record

#: Records one bulk action may touch.
MAX_RECORDS = 200


@dataclass(frozen=True)
class BulkResult:
    """What became of one record: ``ok``, or the ``message`` saying why not."""

    id: int
    number: str
    ok: bool
    message: str = ""
    url: str = ""


def _text(detail: Any) -> str:
    """A readable line from a service or API error's messages (field: message)."""
    if isinstance(detail, dict):
        return "; ".join(f"{k}: {_text(v)}" if k not in ("__all__", "non_field_errors")
                         else _text(v) for k, v in detail.items())
    if isinstance(detail, list | tuple):
        return " ".join(_text(v) for v in detail)
    return str(detail)


def check_ids(ids: Iterable[int]) -> list[int]:
    """The ids in order, each once; more than :data:`MAX_RECORDS` is a field error."""
    unique = list(dict.fromkeys(ids))
    if any(not 1 <= pk <= MAX_ID for pk in unique):
        raise ValidationError({"ids": _("Choose records from the list.")})
    if not unique:
        raise ValidationError({"ids": _("Choose at least one record.")})
    if len(unique) > MAX_RECORDS:
        raise ValidationError({"ids": _("Choose at most %(max)d records at a time.")
                               % {"max": MAX_RECORDS}})
    return unique


def apply_each(queryset: QuerySet, ids: Iterable[int],
               operation: Callable[[Record], Any]) -> list[BulkResult]:
    """Run ``operation`` on each record of ``queryset`` (the actor's scope) named by
    ``ids``, each in its own savepoint: one refused record leaves the others done. A
    record outside the scope is "not found", as it would be alone."""
    ids = check_ids(ids)
    records = queryset.in_bulk(ids)
    results = []
    for pk in ids:
        record = records.get(pk)
        if record is None:
            results.append(BulkResult(pk, "", False, _("Not found.")))
            continue
        try:
            with transaction.atomic():
                operation(record)
        except ValidationError as exc:
            message = _text(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
        except (PermissionDenied, WorkflowError) as exc:
            message = str(exc) or _("You may not do this.")
        except APIException as exc:
            message = _text(exc.detail)
        else:
            results.append(BulkResult(pk, record.number, True, url=record.get_absolute_url()))
            continue
        results.append(BulkResult(pk, record.number, False, message,
                                  url=record.get_absolute_url()))
    return results
