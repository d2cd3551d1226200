"""Test bases every record type gets from a few declared attributes (not a test module).

``RecordTypeTests`` checks, through the API and the web UI, what every record type must
do: create, read, update and delete, a transition, list filters, the export, a constant
number of queries per list page whatever the number of rows, and the organization scope
(another organization's person gets 404; a customer cannot act as an agent). A record
type's test module subclasses it::

    class TestNotes(RecordTypeTests):
        model = Note
        transition = ("finish", {"category": "done"})

The ``world`` fixture (``itsm.conftest``) supplies the people.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from itsm.core.choices import TimelineKind
from itsm.core.models import AuditEntry, Record
from itsm.core.registry import record_type_of

from .scenario import create_ticket, csv_rows


class RecordTypeTests:
    """CRUD, transition, filters, export, query counts and scope of ``model``."""

    model: ClassVar[type[Record]]
    #: A transition staff may perform on a new record, with the values it needs.
    transition: ClassVar[tuple[str, dict[str, Any]]]
    #: Fields of the model a create through the API sets, besides the record base's.
    create_data: ClassVar[dict[str, Any]] = {}
    #: The staff member who writes (a type with ``handler_roles`` names one who holds one).
    staff: ClassVar[str] = "agent"

    # --- helpers ---------------------------------------------------------------------

    @property
    def record_type(self):
        return record_type_of(self.model)

    def api(self, view: str, *args: Any) -> str:
        return reverse(f"api:{self.record_type.key}-{view}", args=args)

    def ui(self, view: str, *args: Any) -> str:
        return reverse(self.record_type.url_name(view), args=args)

    def make(self, world, requester: str = "requester_a", **data: Any) -> Record:
        return create_ticket(world, self.model, requester, **data)

    # --- the tests --------------------------------------------------------------------

    def test_it_is_registered_with_menu_urls_and_api(self, world):
        record_type = self.record_type
        assert record_type is not None and record_type.menu is not None
        assert reverse(record_type.menu.url_name) == self.ui("list")
        schema = world.client("agent").get(reverse("api:schema")).content.decode()
        assert self.api("list").removeprefix("/api") in schema

    def test_staff_create_read_update_and_an_administrator_deletes(self, world):
        client = world.client(self.staff)
        response = client.post(self.api("list"), {
            "organization": world.orgs["A"].pk, "requester": world.requester_a.pk,
            "title": "登记一条", "description": "说明", **self.create_data}, format="json")
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["number"].startswith(self.model.number_prefix)
        assert body["status"] == self.model.workflow.initial
        detail = self.api("detail", body["id"])
        assert client.get(detail).json()["title"] == "登记一条"
        response = client.patch(detail, {"title": "改过", "version": body["version"]},
                                format="json")
        assert response.status_code == 200 and response.json()["title"] == "改过"
        page = client.get(self.ui("detail", body["id"]))
        assert page.status_code == 200 and "改过" in page.content.decode()
        response = world.client("admin").delete(detail)
        assert response.status_code in (204, 409)  # 409: inside its retention period
        assert self.model.objects.filter(pk=body["id"]).exists() == (
            response.status_code == 409)

    def test_a_transition_moves_the_record_and_is_audited(self, world):
        record = self.make(world)
        name, values = self.transition
        response = world.client(self.staff).post(self.api("transition", record.pk), {
            "transition": name, "values": values, "comment": "按流程处理"}, format="json")
        assert response.status_code == 200, response.content
        record.refresh_from_db()
        assert record.status == self.model.workflow.get(name).target
        assert record.timeline.filter(kind=TimelineKind.TRANSITIONED).exists()
        assert AuditEntry.objects.filter(object_type=self.model._meta.label_lower,
                                         object_id=str(record.pk),
                                         action="transition").exists()

    def test_list_filters_by_status_and_words(self, world):
        first = self.make(world, title="打印机卡纸", description="三楼打印机")
        self.make(world, title="邮箱满了", description="无法收信")
        client = world.client("agent")
        numbers = {r["number"] for r in client.get(self.api("list"), {"q": "打印机"})
                   .json()["results"]}
        assert numbers == {first.number}
        initial = self.model.workflow.initial
        results = client.get(self.api("list"), {"status": initial}).json()["results"]
        assert len(results) == 2 and {r["status"] for r in results} == {initial}
        assert client.get(self.api("list"), {"status": "no-such"}).status_code == 400

    def test_export_lists_what_the_reader_may_see(self, world):
        mine = self.make(world)
        self.make(world, requester="requester_b")
        response = world.client("requester_a").get(self.api("export"),
                                                   {"file_format": "csv"})
        if not getattr(self.model, "customers_may_view", True):
            assert response.status_code in (200, 403, 404)
            return
        rows = csv_rows(b"".join(response.streaming_content)
                        if response.streaming else response.content)
        assert {row[0] for row in rows[1:]} == {mine.number}

    def test_a_list_page_costs_the_same_queries_whatever_its_rows(self, world):
        client = world.client("agent")
        client.get(self.api("list"))  # warm the caches
        self.make(world)
        with CaptureQueriesContext(connection) as one:
            assert client.get(self.api("list")).status_code == 200
        for _ in range(5):
            self.make(world)
        with CaptureQueriesContext(connection) as six:
            assert client.get(self.api("list")).status_code == 200
        assert len(six) == len(one)

    def test_another_organization_gets_404_and_a_customer_is_no_agent(self, world):
        record = self.make(world)
        for identity in ("requester_b", "agent_q"):
            client = world.client(identity)
            assert client.get(self.api("detail", record.pk)).status_code == 404
            assert client.get(self.ui("detail", record.pk)).status_code == 404
        name, values = self.transition
        before = (record.status, record.version)
        response = world.client("requester_a").post(self.api("transition", record.pk), {
            "transition": name, "values": values}, format="json")
        assert response.status_code in (403, 404)
        record.refresh_from_db()
        assert (record.status, record.version) == before
