"""Role groups and the audit chain head row."""

from django.db import migrations

ROLES = ["requester", "customer_admin", "agent", "team_lead", "change_manager", "cab_member",
         "quality_manager", "security_officer", "hr", "auditor", "administrator"]


def forwards(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for role in ROLES:
        Group.objects.get_or_create(name=role)
    AuditChainHead = apps.get_model("core", "AuditChainHead")
    AuditChainHead.objects.get_or_create(pk=1, defaults={"last_hash": "0" * 64})


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
