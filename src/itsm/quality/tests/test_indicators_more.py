"""The rest of the shipped indicators, each on a small hand-built data set of October
2026 (Shanghai time; the National Day holiday week 10-01…10-07 counts like any other:
only dates matter) against values computed by hand, for the whole provider and split by
a dimension: p90 handling time, first-contact resolution, reopen rate, backlog age,
incidents raised, availability, survey score per dimension, complaint rate and
timeliness, change success, emergency-change share, problem closure time. Another
provider's records never count; a period without records has no value."""

# covers: QA-1, SLM-4

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext

from itsm.changes.models import Change
from itsm.complaints import assessment
from itsm.complaints import services as complaint_services
from itsm.complaints.models import Complaint
from itsm.core import directory
from itsm.core import services as core
from itsm.core.models import BusinessCalendar, Team
from itsm.problems.models import Problem
from itsm.quality import indicators
from itsm.quality.indicators import Scope, nearest_rank
from itsm.servicedesk.models import Incident, ServiceRequest, SLAClock
from itsm.surveys.models import Answer, Campaign, Question, Questionnaire, Section, SurveyResponse

from .data import at, catalogue, major_outage, outage, step, ticket

pytestmark = pytest.mark.django_db

OCTOBER = at("2026-10-01 00:00"), at("2026-11-01 00:00")
NOVEMBER = at("2026-11-01 00:00"), at("2026-12-01 00:00")
JANUARY = at("2026-01-01 00:00"), at("2026-02-01 00:00")
OCTOBER_MINUTES = 31 * 24 * 60


def scope(world, **narrowed) -> Scope:
    return Scope(provider_id=world.orgs["P"].pk, **narrowed)


def values(key: str, world, by: str, period=OCTOBER, **narrowed) -> dict:
    """{dimension value: value} of a split."""
    return {k: v.value for k, v in
            indicators.split(key, scope(world, **narrowed), *period, by=by).items()}


def value(key: str, world, period=OCTOBER, **narrowed) -> indicators.Value:
    return indicators.value(key, scope(world, **narrowed), *period)


def behind(key: str, world, period=OCTOBER) -> set[str]:
    """The numbers (or ids) of the records behind the value."""
    return {getattr(r, "number", r.pk) for qs in indicators.records(key, scope(world), *period)
            for r in qs.distinct()}


def queries(function) -> int:
    with CaptureQueriesContext(connection) as captured:
        function()
    return len(captured)


def resolved(world, created: str, done: str | None, *, org: str = "A", model=ServiceRequest,
             **changes):
    """A ticket raised at ``created`` whose time stamps are then set directly (the
    indicators read only them)."""
    record = ticket(world, created, org=org, model=model)
    if done is not None:
        changes.update(status="resolved", resolved_at=at(done))
    type(record).objects.filter(pk=record.pk).update(**changes)
    return record


@pytest.fixture
def services(world):
    return catalogue(world)


def test_nearest_rank():
    assert [nearest_rank(n, 90) for n in (1, 2, 5, 10, 11, 20)] == [1, 2, 5, 9, 10, 18]
    assert nearest_rank(4, 50) == 2 and nearest_rank(3, 100) == 3


def test_p90_handling_time_by_nearest_rank(world):
    # Customer A: ten tickets of 1…10 hours, five resolved in the holiday week.
    for hours in range(1, 11):
        created = dt.datetime(2026, 10, hours, 8).strftime("%Y-%m-%d %H:%M")
        resolved(world, created, f"2026-10-{hours:02d} {8 + hours:02d}:00")
    resolved(world, "2026-10-20 09:00", "2026-10-21 15:00", org="B", priority=2)  # 30 h
    resolved(world, "2026-09-29 09:00", "2026-09-30 09:00")  # September's
    resolved(world, "2026-10-20 09:00", None)  # still open
    resolved(world, "2026-10-04 09:00", "2026-10-08 13:00", org="C")  # another provider's
    p90 = value("handling-time-p90", world)
    # 11 durations [1 … 10, 30]: rank ⌈0.9 × 11⌉ = 10 → 10 h (not the 30 h maximum).
    assert (p90.value, p90.numerator, p90.denominator) == (10.0, 10, 11)
    by_customer = values("handling-time-p90", world, "customer")
    # A: rank ⌈9⌉ = 9 of 1…10; B: its only ticket.
    assert by_customer == {world.orgs["A"].pk: 9.0, world.orgs["B"].pk: 30.0}
    assert values("handling-time-p90", world, "priority") == {3: 9.0, 2: 30.0}
    assert value("handling-time-p90", world, customer_id=world.orgs["B"].pk).value == 30.0
    assert len(behind("handling-time-p90", world)) == 11
    empty = value("handling-time-p90", world, JANUARY)
    assert (empty.value, empty.denominator) == (None, 0)


@pytest.fixture
def history(world):
    """Tickets moved along their workflow at exact times (the audit trail is what the
    indicators read): one reassigned to another team, one reopened, one reopened only
    after October, another provider's reassigned and reopened."""
    desk = world.teams["desk"]
    second = directory.create_object(Team, actor=None, data={
        "organization": world.orgs["P"], "name": "二线支持", "members": [world.agent]})
    t = {}
    # Resolved in the holiday week by the first team it was given to.
    t["first"] = ticket(world, "2026-10-02 09:00")
    step(world, t["first"], "2026-10-02 09:05", "assign", assignee_team=desk)
    step(world, t["first"], "2026-10-02 09:10", "start")
    step(world, t["first"], "2026-10-02 11:00", "resolve")
    # Passed from the desk to the second line.
    t["moved"] = ticket(world, "2026-10-08 09:00")
    step(world, t["moved"], "2026-10-08 09:05", "assign", assignee_team=desk)
    step(world, t["moved"], "2026-10-08 10:00", "assign", assignee_team=second)
    step(world, t["moved"], "2026-10-08 10:10", "start")
    step(world, t["moved"], "2026-10-08 15:00", "resolve")
    # Resolved, reopened by the customer, resolved again.
    t["reopened"] = ticket(world, "2026-10-12 09:00", org="B", model=Incident)
    step(world, t["reopened"], "2026-10-12 09:05", "assign", assignee_team=desk)
    step(world, t["reopened"], "2026-10-12 09:10", "start")
    step(world, t["reopened"], "2026-10-12 13:00", "resolve")
    step(world, t["reopened"], "2026-10-13 09:00", "reopen", comment="还是打不开")
    step(world, t["reopened"], "2026-10-14 09:00", "resolve")
    # Resolved in October, reopened in November (still open): not reopened in October.
    t["later"] = ticket(world, "2026-10-20 09:00", org="B")
    step(world, t["later"], "2026-10-20 09:05", "assign", assignee_team=desk)
    step(world, t["later"], "2026-10-20 09:10", "start")
    step(world, t["later"], "2026-10-21 09:00", "resolve")
    step(world, t["later"], "2026-11-02 09:00", "reopen", comment="又坏了")
    # Another provider's: reassigned between its teams and reopened.
    q_second = directory.create_object(Team, actor=None, data={
        "organization": world.orgs["Q"], "name": "Q second", "members": [world.agent_q]})
    t["q"] = ticket(world, "2026-10-05 09:00", org="C")
    step(world, t["q"], "2026-10-05 09:05", "assign", assignee_team=world.teams["q_desk"])
    step(world, t["q"], "2026-10-05 09:10", "assign", assignee_team=q_second)
    step(world, t["q"], "2026-10-05 09:20", "start")
    step(world, t["q"], "2026-10-05 10:00", "resolve")
    step(world, t["q"], "2026-10-05 11:00", "reopen", comment="not fixed")
    step(world, t["q"], "2026-10-05 12:00", "resolve")
    t["second"] = second
    return t


def test_first_contact_resolution_counts_team_reassignments(world, history):
    fcr = value("first-contact-resolution", world)
    assert (fcr.value, fcr.numerator, fcr.denominator) == (75.0, 3, 4)  # all but "moved"
    assert values("first-contact-resolution", world, "team") == {
        world.teams["desk"].pk: 100.0, history["second"].pk: 0.0}
    assert values("first-contact-resolution", world, "customer") == {
        world.orgs["A"].pk: 50.0, world.orgs["B"].pk: 100.0}
    assert behind("first-contact-resolution", world) == {
        history[k].number for k in ("first", "moved", "reopened", "later")}
    assert value("first-contact-resolution", world, JANUARY).value is None


def test_reopen_rate_counts_reopens_before_the_end_of_the_period(world, history):
    reopen = value("reopen-rate", world)
    assert (reopen.value, reopen.numerator, reopen.denominator) == (25.0, 1, 4)
    assert values("reopen-rate", world, "customer") == {
        world.orgs["A"].pk: 0.0, world.orgs["B"].pk: 50.0}
    assert values("reopen-rate", world, "person") == {world.agent.pk: 25.0}
    # November: nothing resolved (the November reopen left "later" resolved in October).
    assert value("reopen-rate", world, NOVEMBER).value is None


def test_audit_trail_indicators_take_a_fixed_number_of_queries(world, history):
    counts = {key: queries(lambda k=key: indicators.split(k, scope(world), *OCTOBER,
                                                          by="team"))
              for key in ("first-contact-resolution", "reopen-rate")}
    third = directory.create_object(Team, actor=None, data={
        "organization": world.orgs["P"], "name": "三线支持", "members": [world.agent]})
    extra = ticket(world, "2026-10-22 09:00", org="B")
    step(world, extra, "2026-10-22 09:05", "assign", assignee_team=third)
    step(world, extra, "2026-10-22 09:10", "start")
    step(world, extra, "2026-10-22 10:00", "resolve")
    for key, before in counts.items():
        assert queries(lambda k=key: indicators.split(k, scope(world), *OCTOBER,
                                                      by="team")) == before == 2
    assert len(values("first-contact-resolution", world, "team")) == 3


def test_backlog_age_of_the_tickets_open_at_the_end(world):
    resolved(world, "2026-10-22 00:00", None)  # 10 days old on 11-01 00:00
    resolved(world, "2026-10-27 00:00", None, org="B", priority=2)  # 5 days
    resolved(world, "2026-10-20 00:00", "2026-11-03 00:00")  # resolved after: 12 days
    resolved(world, "2026-10-10 00:00", "2026-10-15 00:00")  # resolved before the end
    resolved(world, "2026-10-05 00:00", None, status="cancelled",
             closed_at=at("2026-10-06 00:00"))  # cancelled
    resolved(world, "2026-11-05 00:00", None)  # raised after the end
    resolved(world, "2026-10-01 00:00", None, org="C")  # another provider's
    age = value("backlog-age", world)
    assert (age.value, age.numerator, age.denominator) == (9.0, 27.0, 3)  # (10 + 5 + 12) / 3
    assert values("backlog-age", world, "customer") == {
        world.orgs["A"].pk: 11.0, world.orgs["B"].pk: 5.0}
    assert values("backlog-age", world, "priority") == {3: 11.0, 2: 5.0}
    assert value("backlog-age", world, JANUARY).value is None


def test_incidents_raised_per_service(world, services):
    erp, mail = services["erp"], services["mail"]
    for org, service, priority in (("A", erp, 1), ("A", mail, 3), ("B", mail, 3)):
        ticket(world, "2026-10-06 09:00", model=Incident, org=org, service=service,
               priority=priority)
    cancelled = ticket(world, "2026-10-07 09:00", model=Incident, service=erp)
    Incident.objects.filter(pk=cancelled.pk).update(status="cancelled")
    ticket(world, "2026-10-06 09:00", service=erp)  # a service request
    ticket(world, "2026-09-30 09:00", model=Incident, service=erp)  # September's
    ticket(world, "2026-10-06 09:00", model=Incident, org="C", service=services["qapp"])
    assert value("incident-rate", world).value == 3
    assert values("incident-rate", world, "service") == {erp.pk: 1, mail.pk: 2}
    assert values("incident-rate", world, "priority") == {1: 1, 3: 2}
    assert value("incident-rate", world, customer_id=world.orgs["A"].pk).value == 2
    assert value("incident-rate", world, service_id=mail.pk).value == 2
    # A team does not narrow incidents raised: the indicator does not split by team.
    assert value("incident-rate", world, team_id=world.teams["desk"].pk).value == 3
    assert "team" not in indicators.indicator("incident-rate").dimensions
    assert value("incident-rate", world, JANUARY).value == 0  # a count: none is 0


def test_availability_per_customer_and_service(world, services):
    erp, mail = services["erp"], services["mail"]
    # A's ERP: an urgent incident and a major incident overlapping → 10:00–13:00, 180 min.
    outage(world, "2026-10-13 10:00", "2026-10-13 12:00", service=erp)
    major_outage(world, "2026-10-13 11:00", "2026-10-13 13:00", service=erp)
    outage(world, "2026-10-14 10:00", "2026-10-14 12:00", service=mail, priority=3)  # not P1
    outage(world, "2026-10-16 09:00", "2026-10-16 10:00", service=mail, org="B")  # 60 min
    outage(world, "2026-10-16 09:00", "2026-10-17 02:00", service=services["qapp"], org="C")
    # Measured: A × ERP, A × Mail, B × Mail: 3 × 44,640 min, 240 of them out.
    availability = value("availability", world)
    assert (availability.denominator, availability.numerator) == (
        3 * OCTOBER_MINUTES, 3 * OCTOBER_MINUTES - 240)
    assert availability.value == round(100 * (1 - 240 / (3 * OCTOBER_MINUTES)), 3) == 99.821
    assert values("availability", world, "service") == {erp.pk: 99.597, mail.pk: 99.933}
    assert values("availability", world, "customer") == {
        world.orgs["A"].pk: 99.798, world.orgs["B"].pk: 99.866}
    assert value("availability", world, customer_id=world.orgs["B"].pk,
                 service_id=mail.pk).value == 99.866
    assert len(behind("availability", world)) == 3  # A's and B's urgent incidents, A's major
    # A period that has not started yet measures nothing.
    assert value("availability", world, (at("2027-01-01 00:00"),
                                         at("2027-02-01 00:00"))).value is None
    assert queries(lambda: indicators.split("availability", scope(world), *OCTOBER,
                                            by="customer")) == 4


@pytest.fixture
def survey(world):
    """Two questions on response speed and one on service quality; answers of A and B in
    October, of A in September, and of Q's customer C."""
    questionnaire = Questionnaire.objects.create(code="indicator-test", title="满意度调查")
    section = Section.objects.create(questionnaire=questionnaire, title="服务")
    speed1, speed2, quality = (Question.objects.create(section=section, title=title,
                                                       dimension=dimension)
                               for title, dimension in (("响应及时", "response_speed"),
                                                        ("到场及时", "response_speed"),
                                                        ("处理质量", "service_quality")))
    ours, theirs = (Campaign.objects.create(
        provider=world.orgs[p], name="2026 年度调查", questionnaire=questionnaire,
        period_start=dt.date(2026, 1, 1), period_end=dt.date(2026, 9, 30),
        closes_at=at("2026-10-31 00:00")) for p in ("P", "Q"))
    responses = {}

    def respond(name, campaign, org, when, *answers):
        response = SurveyResponse.objects.create(
            campaign=campaign, questionnaire=questionnaire, organization=world.orgs[org],
            channel="portal", submitted_at=at(when))
        for question, score in answers:
            Answer.objects.create(response=response, question=question, campaign=campaign,
                                  organization_id=world.orgs[org].pk,
                                  dimension=question.dimension, score=score,
                                  not_applicable=score is None)
        responses[name] = response

    respond("a", ours, "A", "2026-10-05 10:00", (speed1, 4), (speed2, 5), (quality, 3))
    respond("b", ours, "B", "2026-10-20 10:00", (speed1, 2), (speed2, None), (quality, 5))
    respond("september", ours, "A", "2026-09-28 10:00", (speed1, 1))
    respond("c", theirs, "C", "2026-10-10 10:00", (speed1, 1), (quality, 1))
    return responses


def test_survey_score_per_evaluation_dimension(world, survey):
    keys = {i.key for i in indicators.indicators()}
    assert {"survey-score-response-speed", "survey-score-service-quality",
            "survey-score-reliability", "survey-score-cost",
            "survey-score-security"} <= keys
    speed = value("survey-score-response-speed", world)
    # 4, 5 and 2; "not applicable" left out.
    assert (speed.value, speed.numerator, speed.denominator) == (3.67, 11, 3)
    assert values("survey-score-response-speed", world, "customer") == {
        world.orgs["A"].pk: 4.5, world.orgs["B"].pk: 2.0}
    assert value("survey-score-service-quality", world).value == 4.0
    assert value("survey-score-reliability", world).value is None  # no such questions
    assert value("survey-score-response-speed", world, JANUARY).value is None
    assert behind("survey-score-response-speed", world) == {survey["a"].pk, survey["b"].pk}
    with pytest.raises(ValueError):
        indicators.split("survey-score-response-speed", scope(world), *OCTOBER, by="team")


def member(world, org: str):
    """Someone of ``org`` (a record's requester must belong to its organization)."""
    return {"P": world.agent, "Q": world.agent_q, "A": world.requester_a,
            "B": world.requester_b, "C": world.requester_c}[org]


def complaint(world, org: str, received: str | None, *, created: str | None = None,
              closed: str | None = None, clocks: tuple = (), **changes) -> Complaint:
    """A complaint of ``org`` with its time stamps and clocks (response, resolution: met
    or not) set directly."""
    requester = member(world, org)
    record = complaint_services.create_complaint(actor=requester, data={
        "organization": world.orgs[org], "requester": requester, "title": "故障处理太慢",
        "description": "报修三天无人处理"})
    changes.update(received_at=at(received) if received else None,
                   created_at=at(created or received))
    if closed:
        changes.update(status="closed", closed_at=at(closed))
    Complaint.objects.filter(pk=record.pk).update(**changes)
    calendar = BusinessCalendar.objects.first()
    for kind, met in zip(("response", "resolution"), clocks, strict=False):
        SLAClock.objects.update_or_create(
            record_type=ContentType.objects.get_for_model(Complaint), record_id=record.pk,
            kind=kind, defaults={"organization_id": world.orgs[org].pk, "calendar": calendar,
                                 "target_minutes": 1440, "started_at": at(created or received),
                                 "stopped_at": at(closed or received), "met": met})
    return record


def test_complaint_rate_per_thousand_tickets_raised(world, services):
    for org, count in (("A", 5), ("B", 2), ("C", 3)):
        for _ in range(count):
            ticket(world, "2026-10-06 09:00", org=org)
    ticket(world, "2026-09-30 09:00")  # September's
    complaint(world, "A", "2026-10-03 10:00")  # holiday week
    complaint(world, "A", None, created="2026-10-15 10:00")  # no time of complaint: created
    complaint(world, "B", "2026-10-18 10:00")
    complaint(world, "B", "2026-09-29 10:00", created="2026-10-02 10:00")  # received earlier
    complaint(world, "C", "2026-10-10 10:00")  # another provider's
    rate = value("complaint-rate", world)
    assert (rate.value, rate.numerator, rate.denominator) == (428.57, 3, 7)  # 3 / 7 × 1000
    assert values("complaint-rate", world, "customer") == {
        world.orgs["A"].pk: 400.0, world.orgs["B"].pk: 500.0}
    assert value("complaint-rate", world, customer_id=world.orgs["B"].pk).value == 500.0
    assert value("complaint-rate", world, JANUARY).value is None


def test_complaint_timeliness_reuses_the_complaint_assessment(world):
    desk = world.teams["desk"]
    complaint(world, "A", "2026-10-03 10:00", closed="2026-10-09 10:00", clocks=(True, True),
              assignee_team=desk, assignee=world.agent)
    complaint(world, "A", "2026-10-15 10:00", closed="2026-10-20 10:00", clocks=(True, False),
              assignee_team=desk, assignee=world.lead)
    complaint(world, "B", "2026-10-18 10:00", closed="2026-11-02 10:00", clocks=(False,))
    complaint(world, "B", "2026-09-29 10:00", closed="2026-10-05 10:00", clocks=(False,))
    complaint(world, "A", "2026-10-25 10:00", clocks=(True,))  # still open
    complaint(world, "C", "2026-10-10 10:00", closed="2026-10-12 10:00", clocks=(True, True))
    on_time = value("complaint-timeliness", world)
    assert (on_time.value, on_time.numerator, on_time.denominator) == (60.0, 3, 5)
    assert values("complaint-timeliness", world, "team") == {desk.pk: 75.0, None: 0.0}
    assert values("complaint-timeliness", world, "person") == {
        world.agent.pk: 100.0, world.lead.pk: 50.0, None: 0.0}
    assert values("complaint-timeliness", world, "customer") == {
        world.orgs["A"].pk: 75.0, world.orgs["B"].pk: 0.0}
    assert value("complaint-timeliness", world, JANUARY).value is None
    # The complaint assessment reads the same clocks (of every provider, as it is called).
    assert assessment.timeliness(OCTOBER, team=desk) == 75.0


def change(world, org: str, created: str, *, services_=(), closed: str | None = None,
           **changes) -> Change:
    record = core.create_record(Change, actor=None, data={
        "organization": world.orgs[org], "requester": member(world, org),
        "title": "数据库版本升级",
        "services": list(services_)})
    changes["created_at"] = at(created)
    if closed:
        changes.update(status="closed", closed_at=at(closed))
    Change.objects.filter(pk=record.pk).update(**changes)
    return record


@pytest.fixture
def changes(world, services):
    erp, mail, desk = services["erp"], services["mail"], world.teams["desk"]
    return {
        "ok": change(world, "P", "2026-10-02 10:00", services_=[erp], closed="2026-10-08 10:00",
                     outcome="success", assignee_team=desk),
        "backed": change(world, "A", "2026-10-03 10:00", services_=[erp, mail],
                         change_type="emergency", closed="2026-10-04 10:00",
                         outcome="backed_out", assignee_team=desk),
        "old": change(world, "A", "2026-09-20 10:00", services_=[mail],
                      closed="2026-10-20 10:00", outcome="success"),
        "running": change(world, "P", "2026-10-25 10:00", change_type="emergency",
                          status="implementing"),
        "cancelled": change(world, "P", "2026-10-05 10:00", status="cancelled",
                            closed_at=at("2026-10-06 10:00")),
        "b": change(world, "B", "2026-10-11 10:00", services_=[mail],
                    closed="2026-10-12 10:00", outcome="success", priority=2),
        "q": change(world, "Q", "2026-10-10 10:00", change_type="emergency",
                    closed="2026-10-15 10:00", outcome="failed"),
    }


def test_change_success_of_the_changes_closed(world, services, changes):
    success = value("change-success", world)
    assert (success.value, success.numerator, success.denominator) == (75.0, 3, 4)
    # A change affecting two services counts for each.
    assert values("change-success", world, "service") == {
        services["erp"].pk: 50.0, services["mail"].pk: 66.67}
    assert values("change-success", world, "team") == {world.teams["desk"].pk: 50.0,
                                                       None: 100.0}
    assert value("change-success", world, service_id=services["mail"].pk).value == 66.67
    assert behind("change-success", world) == {
        changes[k].number for k in ("ok", "backed", "old", "b")}
    assert value("change-success", world, JANUARY).value is None


def test_emergency_change_share_of_the_changes_raised(world, changes):
    share = value("emergency-change-share", world)
    assert (share.value, share.numerator, share.denominator) == (40.0, 2, 5)
    assert values("emergency-change-share", world, "customer") == {
        world.orgs["P"].pk: 33.33, world.orgs["A"].pk: 100.0, world.orgs["B"].pk: 0.0}
    assert values("emergency-change-share", world, "priority") == {3: 50.0, 2: 0.0}
    assert value("emergency-change-share", world, JANUARY).value is None


def test_problem_closure_time_in_days(world, services):
    def problem(org, created, *, closed=None, **changes):
        record = core.create_record(Problem, actor=None, data={
            "organization": world.orgs[org], "requester": member(world, org),
            "title": "邮件服务器反复宕机"})
        changes["created_at"] = at(created)
        if closed:
            changes.update(status="closed", closed_at=at(closed))
        Problem.objects.filter(pk=record.pk).update(**changes)

    problem("A", "2026-10-01 00:00", closed="2026-10-11 00:00", service=services["erp"],
            assignee_team=world.teams["desk"])  # 10 days
    problem("B", "2026-09-26 00:00", closed="2026-10-06 12:00",
            service=services["mail"])  # 10.5 days, closed in the holiday week
    problem("A", "2026-10-05 00:00", status="cancelled", closed_at=at("2026-10-07 00:00"))
    problem("A", "2026-10-10 00:00", status="resolved", resolved_at=at("2026-10-12 00:00"))
    problem("A", "2026-10-20 00:00", closed="2026-11-03 00:00")  # November's
    problem("C", "2026-10-01 00:00", closed="2026-10-02 00:00")  # another provider's
    closure = value("problem-closure-time", world)
    assert (closure.value, closure.numerator, closure.denominator) == (10.25, 20.5, 2)
    assert values("problem-closure-time", world, "service") == {
        services["erp"].pk: 10.0, services["mail"].pk: 10.5}
    assert values("problem-closure-time", world, "team") == {
        world.teams["desk"].pk: 10.0, None: 10.5}
    assert value("problem-closure-time", world, JANUARY).value is None


def test_every_new_indicator_is_described(world):
    new = {"handling-time-p90", "first-contact-resolution", "reopen-rate", "incident-rate",
           "availability", "complaint-rate", "complaint-timeliness", "change-success",
           "emergency-change-share", "problem-closure-time", "backlog-age"}
    found = {i.key: i for i in indicators.indicators()}
    assert new <= set(found)
    for key in new:
        assert str(found[key].name) and str(found[key].description).endswith((".", "。"))
    assert found["complaint-rate"].unit == indicators.PER_THOUSAND
    assert found["availability"].dimensions == {"customer", "service"}
    assert found["incident-rate"].dimensions == {"customer", "service", "priority"}
