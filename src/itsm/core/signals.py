"""Extension points of the record write path.

``core.services`` sends these inside the transaction of the change, after the audit
entry and timeline event are written, so a receiver's own writes commit or roll back
with the change. Receivers must stay fast and local (database only); anything slow or
networked is queued as a job with ``transaction.on_commit``.

Apps do not connect receivers to these signals: each is received by its sequence in
``core.reactions``, which runs the apps' reactions (``@reaction`` in their
``receivers.py``) in the order declared there.

Every signal's ``sender`` is the record's model class; keyword arguments:
- ``record_created``: record, actor
- ``record_updated``: record, actor, changes (``{attname: [old, new]}``)
- ``record_transitioned``: record, actor, transition (name), old_status
- ``comment_added``: record, actor, comment
"""

from django.dispatch import Signal

record_created = Signal()
record_updated = Signal()
record_transitioned = Signal()
comment_added = Signal()
