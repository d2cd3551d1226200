"""Two agents saving the same version of a ticket at the same moment (GEN-LOCK).

Optimistic locking is proven on PostgreSQL, where the two requests really run at once
(SQLite serializes every writer, so one of them would simply wait): both agents read
version N and PATCH it through the API in threads released together. Exactly one
succeeds; the other gets 409 with a message naming the ticket, and its text is not
written. Repeated 100 times on the same ticket, the version moves by exactly one per
round and the audit trail records exactly the winning updates.
"""

# covers: GEN-LOCK

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from itsm.conftest import is_postgres, race
from itsm.core.models import AuditEntry
from itsm.servicedesk.models import ServiceRequest

ROUNDS = 100


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_agents_saving_the_same_version_one_wins_one_gets_409(world):
    if not is_postgres():
        pytest.skip("concurrency is proven on PostgreSQL (SQLite serializes all writers)")
    record = world.request("requester_a", title="并发编辑")
    url = reverse("api:servicerequest-detail", args=[record.pk])
    clients = {}
    for name in ("agent", "lead"):
        clients[name] = APIClient()
        clients[name].force_login(world.users[name])

    def save(name: str, version: int, title: str):
        response = clients[name].patch(url, {"title": title, "version": version}, format="json")
        return name, response.status_code, response.json()

    outcomes = {"agent": 0, "lead": 0}
    for round_ in range(ROUNDS):
        version = ServiceRequest.objects.values_list("version", flat=True).get(pk=record.pk)
        results = race(save, [("agent", version, f"agent 第{round_}轮"),
                              ("lead", version, f"lead 第{round_}轮")])
        statuses = sorted(status for _, status, _ in results)
        assert statuses == [200, 409], (round_, results)
        (winner, _, body), = [r for r in results if r[1] == 200]
        (_, _, conflict), = [r for r in results if r[1] == 409]
        assert record.number in conflict["detail"]
        assert body["version"] == version + 1
        current = ServiceRequest.objects.get(pk=record.pk)
        assert (current.title, current.version) == (f"{winner} 第{round_}轮", version + 1)
        outcomes[winner] += 1

    record.refresh_from_db()
    assert record.version == 1 + ROUNDS
    updates = AuditEntry.objects.filter(object_type=record._meta.label_lower,
                                        object_id=str(record.pk), action="update")
    assert updates.count() == ROUNDS
    print(f"optimistic locking: {ROUNDS} rounds, wins {outcomes}, {ROUNDS} conflicts (409)")
