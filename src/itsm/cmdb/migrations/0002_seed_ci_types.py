from django.db import migrations

TYPES = [
    ("system", "信息系统"), ("application", "应用"), ("server", "服务器"),
    ("network", "网络设备"), ("database", "数据库"), ("service", "服务"),
    ("storage", "存储"), ("document", "文档"),
]
ATTRIBUTES = {"server": ["ip_address", "os", "cpu", "memory_gb", "location"],
              "database": ["engine", "version", "host"],
              "network": ["ip_address", "model", "location"],
              "application": ["version", "url"]}


def forwards(apps, schema_editor):
    CIType = apps.get_model("cmdb", "CIType")
    for code, name in TYPES:
        CIType.objects.get_or_create(code=code, defaults={
            "name": name, "attributes": ATTRIBUTES.get(code, [])})


class Migration(migrations.Migration):
    dependencies = [("cmdb", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
