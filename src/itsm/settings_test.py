"""Settings for the test suite: the real settings with fast hashing and immediate jobs.

The database comes from ITSM_DATABASE_URL as usual, so the same tests run on SQLite
(default) and on PostgreSQL (``make test`` runs both).
"""

import tempfile

from .settings import *  # noqa: F403
from .settings import HUEY

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
HUEY = {**HUEY, "immediate": True}
MEDIA_ROOT = tempfile.mkdtemp(prefix="itsm-test-media-")
# Tests serve assets through the finders; an existing, empty STATIC_ROOT keeps
# WhiteNoise from warning on every request of a fresh checkout.
STATIC_ROOT = tempfile.mkdtemp(prefix="itsm-test-static-")
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
AXES_ENABLED = True
# Tests log administrators in with force_login; the two-factor tests turn the
# requirement on with the ``settings`` fixture.
ITSM_2FA_REQUIRED_ROLES: list[str] = []
# One in-process cache, emptied before every test by conftest (rate-limit counters must
# not leak from one test into the next); live-server threads share it.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                      "LOCATION": "itsm-test"}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Each run gets its own PostgreSQL test database, so concurrent runs never collide.
if DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":  # noqa: F405
    import os

    DATABASES["default"]["TEST"] = {"NAME": f"test_itsm_{os.getpid()}"}  # noqa: F405
    # A test database is thrown away: commits need not wait for the disk (the committed
    # world, transactional tests' flushes), which saves minutes of a run.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = (  # noqa: F405
        "-c synchronous_commit=off")
# A test-only register (core/tests/example_register): a record type made of declarations
# on the shared mechanisms; the framework tests (test_register.py) drive it.
INSTALLED_APPS = [*INSTALLED_APPS, "itsm.core.tests.example_register"]  # noqa: F405
