"""A test-only register: a record type declared on the shared mechanisms alone.

It is in the test settings' INSTALLED_APPS, nowhere else; nothing outside this folder
names it. That it appears in the menu, the URL map, the API schema and the access
matrix, and passes the ``RecordTypeTests`` base, shows that a register is declarations.
"""

from django.apps import AppConfig


class ExampleRegisterConfig(AppConfig):
    name = "itsm.core.tests.example_register"
    label = "example_register"
    verbose_name = "Example register"
