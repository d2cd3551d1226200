"""Major incidents: by rule (紧急 on a 7×24 service) or by decision, with reports."""

# covers: INC-5

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from itsm.catalog.models import Service
from itsm.core import services
from itsm.core.models import AuditEntry, BusinessCalendar
from itsm.servicedesk.major import declare_major_incident
from itsm.servicedesk.models import Incident, MajorIncident


def incident(world, *, service=None, priority=2):
    return services.create_record(Incident, actor=world.agent, data={
        "organization": world.orgs["A"], "requester": world.requester_a,
        "title": "MES 数据库宕机", "priority": priority, "service": service,
        "affected_system": "MES-DB-01"})


def service(world, calendar_name):
    return Service.objects.create(provider=world.orgs["P"], code=calendar_name[:5],
                                  name="生产系统",
                                  calendar=BusinessCalendar.objects.get(name=calendar_name))


def test_urgent_incident_on_a_24x7_service_becomes_major(world):
    inc = incident(world, service=service(world, "7×24"), priority=1)
    inc.refresh_from_db()
    assert inc.is_major
    major = inc.major_incident
    assert major.number.startswith("MI-") and major.status == "declared"
    assert inc.number in major.event_report and "MES-DB-01" in major.event_report
    assert major.notified_at is not None
    assert AuditEntry.objects.filter(object_type="servicedesk.incident",
                                     object_id=str(inc.pk), action="update").exists()


@pytest.mark.parametrize(("calendar", "priority"), [("中国标准工作日 09:00–18:00", 1),
                                                    ("7×24", 2)])
def test_other_incidents_are_not_major_by_rule(world, calendar, priority):
    inc = incident(world, service=service(world, calendar), priority=priority)
    inc.refresh_from_db()
    assert not inc.is_major and MajorIncident.objects.count() == 0


def test_agent_declares_and_the_major_incident_follows_its_workflow(world):
    inc = incident(world)
    major = declare_major_incident(inc, actor=world.agent, reason="多个客户同时报障")
    assert major.description == "多个客户同时报障"
    with pytest.raises(ValidationError):
        declare_major_incident(inc, actor=world.agent)
    major = services.transition_record(major, "respond", actor=world.agent)
    with pytest.raises(ValidationError):
        services.transition_record(major, "recover", actor=world.agent,
                                   values={"event_report": ""})
    major = services.transition_record(major, "recover", actor=world.agent,
                                       values={"event_report": "已切换至备库，服务恢复。"})
    assert major.recovered_at is not None
    with pytest.raises(PermissionDenied):  # closing needs a lead, quality manager or admin
        services.transition_record(major, "close", actor=world.agent,
                                   values={"analysis_report": "根因：磁盘满"})
    major = services.transition_record(major, "close", actor=world.lead,
                                       values={"analysis_report": "根因：磁盘满"})
    assert major.status == "closed"


def test_customers_cannot_declare(world):
    with pytest.raises(PermissionDenied):
        declare_major_incident(incident(world), actor=world.custadmin_a)


def test_declare_through_the_api_and_follow_it(world):
    inc = incident(world)
    url = f"/api/incidents/{inc.pk}/declare-major/"
    assert world.client("custadmin_a").post(url, {}, format="json").status_code == 403
    assert world.client("requester_b").post(url, {}, format="json").status_code == 404
    response = world.client("agent").post(url, {"reason": "全网中断"}, format="json")
    assert response.status_code == 201, response.content
    number = response.json()["number"]
    listing = world.client("agent").get("/api/major-incidents/").json()["results"]
    assert [m["number"] for m in listing] == [number]
    assert world.client("requester_b").get("/api/major-incidents/").json()["results"] == []
    page = world.client("agent").get(f"/major-incidents/{response.json()['id']}/")
    assert page.status_code == 200 and number in page.content.decode()
    assert world.client("custadmin_a").get("/major-incidents/new/").status_code == 403
