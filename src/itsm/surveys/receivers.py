"""Reactions of surveys.

- ``post_save`` of a ticket's ``SatisfactionRating``: a rating at or below the threshold
  (``ITSM_FEEDBACK_SCORE_THRESHOLD``, default 2) opens a feedback item for the rater.
- ``post_migrate`` of this app: the shipped default questionnaire, if missing (also
  after a ``flush``).
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.db import connections
from django.db.models.signals import post_migrate, post_save

from itsm.servicedesk.models import SatisfactionRating

from . import defaults, services


def open_feedback_for_low_rating(sender, instance: SatisfactionRating, created: bool,
                                 raw: bool = False, **kwargs: Any) -> None:
    if created and not raw:
        services.feedback_from_rating(instance)


def seed_after_migrate(sender, using: str = "default", **kwargs: Any) -> None:
    if "surveys_question" not in set(connections[using].introspection.table_names()):
        return  # migrating to an earlier state
    defaults.seed_default_questionnaire()


post_save.connect(open_feedback_for_low_rating, sender=SatisfactionRating,
                  dispatch_uid="surveys-low-rating-feedback")
post_migrate.connect(seed_after_migrate, sender=apps.get_app_config("surveys"))
