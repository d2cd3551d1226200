"""Default calendars: China Mon–Fri 09:00–18:00 (with and without lunch break) and 7×24,
with the official 2024–2026 holidays and make-up working days (``itsm.core.seed``)."""

from django.db import migrations


def forwards(apps, schema_editor):
    from itsm.core.seed import seed_china_calendars

    seed_china_calendars(apps)


class Migration(migrations.Migration):
    dependencies = [("core", "0003_calendars_links_notifications")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
