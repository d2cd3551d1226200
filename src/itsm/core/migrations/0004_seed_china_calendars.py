"""Default calendars: China Mon–Fri 09:00–18:00 (with and without lunch break) and 7×24,
with the official 2024–2026 holidays and make-up working days."""

import datetime as dt

from django.db import migrations

T = dt.time
CALENDARS = [
    ("中国标准工作日 09:00–18:00", "周一至周五 09:00–18:00，含法定节假日与调休", [(T(9), T(18))], False),
    ("中国标准工作日（午休）", "周一至周五 09:00–12:00、13:30–18:00，含法定节假日与调休",
     [(T(9), T(12)), (T(13, 30), T(18))], False),
    ("7×24", "全天候服务，不区分节假日", [], True),
]


def forwards(apps, schema_editor):
    from itsm.core.calendar_seed import china_arrangement

    BusinessCalendar = apps.get_model("core", "BusinessCalendar")
    CalendarWindow = apps.get_model("core", "CalendarWindow")
    CalendarException = apps.get_model("core", "CalendarException")
    arrangement = china_arrangement([2024, 2025, 2026])
    for name, description, windows, always_on in CALENDARS:
        calendar, created = BusinessCalendar.objects.get_or_create(
            name=name, defaults={"description": description, "always_on": always_on})
        if not created or always_on:
            continue
        CalendarWindow.objects.bulk_create(
            CalendarWindow(calendar=calendar, weekday=day, start=start, end=end)
            for day in range(5) for start, end in windows)
        CalendarException.objects.bulk_create(
            CalendarException(calendar=calendar, date=date, kind=kind, name=label)
            for date, kind, label in arrangement)


class Migration(migrations.Migration):
    dependencies = [("core", "0003_calendars_links_notifications")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
