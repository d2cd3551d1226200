"""What a serving process loads when it starts instead of on a user's first request.

Some things load on first use: the jieba tokenizer (a trimmed dictionary built in memory,
~1 s: ``core.search``; every record written gets a segmented search text), the
translation catalogues of each language, the URL map with every app's views and API
(imported by the first request that resolves a URL). Left lazy, the first person to
write after a start waits for all of it. ``warm_up`` loads them when a web worker
starts (``itsm.wsgi``: gunicorn, ``itsm serve`` and ``itsm runserver``) and when the job
worker starts (``itsm worker``, which creates tickets from mail and alerts). The test
suite does not call it: it would only slow down its start.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.urls import get_resolver
from django.utils import translation

from . import search

logger = logging.getLogger(__name__)


def warm_up() -> dict[str, float]:
    """Load what the first requests would load lazily; the seconds each part took
    (nothing when ``ITSM_WARM_UP`` is off)."""
    took: dict[str, float] = {}
    if not settings.ITSM_WARM_UP:
        return took
    for name, load in (("search tokenizer", _search), ("translations", _translations),
                       ("URL map", _urls)):
        started = time.perf_counter()
        load()
        took[name] = round(time.perf_counter() - started, 3)
    logger.info("warmed up: %s", ", ".join(f"{k} {v:.3f} s" for k, v in took.items()))
    return took


def _search() -> None:
    search.words("服务器宕机 打印机卡纸 warm-up")


def _translations() -> None:
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            translation.gettext("Service requests")


def _urls() -> None:
    resolver = get_resolver()
    resolver.url_patterns  # noqa: B018 - imports every app's urls, views and API
    resolver.reverse_dict  # noqa: B018 - and builds the reverse lookup of the names
