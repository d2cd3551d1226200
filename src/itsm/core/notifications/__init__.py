"""Notifications (GEN-6): email to people, IM robots and signed webhooks to channels.

The write side is :func:`notify`: called inside the transaction of the change that
causes it, it writes one :class:`~itsm.core.models.Notification` row per recipient
(every notification is logged) and queues one job per row with
``transaction.on_commit``, so a rolled-back change notifies nobody.

The send side is :func:`deliver`, run by the huey job ``notifications.jobs.send_notification``:

1. *Claim* (short transaction): lock the row (``SELECT … FOR UPDATE SKIP LOCKED``),
   skip it when it is no longer pending or another worker is sending it, apply the
   per-channel rate limit (counted from :class:`NotificationAttempt` rows, so it holds
   across processes; the channel row is locked while counting), then write the
   attempt row *before* sending. That row is both the rate-limit slot and a lease:
   an attempt with ``ok=False`` and no error is "in progress".
2. *Send* outside any transaction (no database lock is held during network I/O,
   which matters on SQLite where a transaction holds the one write lock).
3. *Record* the outcome on the attempt and the notification (sent / failed / retry).

Retries: a failed attempt is retried after ``RETRY_BASE_DELAY × 2^(attempts − 1)``
seconds (30, 60, 120, 240, 480 s), computed from the attempt count in the database so
that it survives lost jobs; after ``MAX_ATTEMPTS`` (1 + 5 retries) the notification is
``failed``. A rate-limited notification is deferred without counting an attempt.

The modules:

- ``compose``: :func:`notify` and :func:`send_after_commit` (the write side).
- ``rendering``: a provider's notification template in place of the built-in text,
  and the record facts a notification carries.
- ``preferences``: each person's email/IM choice per event.
- ``senders``: one attempt over email, DingTalk, WeCom, Feishu (with their signing)
  or a signed webhook (:func:`send`).
- ``delivery``: the job's work (claim, send, record; retries, lost jobs).
- ``channels``: the audited write path of channels, target validation and redaction.

The names below are the API used as ``notifications.notify(...)`` and so on.
"""

from .channels import create_channel, delete_channel, redact_url, update_channel, validate_target
from .compose import notify, send_after_commit
from .delivery import Outcome, deliver
from .jobs import retry_pending
from .preferences import get_preferences, set_preferences
from .rendering import absolute, by_language
from .senders import DeliveryResult, send

__all__ = [
    "DeliveryResult", "Outcome", "absolute", "by_language", "create_channel",
    "delete_channel", "deliver",
    "get_preferences", "notify", "redact_url", "retry_pending", "send",
    "send_after_commit", "set_preferences", "update_channel", "validate_target",
]
