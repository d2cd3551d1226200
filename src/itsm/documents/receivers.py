"""The controlled documents' reactions to the core write path (``core.reactions`` orders
them), and the lock that makes disposal the only way a document goes.

- ``record_transitioned``: ``approvals`` — the record-level rule of the manual moves
  (submit, withdraw, revise: who may edit the document; raising rolls the move back,
  whatever interface asked), then what follows (publishing a replacement supersedes the
  document it replaces); ``notifications`` — a submitted document asks its reviewers.
- ``pre_delete`` of documents, their versions, reviews and access log, and of disposal
  records: refused (409) unless ``disposal.dispose`` is removing the document — the
  service, the API, the pages, the admin, a queryset's ``delete()`` and the nightly purge
  of closed records alike. Inside the retention period ``core.retention`` refuses first.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import pre_delete
from django.dispatch import receiver
from django.utils.translation import gettext as _

from itsm.core import signals
from itsm.core.exceptions import RetentionError
from itsm.core.reactions import reaction

from . import services
from .models import (
    ControlledDocument,
    DisposalRecord,
    DocumentAccess,
    DocumentReview,
    DocumentVersion,
    is_disposing,
)


@reaction(signals.record_transitioned, "approvals", sender=ControlledDocument)
def guard_and_follow(sender, record: ControlledDocument, actor=None, transition: str = "",
                     **kwargs: Any) -> None:
    services.check_transition(record, transition, actor)
    services.after_transition(record, transition, actor)


@reaction(signals.record_transitioned, "notifications", sender=ControlledDocument)
def ask_for_review(sender, record: ControlledDocument, actor=None, transition: str = "",
                   **kwargs: Any) -> None:
    if transition == "submit":
        services.ask_reviewers(record, actor)


@receiver(pre_delete, sender=ControlledDocument, dispatch_uid="documents-keep-documents")
def keep_documents(sender, instance: ControlledDocument, **kwargs: Any) -> None:
    if not is_disposing():
        raise RetentionError(_(
            "%(number)s is a controlled document: it is not deleted but disposed of, once "
            "archived and past its retention period (%(date)s), with a reason.")
            % {"number": instance.number, "date": instance.retained_until.isoformat()})


@receiver(pre_delete, sender=DocumentVersion, dispatch_uid="documents-keep-versions")
@receiver(pre_delete, sender=DocumentReview, dispatch_uid="documents-keep-reviews")
@receiver(pre_delete, sender=DocumentAccess, dispatch_uid="documents-keep-access-log")
def keep_history(sender, instance: Any, **kwargs: Any) -> None:
    if not is_disposing():
        raise RetentionError(_("The versions, reviews and access log of a document go "
                               "only with its disposal."))


@receiver(pre_delete, sender=DisposalRecord, dispatch_uid="documents-keep-disposals")
def keep_disposals(sender, instance: DisposalRecord, **kwargs: Any) -> None:
    raise RetentionError(_("Disposal records are kept for good."))
