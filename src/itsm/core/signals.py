"""Extension points of the record write path.

``core.services`` sends these inside the transaction of the change: the first two while
a new record is being built (before it is validated; before it is inserted), the others
after the audit entry and timeline event are written, so a receiver's own writes commit
or roll back with the change. Receivers must stay fast and local (database only); anything slow or
networked is queued as a job with ``transaction.on_commit``.

Apps do not connect receivers to these signals: each is received by its sequence in
``core.reactions``, which runs the apps' reactions (``@reaction`` in their
``receivers.py``) in the order declared there.

Every signal's ``sender`` is the record's model class; keyword arguments:
- ``record_preparing``: record (not yet valid), actor, provided (the field names the
  caller set): fill in what follows from the record's fields (a ticket's priority);
- ``record_inserting``: record (valid, numbered, no id yet), actor: what the insert
  should carry (a ticket's SLA policy and due time);
- ``record_created``: record, actor
- ``record_updated``: record, actor, changes (``{attname: [old, new]}``)
- ``record_transitioned``: record, actor, transition (name), old_status
- ``comment_added``: record, actor, comment
"""

from django.dispatch import Signal

record_preparing = Signal()
record_inserting = Signal()
record_created = Signal()
record_updated = Signal()
record_transitioned = Signal()
comment_added = Signal()
