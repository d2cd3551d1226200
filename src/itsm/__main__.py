"""The ``itsm`` command: everything ``manage.py`` does, plus serve, worker, demo."""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "itsm.settings")
    from django.core.management import execute_from_command_line

    argv = list(sys.argv)
    argv[0] = "itsm"
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
