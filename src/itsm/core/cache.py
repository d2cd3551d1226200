"""The Redis cache backend, tolerant of Redis being down.

The cache only spares work (business calendars, rate-limit counters): while Redis is
down or restarting, a read misses and a write is dropped, so tickets can still be
created and people can still log in. Rate limits are not enforced during such an
outage (login lockouts are kept in the database and still hold). Without this, every
request touching the cache answered 500 until Redis came back.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from typing import Any

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

#: At most one warning per process in this many seconds while Redis is unreachable.
WARN_EVERY = 30.0
_last_warning = 0.0


def _unavailable(operation: str, exc: Exception) -> None:
    global _last_warning
    now = time.monotonic()
    if now - _last_warning >= WARN_EVERY:
        _last_warning = now
        logger.warning("cache unavailable (%s skipped): %s", operation, exc)


def _get_default(args: tuple, kwargs: dict) -> Any:
    return kwargs.get("default", args[1] if len(args) > 1 else None)


def _all_keys_failed(args: tuple, kwargs: dict) -> list[Any]:
    return list(kwargs.get("data", args[0] if args else {}))


#: What each operation answers while Redis is unreachable: a read misses (the default,
#: nothing, no key), a write is dropped (set_many reports every key as not written).
_FALLBACKS: dict[str, Callable[[tuple, dict], Any]] = {
    "get": _get_default,
    "get_many": lambda args, kwargs: {},
    "has_key": lambda args, kwargs: False,
    "set": lambda args, kwargs: None,
    "set_many": _all_keys_failed,
    "add": lambda args, kwargs: False,
    "touch": lambda args, kwargs: False,
    "delete": lambda args, kwargs: False,
    "delete_many": lambda args, kwargs: None,
}


def _tolerant(name: str, fallback: Callable[[tuple, dict], Any]) -> Callable[..., Any]:
    def operation(self: RedisCache, *args: Any, **kwargs: Any) -> Any:
        try:
            return getattr(super(ResilientRedisCache, self), name)(*args, **kwargs)
        except RedisError as exc:
            _unavailable(name, exc)
            return fallback(args, kwargs)

    operation.__name__ = operation.__qualname__ = name
    return operation


class ResilientRedisCache(RedisCache):
    """Django's Redis cache, except that Redis errors read as misses and lost writes
    (the operations of ``_FALLBACKS``, added below)."""


for _name, _fallback in _FALLBACKS.items():
    setattr(ResilientRedisCache, _name, _tolerant(_name, _fallback))


# --- Versioned families of cached data ------------------------------------------------------
# Data derived from rarely changing tables (calendars, the catalogue) is cached under a key
# that carries the family's version token; a change deletes the token, so every process
# computes anew at its next read. The token is deleted again when the transaction commits:
# a process that read the old rows in the meantime cached them under a token nobody uses.


def _version_key(family: str) -> str:
    return f"itsm:version:{family}"


def version(family: str) -> str:
    """The current version token of ``family`` (a new one when there is none)."""
    from django.core.cache import cache

    token = cache.get(_version_key(family))
    if token is None:
        token = uuid.uuid4().hex
        if not cache.add(_version_key(family), token, None):
            token = cache.get(_version_key(family)) or token
    return token


def bump(*families: str) -> None:
    """Invalidate everything cached under ``families`` now and once more on commit."""
    from django.core.cache import cache
    from django.db import transaction

    keys = [_version_key(f) for f in families]
    cache.delete_many(keys)
    transaction.on_commit(lambda: cache.delete_many(keys))


#: Cached reference data is read anew at least this often (seconds).
REFERENCE_SECONDS = 3600


def cached(family: str, key: str, compute: Callable[[], Any],
           timeout: int = REFERENCE_SECONDS) -> Any:
    """``compute()`` (never None), kept under ``key`` until ``family`` changes (``bump``)
    or ``timeout`` seconds have passed."""
    from django.core.cache import cache

    full_key = f"itsm:{family}:{key}:{version(family)}"
    value = cache.get(full_key)
    if value is None:
        value = compute()
        cache.set(full_key, value, timeout)
    return value


def bump_on_change(family: str, *models: type, through: tuple[type, ...] = (),
                   unless_only: frozenset[str] = frozenset()) -> None:
    """Renew ``family`` whenever a row of ``models`` is saved or deleted, or a
    many-to-many ``through`` table is changed, whichever path does it (services, the
    Django admin, fixtures). A save of ``unless_only`` fields alone changes nothing."""
    from django.db.models.signals import m2m_changed, post_delete, post_save

    def changed(sender, update_fields=None, **kwargs) -> None:
        if update_fields is not None and unless_only and set(update_fields) <= unless_only:
            return
        bump(family)

    def members_changed(sender, action: str, **kwargs) -> None:
        if action in {"post_add", "post_remove", "post_clear"}:
            bump(family)

    for model in models:
        post_save.connect(changed, sender=model, weak=False, dispatch_uid=f"{family}-{model}")
        post_delete.connect(changed, sender=model, weak=False,
                            dispatch_uid=f"{family}-{model}-deleted")
    for table in through:
        m2m_changed.connect(members_changed, sender=table, weak=False,
                            dispatch_uid=f"{family}-{table}")
