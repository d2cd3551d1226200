from django.db import migrations, models

from itsm.core.search import backfill


class Migration(migrations.Migration):
    """Comments are searched too (their words, segmented, as records keep theirs)."""

    dependencies = [
        ("core", "0010_workspace"),
    ]

    operations = [
        migrations.AddField(
            model_name="comment",
            name="search_text",
            field=models.TextField(blank=True, default="", editable=False,
                                   verbose_name="search text"),
        ),
        backfill("core", "comment", ("body",)),
    ]
