"""Controlled documents are a record type like the others (CRUD, transitions, filters,
export, query counts, scope), with their own numbering and filters."""

# covers: DOC-1, DOC-2

from __future__ import annotations

import pytest
import time_machine
from django.db import transaction
from django.urls import reverse

from itsm.conftest import is_postgres, race
from itsm.core.tests.bases import RecordTypeTests
from itsm.documents import services
from itsm.documents.api.views import DocumentViewSet
from itsm.documents.filtersets import DocumentFilterSet
from itsm.documents.models import ControlledDocument, DocumentCategory
from itsm.documents.views import DOCUMENT_VIEWS

from .conftest import add_people, at, category, make_document


class TestControlledDocuments(RecordTypeTests):
    model = ControlledDocument
    transition = ("submit", {})

    def make(self, world, requester: str = "requester_a", **data):
        """A document of the requester's organization with a first version (a document
        goes to review with one)."""
        document = super().make(world, requester, **data)
        services.add_version(document, actor=world.agent, text="正文")
        document.refresh_from_db()
        return document

    def test_staff_create_read_update_and_an_administrator_deletes(self, world):
        """Created in a category (its code numbers it), read, changed; an administrator's
        DELETE is refused: documents are disposed of, never deleted (409)."""
        services.ensure_default_categories(world.orgs["P"])
        client = world.client("agent")
        response = client.post(reverse("api:controlleddocument-list"), {
            "title": "登记一条", "description": "说明",
            "document_category": category("SN").pk, "text": "需求正文"}, format="json")
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["number"].startswith("SN") and body["status"] == "draft"
        assert body["organization"] == world.orgs["P"].pk
        assert body["current_version_label"] == "1.0"
        detail = reverse("api:controlleddocument-detail", args=[body["id"]])
        response = client.patch(detail, {"title": "改过", "version": body["version"]},
                                format="json")
        assert response.status_code == 200 and response.json()["title"] == "改过"
        page = client.get(reverse("documents:document-detail", args=[body["id"]]))
        assert page.status_code == 200 and "改过" in page.content.decode()
        assert world.client("admin").delete(detail).status_code == 409
        assert ControlledDocument.objects.filter(pk=body["id"]).exists()


def test_every_field_has_a_filter_or_is_exempt():
    filters = set(DocumentFilterSet.base_filters) | {"status", "number"}
    exempt = set(DocumentFilterSet.unfiltered_fields)
    fields = {f.name for f in ControlledDocument._meta.concrete_fields}
    assert sorted(fields - filters - exempt - {"created_at", "due_at"}) == []
    assert DocumentViewSet.filterset_class is DocumentFilterSet
    assert DOCUMENT_VIEWS["list"].filterset_class is DocumentFilterSet


def test_numbers_are_code_year_sequence(dw):
    with time_machine.travel(at("2026-03-02 10:00"), tick=False):
        first = make_document(dw, code="SN")
        second = make_document(dw, code="SN")
        solution = make_document(dw, code="FA")
    assert (first.number, second.number, solution.number) == (
        "SN2026001", "SN2026002", "FA2026001")
    with time_machine.travel(at("2027-01-04 10:00"), tick=False):
        assert make_document(dw, code="SN").number == "SN2027001"


def test_a_sub_category_numbers_with_its_parents_code_unless_it_has_its_own(dw):
    parent = category("CS", dw.orgs["P"])
    inherits = services.save_category(None, actor=dw.admin, data={
        "parent": parent, "name": "性能测试", "kind": "", "code": ""})
    own = services.save_category(None, actor=dw.admin, data={
        "parent": parent, "name": "安全测试", "kind": "", "code": "AQ"})
    assert inherits.kind == parent.kind == "test" and inherits.number_code == "CS"
    with time_machine.travel(at("2026-05-06 10:00"), tick=False):
        numbers = [services.create_document(actor=dw.writer, data={
            "title": "测试报告", "document_category": c}).number
            for c in (parent, inherits, own)]
    assert numbers == ["CS2026001", "CS2026002", "AQ2026001"]


def test_past_999_the_sequence_widens(dw):
    from sequences.models import Sequence

    Sequence.objects.create(name="DOC-BG-2026", last=999)
    with time_machine.travel(at("2026-12-30 10:00"), tick=False):
        assert make_document(dw, code="BG").number == "BG20261000"


def test_a_rolled_back_creation_leaves_no_gap(dw):
    with time_machine.travel(at("2026-03-02 10:00"), tick=False):
        make_document(dw, code="SN")
        with pytest.raises(RuntimeError), transaction.atomic():
            make_document(dw, code="SN")
            raise RuntimeError("the caller fails after the document was numbered")
        assert make_document(dw, code="SN").number == "SN2026002"


def test_ensuring_the_default_categories_twice_adds_nothing(dw):
    before = DocumentCategory.objects.filter(provider=dw.orgs["P"]).count()
    assert before == 9
    assert services.ensure_default_categories(dw.orgs["P"]) == []
    codes = set(DocumentCategory.objects.values_list("code", flat=True))
    assert codes == {"SN", "FA", "SS", "CS", "YS", "YW", "PX", "HT", "BG"}
    assert DocumentCategory.objects.get(code="SN").name == "需求文档"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_documents_get_consecutive_numbers(world):
    if not is_postgres():
        pytest.skip("concurrency is proven on PostgreSQL (SQLite serializes all writers)")
    add_people(world)
    requirement = category("SN", world.orgs["P"])

    def create(i: int) -> str:
        return services.create_document(actor=world.writer, data={
            "title": f"并发需求 {i}", "document_category": requirement}).number

    with time_machine.travel(at("2026-06-01 09:00"), tick=False):
        numbers = race(create, [(i,) for i in range(50)])
    assert sorted(numbers) == [f"SN2026{n:03d}" for n in range(1, 51)]
    assert ControlledDocument.objects.count() == 50
