"""The Redis cache backend, tolerant of Redis being down.

The cache only spares work (business calendars, rate-limit counters): while Redis is
down or restarting, a read misses and a write is dropped, so tickets can still be
created and people can still log in. Rate limits are not enforced during such an
outage (login lockouts are kept in the database and still hold). Without this, every
request touching the cache answered 500 until Redis came back.
"""

from __future__ import annotations

import logging
import pickle
import threading
import time
import uuid
from collections import OrderedDict
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
#
# Two levels spare the round trips to the shared cache (several per request otherwise):
# - the version tokens are read once per *scope* (a request, a job; at most
#   ``SCOPE_SECONDS`` elsewhere), all families in one read; a change made in this process
#   forgets them at once, a change made elsewhere is seen from the next scope on;
# - the values are kept in process memory as well, pickled: every read gets its own copy,
#   as from the shared cache, so a caller changing what it got changes nobody else's.
#   A key carries its version token, so an entry is never stale, only unused.

#: Version tokens read at the start of a scope are trusted this long without a new one.
SCOPE_SECONDS = 2.0
#: Values kept in process memory; beyond this the oldest are dropped.
LOCAL_ENTRIES = 2048

_FAMILIES: set[str] = set()
_scope = threading.local()
_local: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
_local_lock = threading.Lock()


def _version_key(family: str) -> str:
    return f"itsm:version:{family}"


def begin_scope(*_args: Any, **_kwargs: Any) -> None:
    """Read the version tokens anew at their next use (a request or a job starts; a test
    emptied the shared cache). Connected to ``request_started`` and huey's task start."""
    _scope.versions = None


def _versions() -> dict[str, str]:
    versions = getattr(_scope, "versions", None)
    if versions is None or time.monotonic() - _scope.started > SCOPE_SECONDS:
        from django.core.cache import cache

        found = cache.get_many([_version_key(f) for f in _FAMILIES])
        versions = {f: found[_version_key(f)] for f in _FAMILIES if _version_key(f) in found}
        _scope.versions, _scope.started = versions, time.monotonic()
    return versions


def version(family: str) -> str:
    """The current version token of ``family`` (a new one when there is none)."""
    from django.core.cache import cache

    _FAMILIES.add(family)
    versions = _versions()
    token = versions.get(family)
    if token is None:
        token = cache.get(_version_key(family))
        if token is None:
            token = uuid.uuid4().hex
            if not cache.add(_version_key(family), token, None):
                token = cache.get(_version_key(family)) or token
        versions[family] = token
    return token


def bump(*families: str) -> None:
    """Invalidate everything cached under ``families`` now and once more on commit."""
    from django.core.cache import cache
    from django.db import transaction

    keys = [_version_key(f) for f in families]

    def forget() -> None:
        cache.delete_many(keys)
        for family in families:
            (getattr(_scope, "versions", None) or {}).pop(family, None)

    forget()
    transaction.on_commit(forget)


#: Cached reference data is read anew at least this often (seconds).
REFERENCE_SECONDS = 3600


def cached(family: str, key: str, compute: Callable[[], Any],
           timeout: int = REFERENCE_SECONDS) -> Any:
    """``compute()`` (never None), kept under ``key`` until ``family`` changes (``bump``)
    or ``timeout`` seconds have passed: from this process's memory, else the shared
    cache, else computed and kept in both."""
    from django.core.cache import cache

    full_key = f"itsm:{family}:{key}:{version(family)}"
    now = time.monotonic()
    entry = _local.get(full_key)
    if entry is not None and entry[0] > now:
        return pickle.loads(entry[1])  # noqa: S301  # nosec B301 - bytes this process pickled
    value = cache.get(full_key)
    if value is None:
        value = compute()
        cache.set(full_key, value, timeout)
    with _local_lock:
        _local[full_key] = (now + timeout, pickle.dumps(value, pickle.HIGHEST_PROTOCOL))
        while len(_local) > LOCAL_ENTRIES:
            _local.popitem(last=False)
    return value


def forget_local() -> None:
    """Drop what this process keeps (tests that empty the shared cache call this)."""
    with _local_lock:
        _local.clear()
    begin_scope()


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
