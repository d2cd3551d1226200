"""The example register's declarations: one record type, in the service desk menu."""

from __future__ import annotations

from itsm.core.registry import everyone, register_record_type

from .models import Note

register_record_type(Note, group="service_desk", label="Notes", visible=everyone,
                     order=90)
