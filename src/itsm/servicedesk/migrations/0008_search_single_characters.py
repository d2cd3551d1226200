from django.db import migrations

from itsm.core.search import backfill

TICKET_FIELDS = ("number", "title", "description", "affected_system", "resolution")


class Migration(migrations.Migration):
    """The search text keeps each Chinese character too (a one-character query)."""

    dependencies = [
        ("servicedesk", "0007_text_length_limits"),
    ]

    operations = [
        backfill("servicedesk", "servicerequest", TICKET_FIELDS),
        backfill("servicedesk", "incident", TICKET_FIELDS),
        backfill("servicedesk", "majorincident", ("number", "title", "description")),
    ]
