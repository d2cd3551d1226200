"""Queueing background jobs from inside a transaction."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction


def queue_after_commit(job: Callable[..., Any], *args: Any) -> None:
    """Call ``job(*args)`` (it queues a huey task) once the current transaction commits,
    nothing when it rolls back.

    Robust: a job queue that is down (Redis) is logged and the saved change still
    succeeds; what the job was for stays recorded (a pending notification is queued
    again by ``retry_pending_notifications``). The hook is a named function, not a
    ``functools.partial``: Django logs a failed robust hook by its ``__qualname__``,
    which a partial lacks — the AttributeError turned a Redis outage into a 500."""

    def queue_job() -> None:
        job(*args)

    queue_job.__qualname__ = f"queue_after_commit({getattr(job, '__name__', job)})"
    transaction.on_commit(queue_job, robust=True)
