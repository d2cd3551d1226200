"""Role groups and the audit chain head row (``itsm.core.seed``)."""

from django.db import migrations


def forwards(apps, schema_editor):
    from itsm.core.seed import seed_roles_and_chain_head

    seed_roles_and_chain_head(apps)


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
