"""Email intake (REQ-1, REQ-2): messages of the intake mailbox become tickets and replies.

``intake.process_message(raw)`` handles one message given as bytes, so it is testable
without a mail server; ``fetcher.poll_mailbox()`` fetches the UNSEEN messages of the IMAP
mailbox configured by ``ITSM_IMAP_URL`` and hands each to it.

The modules, in the order a message goes through them:

- ``decoding``: charsets, encoded headers, HTML → text, quoted text of replies.
- ``parsing``: a raw message → ``ParsedMail`` (sender, subject, text, attachments,
  references, whether an automatic reply is allowed), ``MailRejected`` when malformed.
- ``matching``: the sender's person (or a new contact) and the ticket a reply answers.
- ``intake``: ``process_message``: exactly once, a new ticket or a comment, quarantine.
- ``acknowledgements``: the automatic "received" reply, with loop protection.
- ``fetcher``: the IMAP fetcher (``poll_mailbox``).

Exactly once: the ``InboundMail`` row is inserted first under a unique key (a hash of
the Message-ID, or of the raw bytes when there is none), in the same transaction as
the ticket or comment it produces. A second worker inserting the same key waits for
the first one's commit and then fails with ``IntegrityError``, which means "already
processed": the same message fetched twice, even concurrently, gives one ticket.

Never crash the worker: every failure while handling a message (malformed MIME, an
unknown sender, a rule of the write path) quarantines that message with a reason and
its raw bytes, and the poll continues with the next one.

Loop protection (RFC 3834): acknowledgements go only to the sender's own address,
never to automatic, bulk or list mail, never to MAILER-DAEMON/postmaster/noreply
addresses, at most ``ACK_LIMIT_PER_HOUR`` per sender (counted from the notification
log), carry ``Auto-Submitted: auto-replied``, and are sent by a job after commit.
"""
