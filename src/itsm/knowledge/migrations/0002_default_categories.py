"""The default knowledge categories (two levels, shared by every provider)."""

from django.db import migrations

from itsm.knowledge.choices import seed_default_categories


def seed(apps, schema_editor) -> None:
    seed_default_categories(apps.get_model("knowledge", "KnowledgeCategory"))


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
