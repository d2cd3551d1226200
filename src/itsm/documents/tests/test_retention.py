"""Retention by importance (保管期限, DOC-4): "no deletion before", never "deleted after".
Inside the period every interface refuses to delete a document; after it, only an
audited disposal of an archived document removes it, recording who and why."""

# covers: DOC-4, GEN-7

from __future__ import annotations

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse

from itsm.core import services as records
from itsm.core.exceptions import RetentionError, WorkflowError
from itsm.core.models import AuditEntry
from itsm.core.purge import purge_expired
from itsm.core.tests.scenario import body_text
from itsm.documents import disposal, services
from itsm.documents.models import ControlledDocument, DisposalRecord, DocumentVersion

from .conftest import at, make_document, png_bytes, publish, upload


@pytest.fixture
def archived(dw):
    """An important document published on 2026-03-02 and archived: kept until
    2036-03-02; a second version as a file."""
    with time_machine.travel(at("2026-03-01 10:00"), tick=False):
        document = make_document(dw, importance="important", department=dw.department)
        services.add_version(document, actor=dw.writer, change_summary="附图",
                             upload=upload("图.png", png_bytes()))
    with time_machine.travel(at("2026-03-02 10:00"), tick=False):
        document = publish(dw, document, reviewer="head")
        records.transition_record(document, "archive", actor=dw.boss)
    document.refresh_from_db()
    return document


def test_retention_follows_importance_and_publication(archived, dw):
    assert archived.retention_years == 10
    assert archived.retained_until.isoformat() == "2036-03-02"
    with time_machine.travel(at("2026-03-01 10:00"), tick=False):
        draft = make_document(dw, importance="major")
        ordinary = make_document(dw)
    assert draft.retained_until.isoformat() == "2056-03-01"  # never published: creation
    assert ordinary.retained_until.isoformat() == "2029-03-01"


def test_inside_the_period_no_interface_deletes_it(archived, dw):
    pk = archived.pk
    with time_machine.travel(at("2030-01-01 10:00"), tick=False):
        with pytest.raises(RetentionError), transaction.atomic():
            records.delete_record(archived, actor=dw.admin)
        with pytest.raises(RetentionError), transaction.atomic():
            ControlledDocument.objects.filter(pk=pk).delete()
        admin = dw.client("admin")
        response = admin.delete(reverse("api:controlleddocument-detail", args=[pk]))
        assert response.status_code == 409 and "2036-03-02" in response.json()["detail"]
        page = admin.get(reverse("documents:document-delete", args=[pk]))
        assert "2036-03-02" in body_text(page)
        assert admin.post(reverse("documents:document-delete", args=[pk])).status_code == 409
        response = admin.post(reverse("documents:document-dispose", args=[pk]),
                              {"reason": "到期销毁"})
        assert response.status_code == 409 and "2036-03-02" in body_text(response)
        with pytest.raises(RetentionError), transaction.atomic():
            disposal.dispose(archived, actor=dw.admin, reason="提前销毁")
        assert "documents.controlleddocument" not in purge_expired()
    assert ControlledDocument.objects.filter(pk=pk).exists()
    assert not DisposalRecord.objects.exists()


def test_after_the_period_deleting_is_still_refused_but_a_disposal_removes_it(archived, dw):
    pk, number = archived.pk, archived.number
    stored = [v.file.name for v in DocumentVersion.objects.filter(document=archived) if v.file]
    storage = DocumentVersion._meta.get_field("file").storage
    assert stored and storage.exists(stored[0])
    with time_machine.travel(at("2036-03-03 10:00"), tick=False):
        admin = dw.client("admin")
        assert admin.delete(reverse("api:controlleddocument-detail", args=[pk])
                            ).status_code == 409
        # The nightly purge of closed records leaves documents alone.
        assert "documents.controlleddocument" not in purge_expired()
        assert ControlledDocument.objects.filter(pk=pk).exists()
        due = admin.get(reverse("api:controlleddocument-due-for-disposal")).json()
        assert [d["number"] for d in due["results"]] == [number]
        assert number in body_text(admin.get(reverse("documents:disposal")))
        assert dw.client("agent").get(reverse("documents:disposal")).status_code == 404
        with pytest.raises(PermissionDenied):
            disposal.dispose(archived, actor=dw.writer, reason="销毁")
        response = admin.post(reverse("api:controlleddocument-dispose", args=[pk]),
                              {"reason": ""}, format="json")
        assert response.status_code == 400 and "reason" in response.json()
        with pytest.MonkeyPatch.context() as patch:
            done = []
            patch.setattr(transaction, "on_commit", lambda f, *a, **k: done.append(f))
            response = admin.post(reverse("api:controlleddocument-dispose", args=[pk]),
                                  {"reason": "保管期满，经管理层批准销毁"}, format="json")
            for hook in done:
                hook()
        assert response.status_code == 201, response.content
    assert not ControlledDocument.objects.filter(pk=pk).exists()
    assert not DocumentVersion.objects.filter(document_id=pk).exists()
    assert not storage.exists(stored[0])
    record = DisposalRecord.objects.get()
    assert (record.number, record.disposed_by, record.reason) == (
        number, dw.admin, "保管期满，经管理层批准销毁")
    assert [v["version"] for v in record.versions] == ["1.1", "1.0"]
    entry = AuditEntry.objects.get(object_type="documents.controlleddocument",
                                   object_id=str(pk), action="delete")
    assert entry.changes["reason"] == record.reason and entry.actor_name == "admin"
    assert entry.changes["disposal"] == record.pk
    with pytest.raises(RetentionError), transaction.atomic():
        DisposalRecord.objects.all().delete()


def test_only_archived_documents_are_disposed_of(dw):
    with time_machine.travel(at("2020-01-01 10:00"), tick=False):
        document = make_document(dw)
    with pytest.raises(WorkflowError, match=r"Archive|归档"):
        disposal.dispose(document, actor=dw.boss, reason="过期")
