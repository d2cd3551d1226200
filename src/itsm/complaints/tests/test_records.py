"""Complaints and improvement actions pass the record-type base (CRUD, a transition,
filters, export, query counts, scope): complaints written by a designated handler (the
administrator)."""

# covers: CPL-1, CPL-4

from __future__ import annotations

from itsm.complaints.models import Complaint, ImprovementAction
from itsm.core.tests.bases import RecordTypeTests


class TestComplaints(RecordTypeTests):
    model = Complaint
    staff = "admin"
    transition = ("evaluate", {"level": "urgent"})
    create_data = {"channel": "phone", "system": "邮件系统", "remedy_sought": "道歉"}


class TestImprovementActions(RecordTypeTests):
    model = ImprovementAction
    transition = ("start", {})
    create_data = {"measure": "超过2小时未处理自动升级"}
