"""Access matrix: every URL of the API and of the web UI, for every kind of person.

The matrix below has one entry per URL name the resolver knows (outside Django's
admin); a route added without an entry makes ``test_every_route_is_in_the_matrix``
fail, so nobody can add an endpoint and forget its access rules.

What is checked, for each identity of the ``world`` fixture:
- anonymous: the API answers 401/403, the web UI redirects to the login page;
- an object outside the person's scope is a 404 (never 403, never 200) on every
  route that names it — read or write — and nothing changes in the database;
- lists, searches (``?q=``) and CSV exports contain exactly the records in scope;
- the sentinel string of customer B never reaches anyone who may not see B;
- the auditor reads everything in scope, and every write is a 403 that changes
  nothing.
"""

# covers: GEN-ACCESS (organization scoping), GEN-ROLES (requester, customer admin,
# agent, auditor, administrator), GEN-API (every endpoint), GEN-AUDIT (read-only auditor)

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from itsm.conftest import SENTINEL_B

from .scenario import (
    AUDIT_READERS,
    BLIND_TO_B,
    INTERNAL_NOTE,
    SCOPE,
    VISIBLE_RECORDS,
    body_text,
    build_scenario,
    csv_rows,
    fingerprint,
    upload,
)

IDENTITIES = sorted(SCOPE)


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


#: Routes that name one object: every identity gets 404 for objects outside its scope.
OBJECT_PROBES: list[Probe] = [
    # API: service requests
    Probe("api:servicerequest-detail", "GET", "record"),
    Probe("api:servicerequest-detail", "PATCH", "record", {"title": "hacked"}, "json", True),
    Probe("api:servicerequest-detail", "PUT", "record",
          {"title": "hacked", "description": "x"}, "json", True),
    Probe("api:servicerequest-detail", "DELETE", "record", None, "json", True),
    Probe("api:servicerequest-transition", "POST", "record",
          {"transition": "cancel", "comment": "hacked"}, "json", True),
    Probe("api:servicerequest-available-transitions", "GET", "record"),
    Probe("api:servicerequest-comments", "GET", "record"),
    Probe("api:servicerequest-comments", "POST", "record", {"body": "hacked"}, "json", True),
    Probe("api:servicerequest-attachments", "GET", "record"),
    Probe("api:servicerequest-attachments", "POST", "record", _file, None, True),
    Probe("api:servicerequest-timeline", "GET", "record"),
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
    Probe("api:auditentry-detail", "GET", "audit"),
    # Web UI
    Probe("servicedesk:request-detail", "GET", "record"),
    Probe("servicedesk:request-edit", "GET", "record", write=True),
    Probe("servicedesk:request-edit", "POST", "record", {"title": "hacked"}, write=True),
    Probe("servicedesk:request-transition", "POST", "record", {"t-cancel-comment": "hacked"},
          write=True, extra=(("name", "cancel"),)),
    Probe("servicedesk:request-comment", "POST", "record", {"body": "hacked"}, write=True),
    Probe("servicedesk:request-attach", "POST", "record", _file, write=True),
    Probe("attachment-download", "GET", "attachment"),
]


@dataclass(frozen=True)
class Collection:
    """A route that lists objects; ``check`` compares its content with the scope."""

    route: str
    query: str = ""
    kind: str = "records"  # records | records-csv | directory | audit | page

    def url(self) -> str:
        return reverse(self.route) + self.query


COLLECTION_PROBES: list[Collection] = [
    Collection("api:servicerequest-list"),
    Collection("api:servicerequest-list", f"?q={SENTINEL_B}"),
    Collection("api:servicerequest-list", "?q=报修"),
    Collection("api:servicerequest-export", "?file_format=csv", "records-csv"),
    Collection("api:servicerequest-export", f"?file_format=csv&q={SENTINEL_B}", "records-csv"),
    Collection("servicedesk:request-list", "", "page"),
    Collection("servicedesk:request-list", "?q=报修", "page"),
    Collection("servicedesk:request-list", f"?q={SENTINEL_B}", "page"),
    Collection("servicedesk:request-export", "?file_format=csv", "records-csv"),
    Collection("servicedesk:request-export", "?file_format=csv&q=报修", "records-csv"),
    Collection("api:organization-list", "", "organization"),
    Collection("api:department-list", "", "department"),
    Collection("api:team-list", "", "team"),
    Collection("api:person-list", "", "person"),
    Collection("api:auditentry-list", "", "audit"),
]

#: Routes without an object of a customer in the URL; their own tests live in test_api.
#: Value: (method, what anonymous gets) — "login" (redirect), "denied" (401/403), "open".
OTHER_ROUTES: dict[str, tuple[str, str]] = {
    "login": ("GET", "open"),
    "logout": ("POST", "open"),
    "home": ("GET", "login"),
    "set-language": ("POST", "open"),
    "servicedesk:request-create": ("GET", "login"),
    "api:me": ("GET", "denied"),
    "api:roles": ("GET", "denied"),
    "api:token": ("POST", "open"),  # it is the login of API clients
    "api:schema": ("GET", "open"),  # the OpenAPI description is public (no data)
    "api:docs": ("GET", "open"),
}


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


@pytest.fixture
def sc(world):
    return build_scenario(world)


def objects_of(sc, target: str, identity: str | None) -> tuple[list, list]:
    """(visible, hidden) primary keys of ``target`` objects for ``identity``."""
    world = sc.world
    scope = SCOPE.get(identity, set())
    if target == "record":
        items = {k: r.pk for k, r in sc.records.items()}
        visible = VISIBLE_RECORDS.get(identity, set())
    elif target == "attachment":
        items = {k: a.pk for k, a in sc.attachments.items()}
        visible = VISIBLE_RECORDS.get(identity, set())
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
        items = {k: e.pk for k, e in sc.audit_entries.items()}
        visible = ({k for k in items if sc.record_org[k] in scope}
                   if identity in AUDIT_READERS else set())
    else:  # pragma: no cover - a typo in the matrix
        raise AssertionError(target)
    return ([pk for k, pk in items.items() if k in visible],
            [pk for k, pk in items.items() if k not in visible])


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


def test_every_router_registration_is_in_the_matrix():
    """Every DRF viewset registered on a router has its list or detail route covered."""
    from itsm.core.api.urls import router as core_router
    from itsm.servicedesk.api.urls import router as sd_router

    in_matrix = matrix_route_names()
    for router in (core_router, sd_router):
        for _prefix, _viewset, basename in router.registry:
            assert {f"api:{basename}-list", f"api:{basename}-detail"} & in_matrix, basename


@pytest.mark.parametrize("probe", OBJECT_PROBES, ids=str)
def test_anonymous_is_refused_on_object_routes(sc, probe):
    before = fingerprint()
    pk = (sc.records["a1"].pk if probe.target == "record" else
          sc.attachments["a1"].pk if probe.target == "attachment" else
          sc.audit_entries["a1"].pk if probe.target == "audit" else
          sc.world.orgs["A"].pk if probe.target == "organization" else
          sc.departments["A"].pk if probe.target == "department" else
          sc.world.teams["desk"].pk if probe.target == "team" else
          sc.world.requester_a.pk)
    response = probe.send(sc.world.client(None), pk)
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
    response = getattr(sc.world.client(None), method.lower())(reverse(route))
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
        _visible, hidden = objects_of(sc, probe.target, identity)
        for pk in hidden:
            response = probe.send(client, pk)
            body = body_text(response)
            if response.status_code != 404:
                failures.append(f"{probe} pk={pk}: {response.status_code} {body[:200]}")
            if SENTINEL_B in body:
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
        visible, _hidden = objects_of(sc, probe.target, identity)
        for pk in visible:
            response = probe.send(client, pk)
            if response.status_code != 200:
                failures.append(f"{probe} pk={pk}: {response.status_code}")
            elif (probe.route.endswith(("comments", "timeline", "detail"))
                  and identity not in ("agent", "auditor", "admin", "agent_q")
                  and INTERNAL_NOTE in body_text(response)):
                failures.append(f"{probe} pk={pk}: internal note shown to a customer")
    assert failures == []


def _numbers_in(sc, keys) -> set[str]:
    return {sc.records[k].number for k in keys}


@pytest.mark.parametrize("identity", IDENTITIES)
def test_lists_searches_and_exports_are_scoped(sc, identity):
    client = sc.world.client(identity)
    visible_keys = VISIBLE_RECORDS[identity]
    all_numbers = _numbers_in(sc, sc.records)
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
        expected = set(visible_keys)
        if SENTINEL_B in collection.query:
            expected &= {"b"}
        if collection.kind == "records":
            got = {row["number"] for row in response.json()["results"]}
            if got != _numbers_in(sc, expected):
                failures.append(f"{label}: {sorted(got)} != {sorted(_numbers_in(sc, expected))}")
        elif collection.kind == "records-csv":
            rows = csv_rows(response.content)
            got = {row[0] for row in rows[1:]}
            if got != _numbers_in(sc, expected):
                failures.append(f"{label}: {sorted(got)} != {sorted(_numbers_in(sc, expected))}")
        elif collection.kind == "page":
            shown = {n for n in all_numbers if n in body}
            if shown != _numbers_in(sc, expected):
                failures.append(f"{label}: {sorted(shown)}")
        else:
            visible, hidden = objects_of(sc, collection.kind, identity)
            got = {row["id"] for row in response.json()["results"]}
            if not set(visible) <= got or set(hidden) & got:
                failures.append(f"{label}: got {sorted(got)}, visible {visible}")
    assert failures == []


@pytest.mark.parametrize("identity", sorted(BLIND_TO_B))
def test_filtering_by_an_organization_outside_scope_leaks_nothing(sc, identity):
    client = sc.world.client(identity)
    org_b = sc.world.orgs["B"].pk
    response = client.get(reverse("api:servicerequest-list"), {"organization": org_b})
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        assert response.json()["results"] == []
    response = client.get(reverse("api:servicerequest-list"), {"number": sc.records["b"].number})
    assert response.status_code == 200
    assert response.json()["results"] == []
    assert SENTINEL_B not in body_text(response)


def test_another_requester_of_the_same_customer_gets_404(sc):
    """requester_a2 works for A as well, yet requester_a's request is not theirs."""
    client = sc.world.client("requester_a2")
    pk = sc.records["a1"].pk
    assert client.get(reverse("api:servicerequest-detail", args=[pk])).status_code == 404
    assert client.get(reverse("servicedesk:request-detail", args=[pk])).status_code == 404
    att = sc.attachments["a1"].pk
    assert client.get(reverse("api:attachment-download", args=[att])).status_code == 404
    assert client.get(reverse("attachment-download", args=[att])).status_code == 404


def test_customer_admin_sees_all_of_own_organization(sc):
    client = sc.world.client("custadmin_a")
    results = client.get(reverse("api:servicerequest-list")).json()["results"]
    numbers = {r["number"] for r in results}
    assert numbers == {sc.records["a1"].number, sc.records["a2"].number}


# --- The auditor: reads everything in scope, writes nothing ------------------------------


def test_auditor_reads_everything_in_scope(sc):
    client = sc.world.client("auditor")
    for key in ("a1", "a2", "b"):
        pk = sc.records[key].pk
        assert client.get(reverse("api:servicerequest-detail", args=[pk])).status_code == 200
        comments = client.get(reverse("api:servicerequest-comments", args=[pk])).json()
        assert any(INTERNAL_NOTE in c["body"] for c in comments)  # staff see internal notes
        att = sc.internal_attachments[key].pk
        assert client.get(reverse("api:attachment-download", args=[att])).status_code == 200
    assert client.get(reverse("api:auditentry-list")).json()["results"]


@pytest.mark.parametrize("probe", [p for p in OBJECT_PROBES if p.write], ids=str)
def test_auditor_writes_are_403_and_change_nothing(sc, probe):
    client = sc.world.client("auditor")
    before = fingerprint()
    visible, _hidden = objects_of(sc, probe.target, "auditor")
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
        ("api:servicerequest-list", {"title": "x", "organization": world.orgs["A"].pk,
                                     "requester": world.requester_a.pk}),
        ("api:organization-list", {"name": "X", "code": "x", "kind": "provider"}),
        ("api:department-list", {"name": "X", "organization": world.orgs["A"].pk}),
        ("api:team-list", {"name": "X", "organization": world.orgs["P"].pk}),
        ("api:person-list", {"username": "x", "organization": world.orgs["A"].pk}),
    ]
    for route, data in api:
        response = client.post(reverse(route), data, format="json")
        assert response.status_code == 403, (route, response.status_code)
    assert client.get(reverse("servicedesk:request-create")).status_code == 403
    response = client.post(reverse("servicedesk:request-create"), {"title": "x"})
    assert response.status_code == 403
    assert fingerprint() == before


# --- Internal notes and events stay with the staff ----------------------------------------


def test_customers_do_not_see_internal_notes_events_or_attachments(sc):
    client = sc.world.client("requester_a")
    pk = sc.records["a1"].pk
    comments = client.get(reverse("api:servicerequest-comments", args=[pk])).json()
    assert comments and not any(c["internal"] for c in comments)
    timeline = client.get(reverse("api:servicerequest-timeline", args=[pk])).json()
    assert timeline and not any(e["internal"] for e in timeline)
    attachments = client.get(reverse("api:servicerequest-attachments", args=[pk])).json()
    assert [a["id"] for a in attachments] == [sc.attachments["a1"].pk]
    page = body_text(client.get(reverse("servicedesk:request-detail", args=[pk])))
    assert INTERNAL_NOTE not in page
    assert "internal-A1.txt" not in page
    staff_page = body_text(sc.world.client("agent").get(
        reverse("servicedesk:request-detail", args=[pk])))
    assert INTERNAL_NOTE in staff_page


def test_customer_cannot_write_internal_notes(sc):
    client = sc.world.client("requester_a")
    pk = sc.records["a1"].pk
    before = fingerprint()
    response = client.post(reverse("api:servicerequest-comments", args=[pk]),
                           {"body": "x", "internal": True}, format="json")
    assert response.status_code == 403
    response = client.post(reverse("api:servicerequest-attachments", args=[pk]),
                           {"file": upload(), "internal": True})
    assert response.status_code == 403
    assert fingerprint() == before
