"""Access matrix: every URL of the API and of the web UI, for every kind of person.

Every ticket type (service requests and incidents) gets the same probes: they are built
per type from ``TICKET_ROUTES``, over the same scenario records a1/a2/b/c of each type.

The matrix below has one entry per URL name the resolver knows (outside Django's
admin); a route added without an entry makes ``test_every_route_is_in_the_matrix``
fail, so nobody can add an endpoint and forget its access rules.

What is checked, for each identity of the ``world`` fixture:
- anonymous: the API answers 401/403, the web UI redirects to the login page;
- an object outside the person's scope is a 404 (never 403, never 200) on every
  route that names it — read or write — and nothing changes in the database;
- lists, searches (``?q=``, the global search too) and CSV exports contain exactly the
  records in scope;
- the sentinel string of customer B never reaches anyone who may not see B;
- the auditor reads everything in scope, and every write is a 403 that changes
  nothing.
"""

# covers: GEN-ACCESS (organization scoping), GEN-ROLES (requester, customer admin,
# agent, auditor, administrator), GEN-API (every endpoint), GEN-AUDIT (read-only auditor)

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

import pytest
from django.apps import apps
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from itsm.conftest import SENTINEL_B, world_copy
from itsm.core.registry import record_types

from .scenario import (
    AUDIT_READERS,
    BLIND_TO_B,
    INTERNAL_NOTE,
    SCOPE,
    TICKET_MODELS,
    VISIBLE_RECORDS,
    body_text,
    build_scenario,
    csv_rows,
    fingerprint,
    upload,
)

IDENTITIES = sorted(SCOPE)
#: Record types by model name (the basename of their API routes) → the prefix of their UI
#: routes, from the registry: a new record type is probed like the others.
TICKET_ROUTES = {rt.key: rt.model.url_prefix for rt in record_types()}
#: Ticket types only provider staff see (customers get 404 / empty lists).
STAFF_ONLY = {key for key, model in TICKET_MODELS.items()
              if not getattr(model, "customers_may_view", True)}
#: Identities of provider staff.
PROVIDER_STAFF = {"agent", "auditor", "admin", "agent_q"}
#: Ticket types customers rate after closing (FBK-1).
RATED = {"servicerequest", "incident"}
#: Ticket types that can be merged and linked (servicedesk.services).
RELATED = {"servicerequest", "incident"}
#: Ticket types with a bulk import (core.imports).
IMPORTED = {"servicerequest", "incident"}
TICKETS = list(TICKET_ROUTES)
#: Ticket types customers see (their own records).
CUSTOMER_TICKETS = [t for t in TICKETS if t not in STAFF_ONLY]


def api_route(ticket: str, name: str) -> str:
    return f"api:{ticket}-{name}"


def ui_route(ticket: str, name: str) -> str:
    return f"{TICKET_ROUTES[ticket]}-{name}"


def visible_record_keys(identity: str | None, ticket: str | None) -> set[str]:
    """Keys of the scenario records of ``ticket`` that ``identity`` may see."""
    if ticket in STAFF_ONLY and identity not in PROVIDER_STAFF:
        return set()
    return VISIBLE_RECORDS.get(identity, set())


# --- The matrix -------------------------------------------------------------------------


@dataclass(frozen=True)
class Probe:
    """One request against one route; ``target`` names the kind of object in the URL."""

    route: str
    method: str
    target: str  # record | attachment | organization | department | team | person | audit
    data: Any = None
    fmt: str | None = None  # "json" for the API, None: multipart/form
    write: bool = False
    extra: tuple[tuple[str, str], ...] = ()
    ticket: str | None = None  # the ticket type of a "record" target

    @property
    def api(self) -> bool:
        return self.route.startswith("api:")

    def __str__(self) -> str:
        return f"{self.method} {self.route}"

    def url(self, pk: int) -> str:
        return reverse(self.route, kwargs={"pk": pk, **dict(self.extra)})

    def send(self, client, pk: int):
        data = self.data() if callable(self.data) else self.data
        kwargs = {"format": self.fmt} if self.fmt else {}
        return getattr(client, self.method.lower())(self.url(pk), data, **kwargs)


def _file() -> dict:
    return {"file": upload("probe.txt", b"probe")}


def ticket_probes(ticket: str) -> list[Probe]:
    """The routes that name one ticket: the same probes for every ticket type."""

    def probe(name: str, method: str, data: Any = None, fmt: str | None = None,
              write: bool = False, ui: bool = False, **kwargs: Any) -> Probe:
        route = ui_route(ticket, name) if ui else api_route(ticket, name)
        return Probe(route, method, "record", data, fmt, write, ticket=ticket, **kwargs)

    rated = ticket in RATED
    step = "respond" if ticket == "majorincident" else "cancel"  # a transition of the type
    return [
        *([probe("rating", "GET"), probe("rating", "POST", {"score": 5}, "json", True),
           probe("rate", "POST", {"score": "5"}, write=True, ui=True)] if rated else []),
        *([probe("declare-major", "POST", {"reason": "hacked"}, "json", True)]
          if ticket == "incident" else []),
        # Merging duplicates and links between records (servicedesk.services)
        *([probe("merge", "POST", {"into": "1"}, "json", True),
           probe("links", "GET"),
           probe("links", "POST", {"target": "REQ-2000-000001"}, "json", True),
           probe("link-detail", "DELETE", None, "json", True, extra=(("link_id", "1"),)),
           probe("merge", "POST", {"into": "REQ-2000-000001"}, write=True, ui=True),
           probe("link", "POST", {"target": "REQ-2000-000001", "kind": "related"},
                 write=True, ui=True),
           probe("unlink", "POST", {}, write=True, ui=True, extra=(("link_id", "1"),))]
          if ticket in RELATED else []),
        # API
        probe("detail", "GET"),
        probe("detail", "PATCH", {"title": "hacked"}, "json", True),
        probe("detail", "PUT", {"title": "hacked", "description": "x"}, "json", True),
        probe("detail", "DELETE", None, "json", True),
        probe("transition", "POST", {"transition": step, "comment": "hacked"}, "json", True),
        probe("available-transitions", "GET"),
        probe("comments", "GET"),
        probe("comments", "POST", {"body": "hacked"}, "json", True),
        probe("attachments", "GET"),
        probe("attachments", "POST", _file, None, True),
        probe("timeline", "GET"),
        # Web UI
        probe("detail", "GET", ui=True),
        probe("edit", "GET", write=True, ui=True),
        probe("edit", "POST", {"title": "hacked"}, write=True, ui=True),
        probe("transition", "POST", {f"t-{step}-comment": "hacked"}, write=True, ui=True,
              extra=(("name", step),)),
        probe("comment", "POST", {"body": "hacked"}, write=True, ui=True),
        probe("attach", "POST", _file, write=True, ui=True),
        probe("delete", "GET", write=True, ui=True),  # administrators only: not a read
        probe("delete", "POST", {}, write=True, ui=True),
    ]


def change_probes() -> list[Probe]:
    """Routes of a change's own panels (changes.api, changes.views)."""

    def probe(route: str, method: str, data: Any = None, fmt: str | None = None,
              write: bool = False, **kwargs: Any) -> Probe:
        return Probe(route, method, "record", data, fmt, write, ticket="change", **kwargs)

    api = partial(api_route, "change")
    return [
        probe(api("approvals"), "GET"),
        probe(api("conflicts"), "GET"),
        probe(api("tasks"), "GET"),
        probe(api("tasks"), "POST", {"title": "hacked"}, "json", True),
        probe(api("vote"), "POST", {"decision": "approve"}, "json", True),
        probe(api("close-voting"), "POST", {}, "json", True),
        probe(api("cis"), "GET"),
        probe(api("cis"), "POST", {"ci": 1}, "json", True),
        probe(api("cis"), "DELETE", {"ci": 1}, "json", True),
        probe(api("links"), "GET"),
        probe(api("links"), "POST", {"target": "REQ-2000-000001"}, "json", True),
        probe(api("link-detail"), "DELETE", None, "json", True, extra=(("link_id", "1"),)),
        probe("changes:change-vote", "POST", {"decision": "approve"}, write=True,
              extra=(("approval_id", "1"),)),
        probe("changes:change-close-voting", "POST", {}, write=True,
              extra=(("approval_id", "1"),)),
        probe("changes:change-item-link", "POST", {"ci": "1"}, write=True),
        probe("changes:change-item-unlink", "POST", {}, write=True, extra=(("ci_id", "1"),)),
        probe("changes:change-task-add", "POST", {"title": "hacked"}, write=True),
        probe("changes:change-task-update", "POST", {"status": "done"}, write=True,
              extra=(("task_id", "1"),)),
        probe("changes:change-plan-use", "POST", {"plan": "1"}, write=True),
    ]


def change_master_probes() -> list[Probe]:
    """Boards, templates, freeze windows, CAB meetings (one per provider) and tasks."""
    probes = []
    for basename, target, data in [
            ("changeboard", "changeboard", {"name": "hacked"}),
            ("changetemplate", "changetemplate", {"name": "hacked"}),
            ("freezewindow", "freezewindow", {"name": "hacked"}),
            ("cabmeeting", "cabmeeting", {"title": "hacked"})]:
        probes += [Probe(f"api:{basename}-detail", "GET", target),
                   Probe(f"api:{basename}-detail", "PATCH", target, data, "json", True)]
        if target != "cabmeeting":  # meetings are kept (no DELETE)
            probes.append(Probe(f"api:{basename}-detail", "DELETE", target, None, "json",
                                True))
    for kind, target, data in [("board", "changeboard", {"name": "hacked"}),
                               ("template", "changetemplate", {"name": "hacked"}),
                               ("freeze", "freezewindow", {"name": "hacked"})]:
        probes += [Probe(f"changes:{kind}-edit", "GET", target, write=True),
                   Probe(f"changes:{kind}-edit", "POST", target, data, write=True),
                   Probe(f"changes:{kind}-delete", "POST", target, {}, write=True)]
    return [
        *probes,
        Probe("changes:board-detail", "GET", "changeboard"),
        Probe("api:cabmeeting-items", "POST", "cabmeeting", {"change": 1}, "json", True),
        Probe("api:cabmeeting-decisions", "POST", "cabmeeting",
              {"item": 1, "decision": "approved"}, "json", True),
        Probe("changes:meeting-detail", "GET", "cabmeeting"),
        Probe("changes:meeting-edit", "GET", "cabmeeting", write=True),
        Probe("changes:meeting-edit", "POST", "cabmeeting", {"minutes": "hacked"}, write=True),
        Probe("changes:meeting-item-add", "POST", "cabmeeting", {"change": "1"}, write=True),
        Probe("changes:meeting-decision", "POST", "cabmeeting", {"decision": "approved"},
              write=True, extra=(("item_id", "1"),)),
        Probe("api:changetask-detail", "GET", "changetask"),
        Probe("api:changetask-detail", "PATCH", "changetask", {"title": "hacked"}, "json",
              True),
    ]


def survey_probes() -> list[Probe]:
    """Questionnaires and campaigns (one per provider) and survey answers (one per
    customer) of surveys.api."""
    return [
        Probe("api:questionnaire-detail", "GET", "questionnaire"),
        Probe("api:questionnaire-detail", "PATCH", "questionnaire", {"title": "hacked"},
              "json", True),
        Probe("api:questionnaire-detail", "DELETE", "questionnaire", None, "json", True),
        Probe("api:campaign-detail", "GET", "campaign"),
        Probe("api:campaign-detail", "PATCH", "campaign", {"name": "hacked"}, "json", True),
        Probe("api:campaign-launch", "POST", "campaign", None, "json", True),
        Probe("api:campaign-close", "POST", "campaign", None, "json", True),
        Probe("api:campaign-answers", "POST", "campaign",
              {"channel": "phone", "answers": {}}, "json", True),
        Probe("api:surveyresponse-detail", "GET", "surveyresponse"),
        # the web pages of questionnaires and campaigns (surveys/tests/test_pages)
        Probe("surveys:questionnaire-detail", "GET", "questionnaire"),
        Probe("surveys:questionnaire-edit", "GET", "questionnaire", write=True),
        Probe("surveys:questionnaire-edit", "POST", "questionnaire", {"title": "hacked"},
              write=True),
        Probe("surveys:questionnaire-delete", "POST", "questionnaire", {}, write=True),
        Probe("surveys:campaign-detail", "GET", "campaign"),
        Probe("surveys:campaign-edit", "GET", "campaign", write=True),
        Probe("surveys:campaign-edit", "POST", "campaign", {"name": "hacked"}, write=True),
        Probe("surveys:campaign-launch", "POST", "campaign", {}, write=True),
        Probe("surveys:campaign-close", "POST", "campaign", {}, write=True),
        Probe("surveys:campaign-staff-answer", "GET", "campaign", write=True),
        Probe("surveys:campaign-staff-answer", "POST", "campaign", {"channel": "phone"},
              write=True),
    ]


def improvement_probes() -> list[Probe]:
    """The routes of an improvement plan's measures and effect check, and of the target
    evaluations of a quality review."""

    def probe(route: str, method: str, data: Any = None, fmt: str | None = None,
              write: bool = False, measure: bool = False, ticket: str = "improvementplan"
              ) -> Probe:
        return Probe(route, method, "record", data, fmt, write,
                     (("measure_id", "1"),) if measure else (), ticket=ticket)

    plan = partial(api_route, "improvementplan")
    return [
        probe(plan("measures"), "GET"),
        probe(plan("measures"), "POST", {"title": "hacked", "owner": 1}, "json", True),
        probe(plan("measure-detail"), "PATCH", {"title": "hacked"}, "json", True, True),
        probe(plan("measure-detail"), "DELETE", None, "json", True, True),
        probe(plan("measure-complete"), "POST", {}, "json", True, True),
        probe(plan("check-effect"), "POST", None, "json", True),
        probe("quality:plan-measure-add", "POST", {"new-title": "hacked"}, write=True),
        probe("quality:plan-measure-edit", "POST", {"m1-title": "hacked"}, write=True,
              measure=True),
        probe("quality:plan-measure-complete", "POST", {}, write=True, measure=True),
        probe("quality:plan-measure-delete", "POST", {}, write=True, measure=True),
        probe("quality:plan-check-effect", "POST", {}, write=True),
        probe(api_route("qualityreview", "evaluations"), "GET", ticket="qualityreview"),
    ]


def document_probes() -> list[Probe]:
    """The routes of a controlled document's own parts: versions, check-out, review,
    confirmation, loans, its access log, disposal (documents.api, documents.views)."""

    def probe(route: str, method: str, data: Any = None, fmt: str | None = None,
              write: bool = False) -> Probe:
        return Probe(route, method, "record", data, fmt, write, ticket="controlleddocument")

    api = partial(api_route, "controlleddocument")
    return [
        probe(api("versions"), "GET"),
        probe(api("versions"), "POST", {"text": "hacked", "change_summary": "x"}, "json",
              True),
        probe(api("checkout"), "POST", None, "json", True),
        probe(api("checkin"), "POST", {"text": "hacked", "change_summary": "x"}, "json",
              True),
        probe(api("release"), "POST", {"force": True}, "json", True),
        probe(api("reviews"), "GET"),
        probe(api("reviews"), "POST", {"decision": "approved"}, "json", True),
        probe(api("confirm"), "POST", None, "json", True),
        probe(api("dispose"), "POST", {"reason": "hacked"}, "json", True),
        probe("documents:document-access-log", "GET"),
        probe("documents:document-dispose", "GET", write=True),  # keepers only: no read
        *(probe(f"documents:document-{name}", "POST", data, write=True)
          for name, data in [("checkout", {}), ("release", {"force": "1"}),
                             ("version-add", {"text": "hacked"}),
                             ("review", {"decision": "approved"}), ("confirm", {}),
                             ("loan", {"purpose": "hacked", "due_date": "2030-01-01"}),
                             ("dispose", {"reason": "hacked"})]),
    ]


#: Routes that name one object: every identity gets 404 for objects outside its scope.
OBJECT_PROBES: list[Probe] = [
    # API and web UI: every ticket type
    *(probe for ticket in TICKETS for probe in ticket_probes(ticket)),
    # API: attachments
    Probe("api:attachment-detail", "GET", "attachment"),
    Probe("api:attachment-download", "GET", "attachment"),
    # API: directory and audit log
    Probe("api:organization-detail", "GET", "organization"),
    Probe("api:organization-detail", "PATCH", "organization", {"name": "hacked"}, "json", True),
    Probe("api:organization-detail", "DELETE", "organization", None, "json", True),
    Probe("api:department-detail", "GET", "department"),
    Probe("api:department-detail", "PATCH", "department", {"name": "hacked"}, "json", True),
    Probe("api:department-detail", "DELETE", "department", None, "json", True),
    Probe("api:team-detail", "GET", "team"),
    Probe("api:team-detail", "PATCH", "team", {"name": "hacked"}, "json", True),
    Probe("api:team-detail", "DELETE", "team", None, "json", True),
    Probe("api:person-detail", "GET", "person"),
    Probe("api:person-detail", "PATCH", "person", {"email": "x@evil.example"}, "json", True),
    Probe("api:person-detail", "DELETE", "person", None, "json", True),
    Probe("api:person-reset-two-factor", "POST", "person", None, "json", True),
    Probe("api:person-send-invitation", "POST", "person", None, "json", True),
    Probe("api:person-send-password-reset", "POST", "person", None, "json", True),
    # Web UI: the directory (core.views_directory). Provider staff and customer
    # administrators read it (targets "*-page"), requesters get 404; who writes what is
    # tested in test_people.
    Probe("organization-detail", "GET", "organization-page"),
    Probe("organization-edit", "GET", "organization-page", write=True),
    Probe("organization-edit", "POST", "organization-page", {"name": "hacked"}, write=True),
    Probe("organization-delete", "POST", "organization-page", {}, write=True),
    Probe("department-edit", "GET", "department-page", write=True),
    Probe("department-edit", "POST", "department-page", {"name": "hacked"}, write=True),
    Probe("department-delete", "POST", "department-page", {}, write=True),
    Probe("team-detail", "GET", "team-page"),
    Probe("team-edit", "GET", "team-page", write=True),
    Probe("team-edit", "POST", "team-page", {"name": "hacked"}, write=True),
    Probe("team-delete", "POST", "team-page", {}, write=True),
    Probe("person-detail", "GET", "person-page"),
    Probe("person-edit", "GET", "person-page", write=True),
    Probe("person-edit", "POST", "person-page", {"username": "hacked", "roles": "agent"},
          write=True),
    *(Probe(f"person-{action}", "POST", "person-page", {}, write=True)
      for action in ("invite", "reset-link", "deactivate", "activate")),
    # web UI: an administrator resets a person's two-factor (its GET, administrators
    # only, is checked in test_two_factor)
    Probe("person-two-factor", "POST", "person", {}, None, True),
    Probe("api:auditentry-detail", "GET", "audit"),
    # API: notification channels (provider staff read, administrators write) and the log
    Probe("api:notificationchannel-detail", "GET", "channel"),
    Probe("api:notificationchannel-detail", "PATCH", "channel", {"name": "hacked"}, "json",
          True),
    Probe("api:notificationchannel-detail", "DELETE", "channel", None, "json", True),
    Probe("api:notification-detail", "GET", "notification"),
    # Notification templates (core.templating): provider staff read, administrators write
    Probe("api:notificationtemplate-detail", "GET", "notificationtemplate"),
    Probe("api:notificationtemplate-detail", "PATCH", "notificationtemplate",
          {"subject_template": "hacked"}, "json", True),
    Probe("api:notificationtemplate-detail", "DELETE", "notificationtemplate", None, "json",
          True),
    Probe("notificationtemplate-edit", "GET", "notificationtemplate", write=True),
    Probe("notificationtemplate-edit", "POST", "notificationtemplate",
          {"event": "record_resolved", "language": "zh-hans", "subject_template": "hacked",
           "body_template": "hacked"}, write=True),
    Probe("notificationtemplate-delete", "POST", "notificationtemplate", {}, write=True),
    # API: service catalogue and business calendars (catalog.api; administrators write)
    Probe("api:service-detail", "GET", "service"),
    Probe("api:service-detail", "PATCH", "service", {"name": "hacked"}, "json", True),
    Probe("api:service-detail", "DELETE", "service", None, "json", True),
    Probe("api:slapolicy-detail", "GET", "slapolicy"),
    Probe("api:slapolicy-detail", "PATCH", "slapolicy", {"name": "hacked"}, "json", True),
    Probe("api:slapolicy-detail", "DELETE", "slapolicy", None, "json", True),
    Probe("api:priorityrule-detail", "GET", "priorityrule"),
    Probe("api:priorityrule-detail", "PATCH", "priorityrule", {"priority": 4}, "json", True),
    Probe("api:priorityrule-detail", "DELETE", "priorityrule", None, "json", True),
    Probe("api:businesscalendar-detail", "GET", "calendar"),
    Probe("api:businesscalendar-detail", "PATCH", "calendar", {"name": "hacked"}, "json",
          True),
    Probe("api:businesscalendar-detail", "DELETE", "calendar", None, "json", True),
    Probe("api:businesscalendar-exceptions", "GET", "calendar"),
    Probe("api:businesscalendar-exceptions", "POST", "calendar",
          {"date": "2030-01-01", "kind": "holiday"}, "json", True),
    Probe("api:businesscalendar-exception-detail", "DELETE", "calendar", None, "json", True,
          extra=(("exception_id", "1"),)),
    Probe("api:businesscalendar-seed-china", "POST", "calendar", {"years": [2026]}, "json",
          True),
    # Web UI: attachments
    Probe("attachment-download", "GET", "attachment"),
    # API: CMDB (cmdb.api; provider staff writers write, CI types administrators)
    Probe("api:configurationitem-detail", "GET", "ci"),
    Probe("api:configurationitem-detail", "PATCH", "ci", {"name": "hacked"}, "json", True),
    Probe("api:configurationitem-detail", "DELETE", "ci", None, "json", True),
    Probe("api:configurationitem-impact", "GET", "ci"),
    Probe("api:configurationitem-graph", "GET", "ci"),
    Probe("api:cirelation-detail", "GET", "cirelation"),
    Probe("api:cirelation-detail", "DELETE", "cirelation", None, "json", True),
    Probe("api:citype-detail", "GET", "citype"),
    Probe("api:citype-detail", "PATCH", "citype", {"name": "hacked"}, "json", True),
    Probe("api:citype-detail", "DELETE", "citype", None, "json", True),
    # API: configuration items a ticket touches (servicedesk ConfigurationItemsMixin)
    *(probe for ticket in ("servicerequest", "incident") for probe in [
        Probe(api_route(ticket, "cis"), "GET", "record", ticket=ticket),
        Probe(api_route(ticket, "cis"), "POST", "record", {"ci": 1}, "json", True,
              ticket=ticket),
        Probe(api_route(ticket, "cis"), "DELETE", "record", {"ci": 1}, "json", True,
              ticket=ticket)]),
    # Web UI: configuration items (cmdb.views; provider staff writers write)
    Probe("cmdb:item-detail", "GET", "ci"),
    Probe("cmdb:item-graph", "GET", "ci"),
    Probe("cmdb:item-edit", "GET", "ci", write=True),
    Probe("cmdb:item-edit", "POST", "ci", {"name": "hacked"}, write=True),
    Probe("cmdb:item-delete", "POST", "ci", {}, write=True),
    Probe("cmdb:relation-add", "POST", "ci", {"kind": "depends_on", "target": "1"},
          write=True),
    Probe("cmdb:relation-remove", "POST", "ci", {}, write=True,
          extra=(("relation_id", "1"),)),
    # Changes: their panels, boards, templates, freeze windows, meetings, tasks
    *change_probes(),
    *change_master_probes(),
    # Complaints: a designated handler takes one (complaints.api, complaints.views)
    Probe(api_route("complaint", "take"), "POST", "record", {}, "json", True,
          ticket="complaint"),
    Probe("complaints:complaint-take", "POST", "record", {}, write=True, ticket="complaint"),
    # API: incidents a problem caused (problems.api)
    Probe(api_route("problem", "incidents"), "GET", "record", ticket="problem"),
    Probe(api_route("problem", "incidents"), "POST", "record", {"incident": "1"}, "json",
          True, ticket="problem"),
    # Surveys (surveys.api): questionnaires and campaigns (provider staff read, quality
    # managers and administrators write), answers typed in by staff, survey answers
    *survey_probes(),
    # Improvement plans: their measures and the effect check; a review's evaluations
    # (quality.api.improvement, quality.improvement_views; roles in quality/tests)
    *improvement_probes(),
    # Controlled documents: their versions, review, loans, access log and disposal
    *document_probes(),
]


@dataclass(frozen=True)
class Collection:
    """A route that lists objects; ``check`` compares its content with the scope."""

    route: str
    query: str = ""
    kind: str = "records"  # records | records-csv | directory | audit | page | empty-page
    ticket: str | None = None  # the ticket type of records, records-csv and page

    def url(self) -> str:
        return reverse(self.route) + self.query


def ticket_collections(ticket: str) -> list[Collection]:
    """Lists, searches and exports of one ticket type, in the API and the web UI."""
    api, ui = partial(api_route, ticket), partial(ui_route, ticket)
    return [Collection(route, query, kind, ticket) for route, query, kind in [
        (api("list"), "", "records"),
        (api("list"), f"?q={SENTINEL_B}", "records"),
        (api("list"), "?q=报修", "records"),
        (api("export"), "?file_format=csv", "records-csv"),
        (api("export"), f"?file_format=csv&q={SENTINEL_B}", "records-csv"),
        (ui("list"), "", "page"),
        (ui("list"), "?q=报修", "page"),
        (ui("list"), f"?q={SENTINEL_B}", "page"),
        (ui("export"), "?file_format=csv", "records-csv"),
        (ui("export"), "?file_format=csv&q=报修", "records-csv"),
    ]]


COLLECTION_PROBES: list[Collection] = [
    *(collection for ticket in TICKETS for collection in ticket_collections(ticket)),
    Collection("api:organization-list", "", "organization"),
    Collection("api:department-list", "", "department"),
    Collection("api:team-list", "", "team"),
    Collection("api:person-list", "", "person"),
    Collection("api:notificationchannel-list", "", "channel"),
    Collection("api:notification-list", "", "notification"),
    Collection("api:notificationtemplate-list", "", "notificationtemplate"),
    Collection("api:auditentry-list", "?page_size=200", "audit"),  # and the next pages
    Collection("api:service-list", "", "service"),
    Collection("api:slapolicy-list", "", "slapolicy"),
    Collection("api:priorityrule-list", "", "priorityrule"),
    Collection("api:businesscalendar-list", "?page_size=200", "calendar"),
    Collection("api:configurationitem-list", "", "ci"),
    Collection("api:cirelation-list", "", "cirelation"),
    Collection("api:citype-list", "?page_size=200", "citype"),
    Collection("cmdb:item-list", "", "ci-page"),
    Collection("problems:known-errors", "", "empty-page", "problem"),
    Collection("cmdb:item-list", f"?q={SENTINEL_B}", "ci-page"),
    Collection("api:changeboard-list", "", "changeboard"),
    Collection("api:changetemplate-list", "", "changetemplate"),
    Collection("api:freezewindow-list", "", "freezewindow"),
    Collection("api:cabmeeting-list", "", "cabmeeting"),
    Collection("api:changetask-list", "", "changetask"),
    Collection("api:questionnaire-list", "", "questionnaire"),
    Collection("api:campaign-list", "", "campaign"),
    Collection("api:surveyresponse-list", "", "surveyresponse"),
    # The global search (core.global_search): every record type the menu shows at once
    *(Collection(route, query, kind) for route, kind in (("search", "search-page"),
                                                         ("api:search", "search-api"))
      for query in ("?q=报修", f"?q={SENTINEL_B}")),
]

#: Routes without an object of a customer in the URL; their own tests live in test_api.
#: Value: (method, what anonymous gets) — "login" (redirect), "denied" (401/403), "open".
OTHER_ROUTES: dict[str, tuple[str, str]] = {
    "login": ("GET", "open"),
    "logout": ("POST", "open"),
    "home": ("GET", "login"),
    "set-language": ("POST", "open"),
    # Closing a notice for oneself, and the holiday banner's seeding (calendar
    # administrators; catalog/tests/test_holiday_banner)
    "notice-dismiss": ("POST", "login"),
    "catalog:seed-holidays": ("POST", "login"),
    # One's own account: two-factor authentication and passwords (test_two_factor,
    # test_sessions); the password reset pages are for people who cannot log in
    "account-security": ("GET", "login"),
    "admin-login": ("GET", "login"),  # the admin site logs in through the one login form
    "two-factor-verify": ("GET", "login"),
    "two-factor-setup": ("GET", "login"),
    "two-factor-disable": ("POST", "login"),
    "two-factor-backup-codes": ("POST", "login"),
    "password_change": ("GET", "login"),
    "password_reset": ("GET", "open"),
    "password_reset_done": ("GET", "open"),
    "password_reset_confirm": ("GET", "open"),
    "password_reset_complete": ("GET", "open"),
    **{ui_route(ticket, "create"): ("GET", "login") for ticket in TICKETS},
    "cmdb:item-create": ("GET", "login"),
    "api:me": ("GET", "denied"),
    "api:roles": ("GET", "denied"),
    "api:me-notification-preferences": ("GET", "denied"),  # one's own; see test_notifications
    # Notification templates without an object (scoping and roles in test_templating)
    "api:notificationtemplate-preview": ("POST", "denied"),
    "notificationtemplate-list": ("GET", "login"),
    "notificationtemplate-create": ("GET", "login"),
    "api:token": ("POST", "open"),  # it is the login of API clients
    "api:schema": ("GET", "open"),  # the OpenAPI description is public (no data)
    "api:docs": ("GET", "open"),
    # Monitoring webhooks (token of a provider service account; see servicedesk tests)
    "api:alerts-prometheus": ("POST", "denied"),
    "api:alerts-zabbix": ("POST", "denied"),
    "api:alerts-generic": ("POST", "denied"),
    "api:satisfaction-summary": ("GET", "denied"),
    # The priority the desk would use for impact × urgency (staff; see catalog test_api)
    "api:priorityrule-resolve": ("GET", "denied"),
    # CMDB imports (staff writers; see cmdb test_api)
    "api:configurationitem-import": ("POST", "denied"),
    "api:cirelation-import": ("POST", "denied"),
    # Ticket imports (staff writers; scoping and roles in servicedesk/tests/test_import)
    **{api_route(ticket, "import"): ("POST", "denied") for ticket in IMPORTED},
    **{ui_route(ticket, "import"): ("GET", "login") for ticket in IMPORTED},
    # The service catalogue of the portal, and a request's approvals and fulfilment tasks
    # (scoping and roles in servicedesk/tests/test_catalogue)
    "servicedesk:portal": ("GET", "login"),
    "servicedesk:portal-request": ("GET", "login"),
    "servicedesk:request-approval-decide": ("POST", "login"),
    "servicedesk:request-task-done": ("POST", "login"),
    **{f"api:servicerequest-{name}": (method, "denied") for name, method in [
        ("approvals", "GET"), ("decide", "POST"), ("tasks", "GET"),
        ("complete-task", "POST")]},
    **{f"api:{name}-{view}": ("GET", "denied") for name in [
        "requesttype", "requesttypefield", "requesttypeapproval", "requesttypetask"]
       for view in ("list", "detail")},
    # Request types and their parts (administrators; servicedesk/tests/test_catalogue)
    **{f"catalog:{name}": ("GET", "login") for name in [
        "requesttype-list", "requesttype-create", "requesttype-detail", "requesttype-edit",
        "requesttypefield-create", "requesttypefield-edit", "requesttypeapproval-create",
        "requesttypeapproval-edit", "requesttypetask-create", "requesttypetask-edit"]},
    **{f"catalog:{name}-delete": ("POST", "login") for name in [
        "requesttype", "requesttypefield", "requesttypeapproval", "requesttypetask"]},
    # The emailed rating link: public, the signed token is the credential (a bad one: 400)
    "servicedesk:rate": ("GET", "open"),
    # Emergency plans and drills (security; scoping and roles tested in security/tests)
    **{f"api:{name}": (method, "denied") for name, method in [
        ("emergencyplan-list", "GET"), ("emergencyplan-detail", "GET"),
        ("emergencyplan-uses", "GET"), ("drill-list", "GET"), ("drill-detail", "GET")]},
    **{f"security:{name}": ("GET", "login") for name in [
        "plan-list", "plan-create", "plan-detail", "plan-edit", "drill-list",
        "drill-create", "drill-detail", "drill-edit"]},
    "security:plan-use-add": ("POST", "login"),
    # Change management pages without a customer's object (scoping in changes/tests)
    "api:change-calendar": ("GET", "denied"),
    **{f"changes:{name}": ("GET", "login") for name in [
        "calendar", "meeting-list", "meeting-create", "board-list", "board-create",
        "template-list", "template-create", "freeze-list", "freeze-create"]},
    # The service-level report: the organization is a query parameter (scoping and roles
    # in quality/tests/test_views: other organizations 404, requesters 403)
    "quality:service-level": ("GET", "login"),
    # The directory pages without an object (scoping and roles in test_people)
    **{name: ("GET", "login") for name in [
        "organization-list", "organization-create", "department-list", "department-create",
        "team-list", "team-create", "person-list", "person-create"]},
    "quality:service-level-export": ("GET", "login"),
    # Surveys: the emailed answer link is public (the token is the credential; unknown:
    # 404), the portal's answer page and the results (scoping and roles in
    # surveys/tests/test_permissions: customers 404, staff without a results role 403)
    "surveys:answer": ("GET", "open"),
    "surveys:campaign-answer": ("GET", "login"),
    "surveys:campaign-list": ("GET", "login"),
    "surveys:campaign-results": ("GET", "login"),
    "surveys:campaign-export": ("GET", "login"),
    **{f"surveys:{name}": ("GET", "login") for name in [
        "campaign-create", "questionnaire-list", "questionnaire-create"]},
    "api:campaign-results": ("GET", "denied"),
    "api:campaign-export": ("GET", "denied"),
    "api:service-level-report": ("GET", "denied"),
    # The workspace: one's own inbox, notifications and saved views (scoping and roles
    # in servicedesk/tests/test_home, test_saved_views, test_bulk)
    "inbox": ("GET", "login"),
    "notifications": ("GET", "login"),
    "notifications-read": ("POST", "login"),
    "notification-read": ("POST", "login"),
    "saved-view-save": ("POST", "login"),
    "saved-view-delete": ("POST", "login"),
    "api:me-inbox": ("GET", "denied"),
    "api:my-notification-list": ("GET", "denied"),
    "api:my-notification-read": ("POST", "denied"),
    "api:my-notification-read-all": ("POST", "denied"),
    "api:people-pick": ("GET", "denied"),
    "api:savedview-list": ("GET", "denied"),
    "api:savedview-detail": ("GET", "denied"),
    # Complaints: the monthly report, the handling assessment, an improvement action from
    # complaints, cause categories and clock policies (provider staff; scoping and roles
    # in complaints/tests/test_rules and test_reports)
    "complaints:report": ("GET", "login"),
    "complaints:assessment": ("GET", "login"),
    "api:complaint-improvement": ("POST", "denied"),
    **{f"api:{name}": ("GET", "denied") for name in [
        "causecategory-list", "causecategory-detail", "complaintpolicy-list",
        "complaintpolicy-detail"]},
    **{f"complaints:{name}": ("GET", "login") for name in [
        "cause-list", "cause-create", "cause-edit", "policy-list", "policy-create",
        "policy-edit"]},
    "complaints:cause-delete": ("POST", "login"),
    # Quality indicators (provider staff; quality/tests/test_indicators, _pages)
    "quality:indicators": ("GET", "login"),
    "quality:indicator": ("GET", "login"),
    # The quality dashboard (provider staff; quality/tests/test_dashboard)
    "quality:dashboard": ("GET", "login"),
    "quality:dashboard-target": ("GET", "login"),
    "api:indicator-list": ("GET", "denied"),
    "api:indicator-value": ("GET", "denied"),
    "api:indicator-records": ("GET", "denied"),
    # Quality targets (provider staff read, quality managers and administrators write;
    # quality/tests/test_targets)
    **{f"quality:{name}": ("GET", "login") for name in [
        "target-list", "target-create", "target-edit"]},
    "quality:target-delete": ("POST", "login"),
    **{f"api:{name}": ("GET", "denied") for name in [
        "qualitytarget-list", "qualitytarget-detail", "qualitytarget-evaluations",
        "qualitytarget-evaluate"]},
    "complaints:policy-delete": ("POST", "login"),
    # Bulk actions of every record type (staff writers; servicedesk/tests/test_bulk)
    **{ui_route(ticket, "bulk"): ("POST", "login") for ticket in TICKETS},
    **{api_route(ticket, "bulk"): ("POST", "denied") for ticket in TICKETS},
    # Reports, their subscriptions and archive (core.reports; scoping and roles in
    # core/tests/test_reports_mechanism and quality/tests/test_pdf_reports)
    **{name: ("GET", "login") for name in [
        "report-catalogue", "report", "report-download", "report-subscription-list",
        "report-subscription-create", "report-subscription-edit", "report-archive",
        "report-archive-download"]},
    "report-subscription-delete": ("POST", "login"),
    **{f"api:{name}": ("GET", "denied") for name in [
        "report-list", "report-detail", "reportsubscription-list",
        "reportsubscription-detail", "archivedreport-list", "archivedreport-detail",
        "archivedreport-download"]},
    # The knowledge base's pages and routes besides the article record's (scoping and
    # roles in knowledge/tests: another provider's staff 404; customers read the
    # articles published for them, never write; staff-only pages 404 for customers)
    **{f"knowledge:{name}": ("GET", "login") for name in [
        "browse", "suggest", "stale", "deflections", "category-list", "category-create",
        "category-edit", "article-read", "article-file", "article-diff"]},
    **{f"knowledge:{name}": ("POST", "login") for name in [
        "category-delete", "article-feedback", "article-flag", "article-deflect",
        "article-restore", "article-reviewed", "article-use", "article-flag-resolve"]},
    **{f"api:{name}": ("GET", "denied") for name in [
        "knowledge-suggestions", "knowledgecategory-list", "knowledgecategory-detail",
        "articleflag-list", "articleflag-detail", "article-revisions", "article-diff",
        "article-flags", "article-links"]},
    **{f"api:{name}": ("POST", "denied") for name in [
        "articleflag-resolve", "article-feedback", "article-deflect", "article-restore",
        "article-reviewed"]},
    "api:article-link-detail": ("DELETE", "denied"),
    # Controlled documents' routes without a customer's object in the URL, and the files
    # of versions (scoping, clearances and roles in documents/tests)
    **{f"api:{name}": (method, "denied") for name, method in [
        ("controlleddocument-due-for-disposal", "GET"),
        ("controlleddocument-requirements", "POST"), ("documentversion-list", "GET"),
        ("documentversion-detail", "GET"), ("documentversion-download", "GET"),
        ("documentversion-preview", "GET"), ("documentcategory-list", "GET"),
        ("documentcategory-detail", "GET"), ("documenttemplate-list", "GET"),
        ("documenttemplate-detail", "GET"), ("documentclearance-list", "GET"),
        ("documentclearance-detail", "GET"), ("documentloan-list", "GET"),
        ("documentloan-detail", "GET"), ("documentloan-approve", "POST"),
        ("documentloan-reject", "POST"), ("documentloan-lend", "POST"),
        ("documentloan-return", "POST"), ("documentaccess-list", "GET"),
        ("documentaccess-detail", "GET"), ("disposalrecord-list", "GET"),
        ("disposalrecord-detail", "GET")]},
    **{f"documents:{name}": ("GET", "login") for name in [
        "access-log", "loan-list", "loan-detail", "disposal", "requirement-create",
        "template-file", "category-list", "category-create", "category-edit",
        "template-list", "template-create", "template-edit", "clearance-list",
        "clearance-create", "clearance-edit", "version-download", "version-preview"]},
    **{f"documents:{name}": ("POST", "login") for name in [
        "loan-action", "category-delete", "template-delete", "clearance-delete"]},
}
#: URL arguments of OTHER_ROUTES that take some.
OTHER_ROUTE_KWARGS: dict[str, dict[str, str]] = {
    "servicedesk:rate": {"token": "not-signed"},
    "surveys:answer": {"token": "not-a-token"},
    **{route: {"key": "sla-response"} for route in [
        "quality:indicator", "api:indicator-value", "api:indicator-records"]},
    "password_reset_confirm": {"uidb64": "MQ", "token": "not-a-token"}}
OTHER_ROUTE_KWARGS.update({
    "servicedesk:portal-request": {"pk": "1"},
    "servicedesk:request-approval-decide": {"pk": "1", "approval_id": "1"},
    "servicedesk:request-task-done": {"pk": "1", "task_id": "1"},
    **{f"api:servicerequest-{name}": {"pk": "1"} for name in [
        "approvals", "decide", "tasks", "complete-task"]},
    **{f"api:{name}-detail": {"pk": "1"} for name in [
        "requesttype", "requesttypefield", "requesttypeapproval", "requesttypetask"]},
    **{f"catalog:{name}-{view}": {"pk": "1"}
       for name in ("requesttype", "requesttypefield", "requesttypeapproval", "requesttypetask")
       for view in ("detail", "edit", "delete") if (name, view) not in {
           ("requesttypefield", "detail"), ("requesttypeapproval", "detail"),
           ("requesttypetask", "detail")}}})
OTHER_ROUTE_KWARGS.update({route: {"pk": "1"} for route in [  # complaints' master data
    "api:causecategory-detail", "api:complaintpolicy-detail", "complaints:cause-edit",
    "complaints:cause-delete", "complaints:policy-edit", "complaints:policy-delete"]})
OTHER_ROUTE_KWARGS.update({route: {"pk": "1"} for route in [  # quality targets
    "quality:target-edit", "quality:target-delete", "quality:dashboard-target",
    "api:qualitytarget-detail",
    "api:qualitytarget-evaluations", "api:qualitytarget-evaluate"]})
OTHER_ROUTE_KWARGS.update({route: {"key": "quarterly-quality"} for route in [  # reports
    "report", "report-download", "api:report-detail"]})
OTHER_ROUTE_KWARGS.update({route: {"pk": "1"} for route in [
    "report-subscription-edit", "report-subscription-delete", "report-archive-download",
    "api:reportsubscription-detail", "api:archivedreport-detail",
    "api:archivedreport-download"]})
OTHER_ROUTE_KWARGS.update({route: {"pk": "1"} for route in [  # the knowledge base
    "knowledge:category-edit", "knowledge:category-delete", "knowledge:article-read",
    "knowledge:article-diff", "knowledge:article-feedback", "knowledge:article-flag",
    "knowledge:article-deflect", "knowledge:article-restore", "knowledge:article-reviewed",
    "knowledge:article-use", "api:knowledgecategory-detail", "api:articleflag-detail",
    "api:articleflag-resolve", "api:article-revisions", "api:article-diff",
    "api:article-flags", "api:article-links", "api:article-feedback", "api:article-deflect",
    "api:article-restore", "api:article-reviewed"]})
OTHER_ROUTE_KWARGS.update({
    "knowledge:article-file": {"pk": "1", "attachment_id": "1"},
    "knowledge:article-flag-resolve": {"pk": "1", "flag_id": "1"},
    "api:article-link-detail": {"pk": "1", "link_id": "1"}})
OTHER_ROUTE_KWARGS.update({route: {"pk": "1"} for route in [  # controlled documents
    *(f"api:{name}-detail" for name in ("documentversion", "documentcategory",
                                        "documenttemplate", "documentclearance",
                                        "documentloan", "documentaccess", "disposalrecord")),
    "api:documentversion-download", "api:documentversion-preview",
    *(f"api:documentloan-{step}" for step in ("approve", "reject", "lend", "return")),
    *(f"documents:{name}" for name in ("loan-detail", "template-file", "category-edit",
                                       "category-delete", "template-edit", "template-delete",
                                       "clearance-edit", "clearance-delete"))]})
OTHER_ROUTE_KWARGS.update({"documents:loan-action": {"pk": "1", "step": "approve"},
                           **{f"documents:version-{name}": {"pk": "1", "version_id": "1"}
                              for name in ("download", "preview")}})
OTHER_ROUTE_KWARGS.update({route: {"pk": "1"} for route in [  # security, own: any pk
    "notification-read", "saved-view-delete", "api:my-notification-read",
    "api:savedview-detail",
    "api:emergencyplan-detail", "api:emergencyplan-uses", "api:drill-detail",
    "security:plan-detail", "security:plan-edit", "security:plan-use-add",
    "security:drill-detail", "security:drill-edit",
    "surveys:campaign-answer", "surveys:campaign-results", "surveys:campaign-export",
    "api:campaign-results", "api:campaign-export"]})


def resolver_route_names() -> set[str]:
    """Every named URL of the project, outside Django's admin site."""
    names: set[str] = set()

    def walk(patterns, namespace: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.app_name == "admin":
                    continue
                ns = pattern.namespace
                walk(pattern.url_patterns, f"{namespace}{ns}:" if ns else namespace)
            elif isinstance(pattern, URLPattern):
                assert pattern.name, f"unnamed URL pattern {pattern.pattern}"
                names.add(namespace + pattern.name)

    walk(get_resolver().url_patterns, "")
    return names


def matrix_route_names() -> set[str]:
    return ({p.route for p in OBJECT_PROBES} | {c.route for c in COLLECTION_PROBES}
            | set(OTHER_ROUTES))


# --- Helpers -----------------------------------------------------------------------------


#: Identities of provider staff: they see their provider's channels and notifications.
NOTIFICATION_READERS = {"agent", "auditor", "admin", "agent_q"}


def add_notifications(sc):
    """A channel per provider and one notification per record of the first ticket type
    (not sent: the test transaction never commits); B's carries the sentinel."""
    from itsm.core import notifications

    sc.channels = {code: notifications.create_channel(actor=None, data={
        "organization": sc.world.orgs[code], "name": f"robot {code}", "kind": "wecom",
        "target": f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={code}",
        "secret": f"SECRET-{code}"}) for code in ("P", "Q")}
    sc.notifications = {}
    for key, record in sc.records[TICKETS[0]].items():
        [sc.notifications[key]] = notifications.notify(
            "record_created", record=record, subject=f"通知 {record.title}", body="b")
    from itsm.core import templating

    sc.notification_templates = {code: templating.save_template(None, actor=None, data={
        "provider": sc.world.orgs[code], "event": "record_resolved", "language": "zh-hans",
        "subject_template": f"{code} {{{{ number }}}}", "body_template": "{{ default_body }}"})
        for code in ("P", "Q")}
    return sc


#: Identities that read the directory pages (core.views_directory): provider staff and
#: customer administrators.
DIRECTORY_READERS = PROVIDER_STAFF | {"custadmin_a"}
#: Provider whose catalogue and calendars each identity relies on.
PROVIDER_OF = {identity: ("Q" if identity == "agent_q" else "P") for identity in SCOPE}
#: Services (by key) each identity may see: staff their provider's, customers the ones
#: they subscribe to ("pb" is subscribed by B only and carries the sentinel).
VISIBLE_SERVICES = {identity: ({"pa"} if PROVIDER_OF[identity] == "P" else {"q"})
                    for identity in SCOPE} | {"agent": {"pa", "pb"}, "auditor": {"pa", "pb"},
                                             "admin": {"pa", "pb"}, "requester_b": {"pb"}}


def add_catalog(sc):
    """Per provider a calendar, an SLA policy and a priority rule; services of P for A
    and for B (with the sentinel) and one of Q for C."""
    import datetime as dt

    from itsm.catalog import admin_services
    from itsm.catalog.models import PriorityRule, Service

    orgs = sc.world.orgs
    sc.calendars, sc.policies, sc.rules, sc.services = {}, {}, {}, {}
    for code in ("P", "Q"):
        sc.calendars[code] = admin_services.create_calendar(
            actor=None, data={"name": f"calendar {code}", "organization": orgs[code]},
            windows=[{"weekday": 0, "start": dt.time(9), "end": dt.time(18)}])
        sc.policies[code] = admin_services.create_policy(
            actor=None, data={"provider": orgs[code], "name": f"SLA {code}"},
            targets=[{"priority": 1, "response_minutes": 30, "resolution_minutes": 240}])
        sc.rules[code] = admin_services.create_provider_object(PriorityRule, actor=None, data={
            "provider": orgs[code], "impact": 1, "urgency": 1, "priority": 1})
    for key, provider, customer, name in [("pa", "P", "A", "邮箱 A"),
                                          ("pb", "P", "B", f"ERP {SENTINEL_B}"),
                                          ("q", "Q", "C", "Mail C")]:
        sc.services[key] = admin_services.create_provider_object(Service, actor=None, data={
            "provider": orgs[provider], "code": f"svc-{key}", "name": name,
            "calendar": sc.calendars[provider], "customers": [orgs[customer]]})
    # A request type of each service, with a field, an approval step and a task
    from itsm.catalog.models import (
        RequestType,
        RequestTypeApproval,
        RequestTypeField,
        RequestTypeTask,
    )

    sc.request_types = {}
    for key, provider in (("pa", "P"), ("pb", "P"), ("q", "Q")):
        request_type = sc.request_types[key] = RequestType.objects.create(
            provider=orgs[provider], service=sc.services[key],
            name=f"申请 {SENTINEL_B}" if key == "pb" else f"申请 {key}")
        RequestTypeField.objects.create(request_type=request_type, key="model", label="型号")
        RequestTypeApproval.objects.create(request_type=request_type, order=1, kind="role",
                                           role="team_lead")
        RequestTypeTask.objects.create(
            request_type=request_type, order=1, title="交付",
            team=sc.world.teams["desk" if provider == "P" else "q_desk"])
    return sc


def add_cmdb(sc):
    """One configuration item per organization (B's carries the sentinel), each related
    to the one of its provider (cmdb.services)."""
    from itsm.cmdb import services as cmdb_services
    from itsm.cmdb.models import CIType

    ci_type, _created = CIType.objects.get_or_create(code="server",
                                                     defaults={"name": "Server"})
    sc.cis = {code: cmdb_services.create_item(actor=None, data={
        "organization": sc.world.orgs[code], "name": f"CI {code}" + (
            f" {SENTINEL_B}" if code == "B" else ""), "ci_type": ci_type})
        for code in ("P", "Q", "A", "B", "C")}
    for code, provider in (("A", "P"), ("B", "P"), ("C", "Q")):
        cmdb_services.add_relation(sc.cis[code], sc.cis[provider], kind="runs_on", actor=None)
    return sc


def add_changes(sc):
    """Per provider a board, a standard change template, a freeze window and a CAB
    meeting; a task on every change (changes.services)."""
    import datetime as dt

    from django.utils import timezone

    from itsm.changes import services as change_services

    orgs, users = sc.world.orgs, sc.world.users
    start = timezone.now() + dt.timedelta(days=400)
    sc.change_master = {"changeboard": {}, "changetemplate": {}, "freezewindow": {},
                        "cabmeeting": {}}
    for code, member in (("P", "agent"), ("Q", "agent_q")):
        board = change_services.save_board(None, actor=None, data={
            "provider": orgs[code], "name": f"CAB {code}", "members": [users[member]],
            "is_default": True})
        sc.change_master["changeboard"][code] = board
        sc.change_master["changetemplate"][code] = change_services.save_template(
            None, actor=None, data={"provider": orgs[code], "name": f"标准变更 {code}",
                                    "implementation_plan": "重启", "backout_plan": "无"})
        sc.change_master["freezewindow"][code] = change_services.save_freeze(
            None, actor=None, data={"provider": orgs[code], "name": f"冻结期 {code}",
                                    "start": start, "end": start + dt.timedelta(days=7)})
        sc.change_master["cabmeeting"][code] = change_services.save_meeting(
            None, actor=None, data={"board": board, "title": f"CAB 例会 {code}",
                                    "scheduled_at": start})
    sc.change_tasks = {key: change_services.create_task(change, actor=None, data={
        "title": f"任务 {key}"}) for key, change in sc.records["change"].items()}
    return sc


def add_security(sc):
    """An approved emergency plan of P for B (with the sentinel) and a drill of it."""
    import datetime as dt

    from itsm.security import services as security_services

    orgs = sc.world.orgs
    sc.plan_b = security_services.save_plan(None, actor=None, data={
        "provider": orgs["P"], "customer": orgs["B"], "title": f"预案 {SENTINEL_B}",
        "status": "approved"})
    sc.drill_b = security_services.save_drill(None, actor=None, data={
        "plan": sc.plan_b, "date": dt.date(2026, 3, 1), "scenario": f"演练 {SENTINEL_B}"})
    return sc


def add_complaint_policies(sc):
    """A complaint clock policy per provider (complaints.services; the shared cause
    categories are seeded)."""
    from itsm.complaints import services as complaint_services

    sc.complaint_policies = {code: complaint_services.save_policy(None, actor=None, data={
        "provider": sc.world.orgs[code], "level": "ordinary", "response_minutes": 480})
        for code in ("P", "Q")}
    return sc


def add_quality_targets(sc):
    """A quality target per provider (quality.services)."""
    from decimal import Decimal

    from itsm.quality import services as quality_services

    sc.quality_targets = {code: quality_services.save_target(None, actor=None, data={
        "provider": sc.world.orgs[code], "indicator": "sla-resolution",
        "period_kind": "month", "target": Decimal("90"), "warning": Decimal("80"),
        "critical": Decimal("60")}) for code in ("P", "Q")}
    return sc


def add_documents(sc):
    """Document categories of P and Q, a template and a clearance of P, and a loan of
    A1's controlled document (documents.services, documents.loans)."""
    import datetime as dt

    from itsm.documents import loans
    from itsm.documents import services as document_services

    world = sc.world
    categories = {code: document_services.ensure_default_categories(world.orgs[code])
                  for code in ("P", "Q")}
    sc.document_template = document_services.save_template(None, actor=None, data={
        "category": categories["P"][0], "name": "需求模板", "body": "## 功能需求"})
    sc.document_clearance = document_services.save_clearance(None, actor=None, data={
        "user": world.users["engineer"], "level": "confidential", "reason": "测评"})
    sc.document_loan = loans.request_loan(
        sc.records["controlleddocument"]["a1"], actor=world.users["engineer"],
        purpose="查阅", due_date=dt.date.today() + dt.timedelta(days=7))
    return sc


def add_report_subscriptions(sc):
    """A subscription per provider to the service-level report of one of its customers
    (core.reports)."""
    from itsm.core.reports import services as report_services

    sc.report_subscriptions = {code: report_services.save_subscription(
        None, actor=sc.world.users[owner], data={
            "report": "service-level", "parameters": {"organization": sc.world.orgs[org].pk},
            "frequency": "month", "format": "pdf", "people": [sc.world.users[owner]],
            "roles": []}) for code, owner, org in (("P", "admin", "A"), ("Q", "agent_q", "C"))}
    return sc


def add_surveys(sc):
    """A questionnaire and a launched campaign per provider (P: to A and B, Q: to C) and
    an answer per customer: requester_a (A), requester_b (B, with the sentinel),
    requester_c (C) (surveys.services)."""
    import datetime as dt

    from django.utils import timezone

    from itsm.surveys import defaults
    from itsm.surveys import services as survey_services

    orgs, users = sc.world.orgs, sc.world.users
    sc.questionnaires, sc.campaigns, sc.survey_responses = {}, {}, {}
    sections = survey_services.sections_of(defaults.default_questionnaire())
    for code, customers in (("P", ["A", "B"]), ("Q", ["C"])):
        questionnaire = survey_services.save_questionnaire(None, actor=None, data={
            "code": f"survey-{code.lower()}", "title": f"问卷 {code}", "sections": sections})
        questionnaire.provider = orgs[code]
        questionnaire.save(update_fields=["provider"])
        sc.questionnaires[code] = questionnaire
        campaign = survey_services.save_campaign(None, actor=None, data={
            "name": f"调查 {code}", "questionnaire": questionnaire,
            "period_start": dt.date(2026, 1, 1), "period_end": dt.date(2026, 6, 30),
            "closes_at": timezone.now() + dt.timedelta(days=400), "channels": ["email"],
            "organizations": [orgs[c] for c in customers]})
        survey_services.launch_campaign(campaign, actor=None)
        sc.campaigns[code] = campaign
    for code, person, provider in (("A", "requester_a", "P"), ("B", "requester_b", "P"),
                                   ("C", "requester_c", "Q")):
        campaign = sc.campaigns[provider]
        recipient = campaign.recipients.get(person=users[person])
        questions = survey_services.questions_of(campaign.questionnaire)
        values = {str(q.pk): ("4" if q.kind == "likert" else f"意见 {code}" + (
            f" {SENTINEL_B}" if code == "B" else "")) for q in questions}
        sc.survey_responses[code] = survey_services.submit_response(
            campaign, values=values, recipient=recipient)
    return sc


@pytest.fixture(scope="module")
def _module_scenario(django_db_setup, django_db_blocker):
    """The world and scenario are built once for this module inside a transaction that
    is rolled back at its end; each test runs in its own nested transaction (the ``db``
    fixture), so a test cannot see another's writes. Building them per test made this
    module take minutes."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield add_surveys(add_security(add_changes(add_cmdb(add_catalog(add_notifications(
            build_scenario(world_copy())))))))
        transaction.set_rollback(True)


@pytest.fixture
def sc(_module_scenario, db):
    return _module_scenario


@pytest.fixture
def world(sc):
    return sc.world


def objects_of(sc, target: str, identity: str | None,
               ticket: str | None = None) -> tuple[list, list]:
    """(visible, hidden) primary keys of ``target`` objects for ``identity``.

    ``record`` objects are the tickets of type ``ticket``; attachments and audit entries
    are those of every ticket type (keyed ``(ticket type, record key)``).
    """
    world = sc.world
    scope = SCOPE.get(identity, set())
    if target.endswith("-page"):  # the directory pages: its readers see the API's objects
        visible, hidden = objects_of(sc, target.removesuffix("-page"), identity, ticket)
        return (visible, hidden) if identity in DIRECTORY_READERS else ([], visible + hidden)
    if target == "record":
        items = {k: r.pk for k, r in sc.records[ticket].items()}
        visible = visible_record_keys(identity, ticket)
    elif target == "attachment":
        items = {(t, k): a.pk for t, by_key in sc.attachments.items() for k, a in by_key.items()}
        visible = {(t, k) for t, k in items if k in visible_record_keys(identity, t)}
    elif target == "organization":
        items = {c: o.pk for c, o in world.orgs.items()}
        visible = scope
    elif target == "department":
        items = {c: d.pk for c, d in sc.departments.items()}
        visible = scope
    elif target == "team":
        items = {"P": world.teams["desk"].pk, "Q": world.teams["q_desk"].pk}
        visible = scope
    elif target == "person":
        items = {u: world.users[u].pk for u in world.users}
        org_of = {u: code for code, o in world.orgs.items() for u, user in world.users.items()
                  if user.profile.organization_id == o.pk}
        visible = {u for u in items if org_of[u] in scope}
    elif target == "audit":
        items = {(t, k): e.pk for t, by_key in sc.audit_entries.items()
                 for k, e in by_key.items()}
        visible = ({(t, k) for t, k in items if sc.record_org[k] in scope}
                   if identity in AUDIT_READERS else set())
    elif target == "channel":
        items = {code: c.pk for code, c in sc.channels.items()}
        visible = scope if identity in NOTIFICATION_READERS else set()
    elif target == "notificationtemplate":  # the provider's staff only
        items = {code: t.pk for code, t in sc.notification_templates.items()}
        visible = {PROVIDER_OF[identity]} if identity in PROVIDER_STAFF else set()
    elif target == "notification":
        items = {k: n.pk for k, n in sc.notifications.items()}
        visible = ({k for k in items if sc.record_org[k] in scope}
                   if identity in NOTIFICATION_READERS else set())
    elif target == "service":
        items = {k: s.pk for k, s in sc.services.items()}
        visible = VISIBLE_SERVICES.get(identity, set())
    elif target in ("slapolicy", "priorityrule"):
        by_code = sc.policies if target == "slapolicy" else sc.rules
        items = {code: o.pk for code, o in by_code.items()}
        visible = scope if identity in NOTIFICATION_READERS else set()
    elif target == "calendar":
        items = {code: c.pk for code, c in sc.calendars.items()}
        visible = {PROVIDER_OF[identity]} if identity in PROVIDER_OF else set()
    elif target == "ci":  # customers read their own organization's items
        items = {code: ci.pk for code, ci in sc.cis.items()}
        visible = scope
    elif target == "cirelation":  # both ends in scope
        from itsm.cmdb.models import CIRelation

        org_of = {ci.pk: code for code, ci in sc.cis.items()}
        relations = CIRelation.objects.filter(source__in=sc.cis.values())
        items = {(org_of[r.source_id], org_of[r.target_id]): r.pk for r in relations}
        visible = {k for k in items if set(k) <= scope}
    elif target in ("changeboard", "changetemplate", "freezewindow", "cabmeeting"):
        items = {code: o.pk for code, o in sc.change_master[target].items()}
        visible = {PROVIDER_OF[identity]} if identity in PROVIDER_STAFF else set()
    elif target == "changetask":  # as the change they belong to
        items = {key: t.pk for key, t in sc.change_tasks.items()}
        visible = visible_record_keys(identity, "change")
    elif target in ("questionnaire", "campaign"):  # their provider's staff
        by_code = sc.questionnaires if target == "questionnaire" else sc.campaigns
        items = {code: o.pk for code, o in by_code.items()}
        visible = {PROVIDER_OF[identity]} if identity in PROVIDER_STAFF else set()
    elif target == "surveyresponse":  # staff: scope; customer admins: their organization's;
        # requesters: their own (requester_a answered for A, requester_b for B)
        items = {code: r.pk for code, r in sc.survey_responses.items()}
        own = {"requester_a": {"A"}, "requester_b": {"B"}, "custadmin_a": {"A"}}
        visible = (scope if identity in PROVIDER_STAFF else own.get(identity, set())) & set(
            items)
    elif target == "citype":  # shared by everyone
        from itsm.cmdb.models import CIType

        items = {t.code: t.pk for t in CIType.objects.all()}
        visible = set(items) if identity in SCOPE else set()
    else:  # pragma: no cover - a typo in the matrix
        raise AssertionError(target)
    return ([pk for k, pk in items.items() if k in visible],
            [pk for k, pk in items.items() if k not in visible])


def searched_numbers(sc, identity: str, keys: set[str]) -> set[str]:
    """Numbers of the records with these keys that the global search may show
    ``identity``: of the record types their menu shows, those they may see."""
    user = sc.world.users[identity]
    return set().union(*(sc.numbers(rt.key, visible_record_keys(identity, rt.key) & keys)
                         for rt in record_types() if rt.searchable and rt.visible(user)))


def assert_login_redirect(response) -> None:
    assert response.status_code == 302, response.status_code
    assert response["Location"].startswith(reverse("login")), response["Location"]


# --- The tests ---------------------------------------------------------------------------


def test_every_route_is_in_the_matrix():
    """A new URL without an access-matrix entry (or a stale entry) fails here."""
    known = resolver_route_names()
    in_matrix = matrix_route_names()
    assert known - in_matrix == set(), "routes without an access-matrix entry"
    assert in_matrix - known == set(), "matrix entries for routes that no longer exist"


def test_every_record_type_is_in_the_matrix():
    """A new record type gets the probes of the others by being added to TICKET_ROUTES."""
    from itsm.core.models import Record

    ticket_models = {m._meta.model_name for m in apps.get_models() if issubclass(m, Record)}
    assert set(TICKET_ROUTES) == set(TICKET_MODELS) == ticket_models


def test_every_viewset_is_in_the_matrix():
    """Every DRF viewset of the URL map (any app's router) has its list or detail route
    covered."""
    routes: dict[type, set[str]] = {}

    def walk(patterns, namespace: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                ns = pattern.namespace
                walk(pattern.url_patterns, f"{namespace}{ns}:" if ns else namespace)
            elif getattr(pattern.callback, "cls", None) is not None and pattern.name:
                routes.setdefault(pattern.callback.cls, set()).add(namespace + pattern.name)

    walk(get_resolver().url_patterns, "")
    in_matrix = matrix_route_names()
    viewsets = {cls: names for cls, names in routes.items()
                if any(name.endswith(("-list", "-detail")) for name in names)}
    assert len(viewsets) > 20
    for cls, names in viewsets.items():
        assert {n for n in names if n.endswith(("-list", "-detail"))} & in_matrix, cls


@pytest.mark.parametrize("probe", OBJECT_PROBES, ids=str)
def test_anonymous_is_refused_on_object_routes(sc, probe):
    before = fingerprint()
    visible, _hidden = objects_of(sc, probe.target, "admin", probe.ticket)
    response = probe.send(sc.world.client(None), visible[0])
    if probe.api:
        assert response.status_code in (401, 403)
    else:
        assert_login_redirect(response)
    assert fingerprint() == before


@pytest.mark.parametrize("collection", COLLECTION_PROBES, ids=lambda c: c.route + c.query)
def test_anonymous_is_refused_on_lists(sc, collection):
    response = sc.world.client(None).get(collection.url())
    if collection.route.startswith("api:"):
        assert response.status_code in (401, 403)
    else:
        assert_login_redirect(response)
    assert SENTINEL_B not in body_text(response)


@pytest.mark.parametrize("route", sorted(OTHER_ROUTES))
def test_anonymous_on_other_routes(sc, route):
    method, expected = OTHER_ROUTES[route]
    response = getattr(sc.world.client(None), method.lower())(
        reverse(route, kwargs=OTHER_ROUTE_KWARGS.get(route)))
    if expected == "login":
        assert_login_redirect(response)
    elif expected == "denied":
        assert response.status_code in (401, 403)
    else:
        assert response.status_code < 500
        assert response.status_code not in (401, 403)
    assert SENTINEL_B not in body_text(response)


@pytest.mark.parametrize("identity", IDENTITIES)
def test_objects_outside_scope_are_404_everywhere(sc, identity):
    """Read and write routes alike: 404, no sentinel in the body, nothing changed."""
    client = sc.world.client(identity)
    before = fingerprint()
    failures = []
    for probe in OBJECT_PROBES:
        _visible, hidden = objects_of(sc, probe.target, identity, probe.ticket)
        for pk in hidden:
            response = probe.send(client, pk)
            body = body_text(response)
            if response.status_code != 404:
                failures.append(f"{probe} pk={pk}: {response.status_code} {body[:200]}")
            if identity in BLIND_TO_B and SENTINEL_B in body:
                failures.append(f"{probe} pk={pk}: sentinel in body")
    assert failures == []
    assert fingerprint() == before


@pytest.mark.parametrize("identity", IDENTITIES)
def test_objects_in_scope_are_readable(sc, identity):
    """The 404s above are not an accident of broken URLs: in scope, reads are 200."""
    client = sc.world.client(identity)
    failures = []
    for probe in OBJECT_PROBES:
        if probe.write or probe.method != "GET":
            continue
        visible, _hidden = objects_of(sc, probe.target, identity, probe.ticket)
        for pk in visible:
            response = probe.send(client, pk)
            if response.status_code != 200:
                failures.append(f"{probe} pk={pk}: {response.status_code}")
            elif (probe.route.endswith(("comments", "timeline", "detail"))
                  and identity not in ("agent", "auditor", "admin", "agent_q")
                  and INTERNAL_NOTE in body_text(response)):
                failures.append(f"{probe} pk={pk}: internal note shown to a customer")
    assert failures == []


@pytest.mark.parametrize("identity", IDENTITIES)
def test_lists_searches_and_exports_are_scoped(sc, identity):
    client = sc.world.client(identity)
    all_numbers = set().union(*(sc.numbers(ticket) for ticket in TICKETS))
    failures = []
    for collection in COLLECTION_PROBES:
        response = client.get(collection.url())
        body = body_text(response)
        label = collection.route + collection.query
        # A page echoes the search term itself; then look for B's data around it.
        markers = ([SENTINEL_B] if SENTINEL_B not in collection.query
                   else [f"报修 {SENTINEL_B}", f"描述 {SENTINEL_B}", f"Customer B {SENTINEL_B}"])
        if identity in BLIND_TO_B and any(m in body for m in markers):
            failures.append(f"{label}: data of B leaked")
        if response.status_code != 200:
            failures.append(f"{label}: {response.status_code}")
            continue
        expected = set(visible_record_keys(identity, collection.ticket))
        if SENTINEL_B in collection.query:
            expected &= {"b"}
        if collection.ticket is not None:
            expected_numbers = sc.numbers(collection.ticket, expected)
        if collection.kind == "records":
            got = {row["number"] for row in response.json()["results"]}
            if got != expected_numbers:
                failures.append(f"{label}: {sorted(got)} != {sorted(expected_numbers)}")
        elif collection.kind == "records-csv":
            rows = csv_rows(response.content)
            got = {row[0] for row in rows[1:]}
            if got != expected_numbers:
                failures.append(f"{label}: {sorted(got)} != {sorted(expected_numbers)}")
        elif collection.kind == "ci-page":  # configuration items by name
            wanted = {"P", "A", "B", "Q", "C"} & SCOPE[identity]
            if SENTINEL_B in collection.query:
                wanted &= {"B"}
            shown = {code for code, ci in sc.cis.items()
                     if f'>{ci.name}</a>' in body}
            if shown != wanted:
                failures.append(f"{label}: {sorted(shown)} != {sorted(wanted)}")
        elif collection.kind in ("search-page", "search-api"):  # every type at once
            if collection.kind == "search-api":
                shown = {item["number"] for section in response.json()["results"]
                         for item in section["items"]}
            else:
                shown = {n for n in all_numbers if n in body}
            wanted = searched_numbers(sc, identity, expected)
            if shown != wanted:
                failures.append(f"{label}: {sorted(shown)} != {sorted(wanted)}")
        elif collection.kind in ("page", "empty-page"):  # no numbers of other types either
            shown = {n for n in all_numbers if n in body}
            if shown != (expected_numbers if collection.kind == "page" else set()):
                failures.append(f"{label}: {sorted(shown)}")
        else:
            visible, hidden = objects_of(sc, collection.kind, identity)
            page, rows = response.json(), []
            while True:  # every page (the audit log outgrows one as record types come)
                rows += page["results"]
                if not page.get("next"):
                    break
                page = client.get(page["next"]).json()
            got = {row["id"] for row in rows}
            if not set(visible) <= got or set(hidden) & got:
                failures.append(f"{label}: got {sorted(got)}, visible {visible}")
    assert failures == []


@pytest.mark.parametrize("ticket", TICKETS)
@pytest.mark.parametrize("identity", sorted(BLIND_TO_B))
def test_filtering_by_an_organization_outside_scope_leaks_nothing(sc, identity, ticket):
    client = sc.world.client(identity)
    org_b = sc.world.orgs["B"].pk
    response = client.get(reverse(api_route(ticket, "list")), {"organization": org_b})
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        assert response.json()["results"] == []
    response = client.get(reverse(api_route(ticket, "list")),
                          {"number": sc.records[ticket]["b"].number})
    assert response.status_code == 200
    assert response.json()["results"] == []
    assert SENTINEL_B not in body_text(response)


@pytest.mark.parametrize("ticket", TICKETS)
def test_another_requester_of_the_same_customer_gets_404(sc, ticket):
    """requester_a2 works for A as well, yet requester_a's ticket is not theirs."""
    client = sc.world.client("requester_a2")
    pk = sc.records[ticket]["a1"].pk
    assert client.get(reverse(api_route(ticket, "detail"), args=[pk])).status_code == 404
    assert client.get(reverse(ui_route(ticket, "detail"), args=[pk])).status_code == 404
    att = sc.attachments[ticket]["a1"].pk
    assert client.get(reverse("api:attachment-download", args=[att])).status_code == 404
    assert client.get(reverse("attachment-download", args=[att])).status_code == 404


@pytest.mark.parametrize("ticket", CUSTOMER_TICKETS)
def test_customer_admin_sees_all_of_own_organization(sc, ticket):
    client = sc.world.client("custadmin_a")
    results = client.get(reverse(api_route(ticket, "list"))).json()["results"]
    numbers = {r["number"] for r in results}
    assert numbers == sc.numbers(ticket, ["a1", "a2"])


# --- The auditor: reads everything in scope, writes nothing ------------------------------


@pytest.mark.parametrize("ticket", TICKETS)
def test_auditor_reads_everything_in_scope(sc, ticket):
    client = sc.world.client("auditor")
    for key in ("a1", "a2", "b"):
        pk = sc.records[ticket][key].pk
        assert client.get(reverse(api_route(ticket, "detail"), args=[pk])).status_code == 200
        comments = client.get(reverse(api_route(ticket, "comments"), args=[pk])).json()
        assert any(INTERNAL_NOTE in c["body"] for c in comments)  # staff see internal notes
        att = sc.internal_attachments[ticket][key].pk
        assert client.get(reverse("api:attachment-download", args=[att])).status_code == 200
    assert client.get(reverse("api:auditentry-list")).json()["results"]


@pytest.mark.parametrize("probe", [p for p in OBJECT_PROBES if p.write], ids=str)
def test_auditor_writes_are_403_and_change_nothing(sc, probe):
    client = sc.world.client("auditor")
    before = fingerprint()
    visible, _hidden = objects_of(sc, probe.target, "auditor", probe.ticket)
    assert visible
    for pk in visible:
        response = probe.send(client, pk)
        assert response.status_code == 403, (pk, response.status_code, body_text(response)[:300])
    assert fingerprint() == before


def test_auditor_cannot_create_anything(sc):
    world = sc.world
    client = world.client("auditor")
    before = fingerprint()
    api = [
        *((api_route(ticket, "list"), {"title": "x", "organization": world.orgs["A"].pk,
                                       "requester": world.requester_a.pk})
          for ticket in TICKETS),
        ("api:organization-list", {"name": "X", "code": "x", "kind": "provider"}),
        ("api:department-list", {"name": "X", "organization": world.orgs["A"].pk}),
        ("api:team-list", {"name": "X", "organization": world.orgs["P"].pk}),
        ("api:person-list", {"username": "x", "organization": world.orgs["A"].pk}),
    ]
    for route, data in api:
        response = client.post(reverse(route), data, format="json")
        assert response.status_code == 403, (route, response.status_code)
    for ticket in TICKETS:
        assert client.get(reverse(ui_route(ticket, "create"))).status_code == 403
        response = client.post(reverse(ui_route(ticket, "create")), {"title": "x"})
        assert response.status_code == 403
    assert fingerprint() == before


# --- Internal notes and events stay with the staff ----------------------------------------


@pytest.mark.parametrize("ticket", CUSTOMER_TICKETS)
def test_customers_do_not_see_internal_notes_events_or_attachments(sc, ticket):
    client = sc.world.client("requester_a")
    pk = sc.records[ticket]["a1"].pk
    comments = client.get(reverse(api_route(ticket, "comments"), args=[pk])).json()
    assert comments and not any(c["internal"] for c in comments)
    timeline = client.get(reverse(api_route(ticket, "timeline"), args=[pk])).json()
    assert timeline and not any(e["internal"] for e in timeline)
    attachments = client.get(reverse(api_route(ticket, "attachments"), args=[pk])).json()
    assert [a["id"] for a in attachments] == [sc.attachments[ticket]["a1"].pk]
    page = body_text(client.get(reverse(ui_route(ticket, "detail"), args=[pk])))
    assert INTERNAL_NOTE not in page
    assert "internal-A1.txt" not in page
    staff_page = body_text(sc.world.client("agent").get(
        reverse(ui_route(ticket, "detail"), args=[pk])))
    assert INTERNAL_NOTE in staff_page


@pytest.mark.parametrize("ticket", CUSTOMER_TICKETS)
def test_customer_cannot_write_internal_notes(sc, ticket):
    client = sc.world.client("requester_a")
    pk = sc.records[ticket]["a1"].pk
    before = fingerprint()
    response = client.post(reverse(api_route(ticket, "comments"), args=[pk]),
                           {"body": "x", "internal": True}, format="json")
    assert response.status_code == 403
    response = client.post(reverse(api_route(ticket, "attachments"), args=[pk]),
                           {"file": upload(), "internal": True})
    assert response.status_code == 403
    assert fingerprint() == before


# --- Every rendering of the API: JSON only, and scoped whatever is asked ------------------

#: The ways a client can ask the API for something other than its JSON answer: the
#: browsable API's format, a browser's Accept header, and OPTIONS (metadata with field
#: choices). Each must answer JSON (or nothing) with no other organization's data.
RENDERINGS = [("format=api", "GET", {}), ("Accept: text/html", "GET",
                                          {"HTTP_ACCEPT": "text/html"}),
              ("OPTIONS", "OPTIONS", {})]


def api_list_routes() -> list[str]:
    """Every list route of the API, from the resolver (a new router is covered)."""
    return sorted(name for name in resolver_route_names()
                  if name.startswith("api:") and name.endswith("-list"))


def rendering_failures(client, url: str, identity: str) -> list[str]:
    failures = []
    for label, method, headers in RENDERINGS:
        target = f"{url}{'&' if '?' in url else '?'}format=api" if label == "format=api" \
            else url
        response = getattr(client, method.lower())(target, **headers)
        body = body_text(response)
        if response.status_code >= 500:
            failures.append(f"{label} {url}: {response.status_code}")
        if "html" in response.get("Content-Type", ""):
            failures.append(f"{label} {url}: rendered as HTML")
        if identity in BLIND_TO_B and SENTINEL_B in body:
            failures.append(f"{label} {url}: data of B leaked")
    return failures


def test_the_api_renders_json_only(sc):
    """No browsable API: ``?format=api`` is unknown (404), a browser's Accept header
    gets JSON, and people read the API at /api/docs/."""
    client = sc.world.client("admin")
    response = client.get(reverse("api:servicerequest-list") + "?format=api")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    response = client.get(reverse("api:servicerequest-list"),
                          HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    response = client.get(reverse("api:servicerequest-list"), HTTP_ACCEPT="text/html")
    assert response.status_code == 406
    assert response.json()["detail"]
    assert client.get(reverse("api:docs")).status_code == 200


@pytest.mark.parametrize("identity", sorted(BLIND_TO_B))
def test_no_rendering_of_a_list_leaks(sc, identity):
    """Every list route of the API, asked in every rendering, as each identity that
    may not see B: never HTML, never B's data (its dropdowns read unscoped querysets)."""
    client = sc.world.client(identity)
    failures = []
    for route in api_list_routes():
        failures += rendering_failures(client, reverse(route), identity)
    assert failures == []


@pytest.mark.parametrize("identity", sorted(BLIND_TO_B))
def test_no_rendering_of_an_object_leaks(sc, identity):
    """Every object route of the API, for objects in and out of scope (a 404 rendered
    the edit form with every organization and person as options), in every rendering."""
    client = sc.world.client(identity)
    failures = []
    extra_objects = [("api:emergencyplan-detail", sc.plan_b.pk),
                     ("api:emergencyplan-uses", sc.plan_b.pk),
                     ("api:drill-detail", sc.drill_b.pk)]
    for probe in OBJECT_PROBES:
        if not probe.api or probe.method != "GET":
            continue
        visible, hidden = objects_of(sc, probe.target, identity, probe.ticket)
        for pk in [*visible[:1], *hidden]:
            failures += rendering_failures(client, probe.url(pk), identity)
    for route, pk in extra_objects:
        failures += rendering_failures(client, reverse(route, kwargs={"pk": pk}), identity)
    assert failures == []
