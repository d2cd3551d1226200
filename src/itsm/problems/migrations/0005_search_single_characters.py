from django.db import migrations

from itsm.core.search import backfill


class Migration(migrations.Migration):
    """The search text keeps each Chinese character too (a one-character query)."""

    dependencies = [
        ("problems", "0004_text_length_limits"),
    ]

    operations = [backfill("problems", "problem", ("number", "title", "description"))]
