"""The reactions of the knowledge base to the record write path (``core.reactions``
orders them).

- ``record_transitioned``, ``approvals``: an approved article (or its approved changes)
  becomes what readers read, and its next review is an interval away.
- ``record_transitioned``, ``notifications``: the reviewer hears of a submitted article;
  the author and owner of the reviewer's decision.
- ``post_migrate`` of this app: the shared default categories, if missing (also after a
  test flushes the database).
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.db import connections
from django.db.models.signals import post_migrate
from django.utils import translation
from django.utils.translation import gettext as _

from itsm.core import signals
from itsm.core.choices import NotificationEvent
from itsm.core.notifications import absolute, by_language, notify
from itsm.core.reactions import reaction

from . import services
from .choices import PUBLISHING, seed_default_categories
from .models import Article, KnowledgeCategory


@reaction(signals.record_transitioned, "approvals", sender=Article)
def publish_on_approval(sender, record, actor=None, transition="", **kwargs) -> None:
    if transition in PUBLISHING:
        services.published(record, actor=actor)


@reaction(signals.record_transitioned, "notifications", sender=Article)
def tell_of_the_review(sender, record, actor=None, transition="", **kwargs) -> None:
    if transition == "submit":
        people, event = [record.reviewer], NotificationEvent.APPROVAL_REQUESTED
    elif transition in (*PUBLISHING, "reject"):
        people, event = [record.requester, record.owner], NotificationEvent.APPROVAL_DECIDED
    else:
        return
    for language, recipients in by_language(people, actor).items():
        with translation.override(language):
            values = {"number": record.number, "title": record.title,
                      "url": absolute(record.get_absolute_url())}
            if transition == "submit":
                subject = _("[%(number)s] Knowledge article to review") % values
                body = _("Please review the knowledge article “%(title)s”: %(url)s") % values
            elif transition == "reject":
                subject = _("[%(number)s] Your article was sent back") % values
                body = _("The reviewer sent “%(title)s” back to you; the reason is in its "
                         "comments: %(url)s") % values
            else:
                subject = _("[%(number)s] Your article was published") % values
                body = _("“%(title)s” is published: %(url)s") % values
            notify(event, record=record, recipients=recipients, subject=subject, body=body,
                   language=language, actor=actor,
                   dedupe_key=f"knowledge-review:{record.pk}:{record.version}:{language}")


def seed_after_migrate(sender, using: str = "default", **kwargs: Any) -> None:
    if "knowledge_knowledgecategory" not in set(connections[using].introspection.table_names()):
        return
    seed_default_categories(KnowledgeCategory)


post_migrate.connect(seed_after_migrate, sender=apps.get_app_config("knowledge"))
