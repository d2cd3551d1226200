from django.db import migrations


def forwards(apps, schema_editor):
    from itsm.core.seed import seed_ci_types

    seed_ci_types(apps)


class Migration(migrations.Migration):
    dependencies = [("cmdb", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
