from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "itsm.core"
    label = "core"
    verbose_name = _("Platform")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from .search import ensure_indexes_after_migrate
        from .seed import seed_after_migrate

        post_migrate.connect(seed_after_migrate, sender=self)
        post_migrate.connect(ensure_indexes_after_migrate)  # every app with records
        from . import (
            checks,  # noqa: F401 - registers the system checks
            invalidation,  # noqa: F401 - cached who-is-who follows the directory
            retention,  # noqa: F401 - refuses deleting records inside retention
        )

