"""Record numbers: PREFIX-YYYY-NNNNNN, per type and year, unique and gap-free."""

# covers: GEN-4


import pytest
from django.db import transaction
from django.utils import timezone

from itsm.conftest import is_postgres, race
from itsm.servicedesk.models import ServiceRequest


def test_number_format_per_type_and_year(world):
    first = world.request("requester_a")
    second = world.request("requester_b")
    year = timezone.localdate().year
    assert first.number == f"REQ-{year}-000001"
    assert second.number == f"REQ-{year}-000002"


def test_rolled_back_creation_leaves_no_gap(world):
    world.request("requester_a")
    with pytest.raises(RuntimeError), transaction.atomic():
        world.request("requester_a")
        raise RuntimeError("the caller's transaction fails after the record was numbered")
    third = world.request("requester_a")
    assert third.number.endswith("-000002")
    assert ServiceRequest.objects.count() == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_creations_get_consecutive_numbers(world):
    if not is_postgres():
        pytest.skip("concurrency is proven on PostgreSQL (SQLite serializes all writers)")
    numbers = race(lambda i: world.request("requester_a", title=f"并发创建 {i}").number,
                   [(i,) for i in range(50)])
    year = timezone.localdate().year
    assert sorted(numbers) == [f"REQ-{year}-{n:06d}" for n in range(1, 51)]
    assert ServiceRequest.objects.count() == 50
