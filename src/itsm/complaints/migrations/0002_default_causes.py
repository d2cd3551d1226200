"""The default complaint cause categories (two levels, shared by every provider)."""

from django.db import migrations

from itsm.complaints.choices import seed_default_causes


def seed(apps, schema_editor) -> None:
    seed_default_causes(apps.get_model("complaints", "CauseCategory"))


class Migration(migrations.Migration):
    dependencies = [("complaints", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
