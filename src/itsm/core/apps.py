from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "itsm.core"
    label = "core"
    verbose_name = _("Platform")

    def ready(self) -> None:
        from django.core.signals import request_started
        from django.db.models.signals import post_migrate
        from huey.contrib.djhuey import HUEY
        from huey.signals import SIGNAL_EXECUTING

        from .cache import begin_scope
        from .search import ensure_indexes_after_migrate
        from .seed import seed_after_migrate

        post_migrate.connect(seed_after_migrate, sender=self)
        post_migrate.connect(ensure_indexes_after_migrate)  # every app with records
        # Cached reference data is checked for changes once per request and per job.
        request_started.connect(begin_scope, dispatch_uid="itsm-cache-scope")
        HUEY.signal(SIGNAL_EXECUTING)(begin_scope)
        from . import (
            checks,  # noqa: F401 - registers the system checks
            invalidation,  # noqa: F401 - cached who-is-who follows the directory
            retention,  # noqa: F401 - refuses deleting records inside retention
        )

