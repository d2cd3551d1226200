"""The documents' demo data loads through the services, once, with every stage shown."""

from __future__ import annotations

from itsm.core import directory
from itsm.core.audit import verify_chain
from itsm.core.choices import Role
from itsm.demo import documents as demo
from itsm.documents.models import (
    ControlledDocument,
    DocumentClearance,
    DocumentLoan,
    DocumentTemplate,
)

from .conftest import add_people


def test_the_demo_documents_load_once(world):
    add_people(world)  # with P's 运维部, headed by "head"
    quality = directory.create_person(actor=None, data={
        "username": "quality", "first_name": "杨帆", "last_name": "", "email": "q@example.cn",
        "password": "x-Very-long-1", "roles": [Role.QUALITY_MANAGER],
        "profile": {"organization": world.orgs["P"]}})
    people = {"admin": world.admin, "agent": world.agent, "engineer": world.engineer,
              "lead": world.lead, "opshead": world.head, "security": world.secops,
              "management": world.boss, "quality": quality, "custadmin": world.custadmin_a}
    world.request("requester_a", title="申请新员工邮箱账号")
    demo.load(world.orgs["P"], people)
    documents = ControlledDocument.objects.all()
    assert documents.count() == len(demo.DOCUMENTS) + 1
    assert set(documents.values_list("status", flat=True)) == {
        "draft", "in_review", "published", "superseded", "archived"}
    assert documents.filter(checked_out_by__isnull=False).count() == 1
    assert documents.filter(confidentiality="secret").count() == 1
    requirement = documents.get(source_request__isnull=False)
    assert requirement.number.startswith("SN") and not requirement.is_confirmed
    assert documents.filter(versions__mime_type="application/pdf").exists()
    assert documents.filter(versions__mime_type="image/png").exists()
    assert set(DocumentLoan.objects.values_list("status", flat=True)) == {"lent", "overdue"}
    assert DocumentClearance.objects.filter(user=world.boss, level="secret").exists()
    assert DocumentTemplate.objects.count() == 2
    demo.load(world.orgs["P"], people)
    assert ControlledDocument.objects.count() == len(demo.DOCUMENTS) + 1
    assert verify_chain().ok
