"""Retention periods (GEN-7): inside its period a record cannot be deleted, whatever
the interface; outside it an administrator may delete it."""

# covers: GEN-7

import datetime as dt

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from itsm.core import services
from itsm.core.exceptions import RetentionError
from itsm.servicedesk.models import ServiceRequest


@pytest.fixture
def five_years(monkeypatch):
    monkeypatch.setattr(ServiceRequest, "retention_years", 5)


def test_a_one_year_old_record_cannot_be_deleted_anywhere(world, five_years):
    with time_machine.travel(timezone.now() - dt.timedelta(days=365), tick=False):
        record = world.request("requester_a")
    with pytest.raises(RetentionError) as excinfo:
        services.delete_record(record, actor=world.admin)
    assert record.retained_until.isoformat() in str(excinfo.value)
    response = world.client("admin").delete(f"/api/service-requests/{record.pk}/")
    assert response.status_code == 409
    assert response.json()["code"] == "retention"
    # Django deletes without its own savepoint: each attempt gets one, as a request would.
    with pytest.raises(RetentionError), transaction.atomic():
        ServiceRequest.objects.filter(pk=record.pk).delete()        # bulk / cascades
    with pytest.raises(RetentionError), transaction.atomic():
        ServiceRequest.objects.get(pk=record.pk).delete()           # admin, shell
    assert ServiceRequest.objects.filter(pk=record.pk).exists()


def test_after_the_period_an_administrator_may_delete(world, five_years):
    with time_machine.travel(timezone.now() - dt.timedelta(days=5 * 366), tick=False):
        record = world.request("requester_a")
    assert world.client("admin").delete(f"/api/service-requests/{record.pk}/").status_code == 204
    assert not ServiceRequest.objects.filter(pk=record.pk).exists()


def test_record_types_without_a_period_delete_as_before(world):
    record = world.request("requester_a")
    assert record.retained_until is None
    services.delete_record(record, actor=world.admin)
