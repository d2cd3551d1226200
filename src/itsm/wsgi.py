"""WSGI entry point: ``gunicorn itsm.wsgi`` (``itsm serve``, ``make run``) and the
development server (``itsm runserver`` loads ``WSGI_APPLICATION``).

A worker loads what would otherwise load on its first request (``core.warmup``) before
it serves: the first person to write after a start does not wait for it
(``ITSM_WARM_UP=0`` skips it).
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "itsm.settings")
application = get_wsgi_application()

# Only now: warm_up's modules need the apps loaded by get_wsgi_application().
from itsm.core.warmup import warm_up  # noqa: E402

warm_up()
