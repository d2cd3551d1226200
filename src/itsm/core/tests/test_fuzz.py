"""Schemathesis fuzzing of the REST API against its own OpenAPI schema.

Every operation of ``/api/schema/`` is exercised with token auth through the examples,
coverage and fuzzing phases, alternately as an agent (provider staff) and as a customer
requester, then by a stateful run that chains operations along the links schemathesis
infers from the schema. Half of the generated ids are swapped for ids of real objects
(read from the API's own lists), so object routes reach serializers, workflows and
services instead of stopping at a 404. Every response is checked for two promises:
never a server error, and an operation that needs authentication refuses missing or
invalid credentials (``ignored_auth``, probed once per operation and identity).
Response schema conformance is not checked: the project does not promise it.

Bodies no generator produces but attackers send go to every write operation as
explicit cases (``HOSTILE_BODIES``): JSON nested 1,000 and 100,000 levels deep, 3 MB of
JSON, and ids written as fractions (``organization: 1.5``).

Generation is derandomized (a fixed seed) and bounded so the file runs in a few
minutes; ``ITSM_FUZZ_EXAMPLES`` (fuzzing cases per operation), ``ITSM_FUZZ_COVERAGE``
(coverage cases per operation, 0 = all of them) and ``ITSM_FUZZ_STATEFUL`` (stateful
scenarios) raise the bounds for a deeper run. The counts are printed and written to
``$ITSM_VAR_DIR/fuzz-summary.json`` (one entry per database).
"""

# covers: GEN-API (REST API: bad input is a 400 with field messages, never a 500; every
# operation refuses requests without valid credentials)

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, Phase, settings
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup, ServerError
from schemathesis.core.parameters import ParameterLocation
from schemathesis.core.result import Ok
from schemathesis.generation.stateful.state_machine import StepInput, StepOutput
from schemathesis.openapi.checks import IgnoredAuth
from schemathesis.pytest.lazy import get_all_tests
from schemathesis.specs.openapi.checks import ignored_auth

from itsm.conftest import world_copy

from .scenario import build_scenario
from .test_access import add_catalog, add_changes, add_cmdb, add_notifications

pytestmark = pytest.mark.fuzz

#: Identities the fuzzer acts as, in turn: provider staff and a customer requester.
PERSONAS = ("agent", "requester_a")
FUZZ_EXAMPLES = int(os.environ.get("ITSM_FUZZ_EXAMPLES", "6"))
COVERAGE_PER_OPERATION = int(os.environ.get("ITSM_FUZZ_COVERAGE", "6"))
STATEFUL_SCENARIOS = int(os.environ.get("ITSM_FUZZ_STATEFUL", "25"))
STATEFUL_STEPS = 8
#: Fixed seed: the same cases in the same order on every run.
BASE_SETTINGS = settings(derandomize=True, database=None, deadline=None,
                         suppress_health_check=list(HealthCheck), print_blob=False)
#: Schemathesis' phases, and "explicit": the cases of ``HOSTILE_BODIES`` built here.
PHASES = ["examples", "coverage", "fuzzing", "stateful", "explicit"]
WRITE_METHODS = ("post", "put", "patch", "delete")


def _nested(levels: int) -> bytes:
    return b'{"title": ' + b"[" * levels + b"1" + b"]" * levels + b"}"


#: Explicit cases for every write operation, with the status each must get (issue 14):
#: the depth and the size are refused before any view runs (core.middleware).
HOSTILE_BODIES: dict[str, tuple[bytes, int]] = {
    "JSON nested 1,000 levels": (_nested(1000), 400),
    "JSON nested 100,000 levels": (_nested(100_000), 400),
    "3 MB of JSON": (json.dumps({"title": "x", "description": "a" * (3 * 1024 * 1024)})
                     .encode(), 413),
}
#: Sent to the operations whose body has an ``organization``: never read as id 1.
FLOAT_ID = {"organization": 1.5, "title": "x", "name": "x"}


class Summary:
    """What the fuzzer sent per phase and what it found (distinct failures)."""

    def __init__(self) -> None:
        self.cases: Counter = Counter()
        self.by_persona: Counter = Counter()
        self.failures: dict[str, str] = {}
        self.kinds: Counter = Counter()

    def record(self, operation: str, exc: BaseException) -> None:
        failures = exc.exceptions if isinstance(exc, FailureGroup) else [exc]
        for failure in failures:
            kind = ("server error" if isinstance(failure, ServerError) else
                    "ignored auth" if isinstance(failure, IgnoredAuth) else
                    type(failure).__name__)
            key = f"{kind}: {operation}: {getattr(failure, 'title', '')}"
            if key not in self.failures:
                self.kinds[kind] += 1
                self.failures[key] = str(exc)[:3000]

    def line(self) -> str:
        phases = ", ".join(f"{phase} {self.cases[phase]:,}" for phase in PHASES)
        return (f"fuzz: {sum(self.cases.values()):,} cases ({phases}), "
                f"{self.kinds['server error']} server errors, "
                f"{self.kinds['ignored auth']} ignored-auth")

    def as_dict(self) -> dict[str, Any]:
        return {"cases": sum(self.cases.values()), "phases": dict(self.cases),
                "personas": dict(self.by_persona),
                "server_errors": self.kinds["server error"],
                "ignored_auth": self.kinds["ignored auth"],
                "other_failures": sum(self.kinds.values()) - self.kinds["server error"]
                - self.kinds["ignored auth"],
                "settings": {"fuzzing_examples_per_operation": FUZZ_EXAMPLES,
                             "coverage_cases_per_operation": COVERAGE_PER_OPERATION,
                             "stateful_scenarios": STATEFUL_SCENARIOS,
                             "stateful_steps": STATEFUL_STEPS},
                "database": django_settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1],
                "line": self.line()}


class FuzzData:
    """The data set, a token per persona, the schema and real object ids per route."""

    def __init__(self, sc: Any) -> None:
        self.sc = sc
        self.tokens = {name: Token.objects.create(user=sc.world.users[name]).key
                       for name in PERSONAS}
        self.schema_dict = APIClient().get("/api/schema/", {"format": "json"}).json()
        self.summary = Summary()
        self._pools: dict[str, list[Any]] = {
            "/api/attachments/": [a.pk for by_key in sc.attachments.values()
                                  for a in by_key.values()]}

    def headers(self, persona: str) -> dict[str, str]:
        return {"Authorization": f"Token {self.tokens[persona]}"}

    def pool(self, collection: str) -> list[Any]:
        """Ids the agent reads from the list at ``collection`` (empty if there is none)."""
        if collection not in self._pools:
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=self.headers("agent")["Authorization"])
            response = client.get(collection)
            rows = []
            if response.status_code == 200 and "json" in response.get("Content-Type", ""):
                data = response.json()
                rows = data.get("results", []) if isinstance(data, dict) else data
            self._pools[collection] = [row["id"] for row in rows
                                       if isinstance(row, dict) and "id" in row]
        return self._pools[collection]

    def use_real_ids(self, case, turn: int) -> None:
        """Replace the path parameters of ``case`` by ids of existing objects, walking the
        path: ``/api/calendars/{id}/exceptions/{exception_id}/`` takes ``id`` from
        ``/api/calendars/`` and ``exception_id`` from that calendar's exceptions."""
        prefix = ""
        for part in case.path.strip("/").split("/"):
            name = part[1:-1] if part.startswith("{") and part.endswith("}") else None
            if name is not None:
                ids = self.pool(f"/{prefix}/")
                if not ids:
                    return
                case.path_parameters[name] = ids[turn % len(ids)]
                part = str(case.path_parameters[name])
            prefix = f"{prefix}/{part}" if prefix else part


class TestTransactionApp:
    """Django's WSGI handler run the way its test client runs it: the start and end of a
    request do not close the database connection (and with it the test's transaction on
    PostgreSQL). Schemathesis calls it in-process, in the test's thread."""

    __test__ = False

    def __init__(self) -> None:
        self.handler = get_wsgi_application()

    def __call__(self, environ: dict, start_response: Callable) -> list[bytes]:
        request_started.disconnect(close_old_connections)
        try:
            response = self.handler(environ, start_response)
            body = b"".join(response)
            request_finished.disconnect(close_old_connections)
            try:
                response.close()
            finally:
                request_finished.connect(close_old_connections)
        finally:
            request_started.connect(close_old_connections)
        return [body]


@pytest.fixture(scope="module")
def _fuzz_data(django_db_setup, django_db_blocker, pytestconfig):
    """The data set is built once for the module inside a transaction rolled back at
    its end; each test runs in its own nested transaction (the ``db`` fixture)."""
    with django_db_blocker.unblock(), transaction.atomic():
        data = FuzzData(add_changes(add_cmdb(add_catalog(add_notifications(
            build_scenario(world_copy()))))))
        yield data
        transaction.set_rollback(True)
    write_summary(data.summary, pytestconfig)


def write_summary(summary: Summary, pytestconfig) -> None:
    capture = pytestconfig.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print(f"\n{summary.line()}")
    # One entry per database, so the SQLite and PostgreSQL runs of `make test` both stay.
    path = Path(os.environ.get("ITSM_VAR_DIR", "var")) / "fuzz-summary.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        runs = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        runs = {}
    result = summary.as_dict()
    runs = runs if isinstance(runs, dict) else {}
    runs[result["database"]] = {**result, "failures": summary.failures}
    path.write_text(json.dumps(runs, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


@pytest.fixture
def fuzz_data(_fuzz_data, db) -> FuzzData:
    return _fuzz_data


def load_schema(fuzz_data: FuzzData, phases: list[str]):
    schema = schemathesis.openapi.from_dict(fuzz_data.schema_dict)
    schema.app = TestTransactionApp()
    schema.config.phases.update(phases=phases)
    # Operations without examples in the schema still get one case in that phase.
    schema.config.phases.examples.fill_missing = True
    return schema


class Sender:
    """Sends each case as the next persona and validates the response; failures are
    recorded (not raised) so one run reports every distinct problem."""

    def __init__(self, fuzz_data: FuzzData) -> None:
        self.data = fuzz_data
        self.summary = fuzz_data.summary
        self.auth_confirmed: set[tuple[str, str]] = set()
        self.turns: Counter = Counter()

    def __call__(self, case, persona: str | None = None):
        label = case.operation.label
        turn = self.turns[label]
        self.turns[label] += 1
        persona = persona or PERSONAS[turn % len(PERSONAS)]
        phase = case.meta.phase.name.value if case.meta else "explicit"
        # Half of the cases keep their generated ids (unknown, zero, huge...); stateful
        # cases take theirs from earlier responses.
        if (case.path_parameters and turn % 4 < 2 and phase != "stateful"
                and case.meta is not None
                and not case.meta.is_negative_at(ParameterLocation.PATH)):
            self.data.use_real_ids(case, turn // 4)
        self.summary.cases[phase] += 1
        self.summary.by_persona[persona] += 1
        headers = self.data.headers(persona)
        # One confirmed refusal of bad credentials per operation and identity is enough.
        confirmed = (label, persona) in self.auth_confirmed
        checks = [not_a_server_error] if confirmed else [not_a_server_error, ignored_auth]
        response = case.call(headers=headers)
        try:
            case.validate_response(response, headers=headers, checks=checks)
        except FailureGroup as exc:
            self.summary.record(label, exc)
        else:
            if not confirmed and 200 <= response.status_code < 300:
                self.auth_confirmed.add((label, persona))
        return response


def assert_no_new_failures(summary: Summary, before: set[str]) -> None:
    found = [text for key, text in summary.failures.items() if key not in before]
    assert not found, f"{len(found)} distinct failures:\n\n" + "\n\n".join(found)


def coverage_sampler(send: Sender) -> Callable:
    """At most COVERAGE_PER_OPERATION coverage cases per operation, each of a scenario
    (wrong type, missing field, boundary, bad content type...) and location not yet
    sent for it; the other phases pass through."""
    seen: dict[str, set] = {}

    def run(case) -> None:
        if COVERAGE_PER_OPERATION and case.meta and case.meta.phase.name.value == "coverage":
            data = case.meta.phase.data
            kinds = seen.setdefault(case.operation.label, set())
            kind = (data.scenario, data.parameter_location)
            if kind in kinds or len(kinds) >= COVERAGE_PER_OPERATION:
                return
            kinds.add(kind)
        send(case)

    return run


def test_the_checks_catch_ignored_auth(fuzz_data):
    """The harness itself: an operation that claims to need a token but answers without
    one (the public schema, described here as protected) is reported."""
    raw = json.loads(json.dumps(fuzz_data.schema_dict))
    raw["paths"]["/api/schema/"] = {"get": {
        "operationId": "schema_claimed_protected", "security": [{"tokenAuth": []}],
        "responses": {"200": {"description": ""}}}}
    schema = schemathesis.openapi.from_dict(raw)
    schema.app = TestTransactionApp()
    send = Sender(fuzz_data)
    send.summary = Summary()
    send(schema["/api/schema/"]["GET"].Case(), persona="agent")
    assert send.summary.kinds == {"ignored auth": 1}, send.summary.failures


def test_examples_coverage_and_fuzzing(fuzz_data):
    """Every operation: one example, a sample of the coverage cases (each a different
    kind of wrong or boundary input) and generated valid and invalid requests."""
    schema = load_schema(fuzz_data, ["examples", "coverage", "fuzzing"])
    send = Sender(fuzz_data)
    before = set(fuzz_data.summary.failures)
    fuzz_settings = settings(BASE_SETTINGS, max_examples=FUZZ_EXAMPLES,
                             phases=[Phase.explicit, Phase.generate])
    operations = 0
    expected = sum(method in ("get", "post", "put", "patch", "delete")
                   for path in fuzz_data.schema_dict["paths"].values() for method in path)
    for result in get_all_tests(schema=schema, test_func=coverage_sampler(send),
                                settings=fuzz_settings, given_kwargs=None):
        if not isinstance(result, Ok):
            fuzz_data.summary.record("schema", result.err())
            continue
        operation, test = result.ok()
        operations += 1
        try:
            test()
        except Exception as exc:  # e.g. a case schemathesis could not serialize
            fuzz_data.summary.record(operation.label, exc)
    assert operations == expected
    assert_no_new_failures(fuzz_data.summary, before)


def body_properties(schema: dict[str, Any], operation: dict[str, Any]) -> set[str]:
    """The property names of an operation's JSON request body (one level of $ref)."""
    content = operation.get("requestBody", {}).get("content", {})
    body = content.get("application/json", {}).get("schema", {})
    for _ in range(3):
        if "$ref" not in body:
            break
        body = schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[-1]]
    return set(body.get("properties", {}))


def test_hostile_bodies_are_never_a_server_error(fuzz_data):
    """Deep nesting, an oversize body and fractional ids, to every write operation as
    the agent: 400, 413 and a refusal, never a 500 (recorded like every other failure)."""
    schema = load_schema(fuzz_data, ["examples"])
    send = Sender(fuzz_data)
    before = set(fuzz_data.summary.failures)
    unexpected: dict[str, int] = {}
    operations = 0
    for path, methods in fuzz_data.schema_dict["paths"].items():
        for method, spec in methods.items():
            if method not in WRITE_METHODS:
                continue
            operations += 1
            cases = {label: (body, {status}) for label, (body, status) in HOSTILE_BODIES.items()}
            if "organization" in body_properties(fuzz_data.schema_dict, spec):
                # A create needs a real organization; an update may answer 200 because a
                # record's organization is read-only once it exists (never read as 1).
                refused = set(range(400, 500))
                cases["organization: 1.5"] = (
                    FLOAT_ID, refused if method == "post" else refused | {200})
            for label, (body, statuses) in cases.items():
                case = schema[path][method.upper()].Case(
                    body=body, media_type="application/json", path_parameters={})
                fuzz_data.use_real_ids(case, 0)
                for name in re.findall(r"{(\w+)}", path):
                    case.path_parameters.setdefault(name, 1)
                response = send(case, persona="agent")
                if response.status_code not in statuses:
                    unexpected[f"{label}: {method.upper()} {path}"] = response.status_code
    assert operations > 80
    assert_no_new_failures(fuzz_data.summary, before)
    assert not unexpected, "\n".join(f"{k}: {v}" for k, v in unexpected.items())


def test_stateful(fuzz_data):
    """Sequences of calls chained by the links inferred from the schema (create, then
    read, update, transition or delete what was created), as the agent."""
    schema = load_schema(fuzz_data, ["stateful"])
    send = Sender(fuzz_data)
    summary = fuzz_data.summary

    class Workflow(schema.as_state_machine()):
        """Each scenario starts from the same data (a savepoint rolled back at its end),
        so the same seed replays the same scenarios."""

        def setup(self) -> None:
            self._savepoint = transaction.atomic()
            self._savepoint.__enter__()

        def teardown(self) -> None:
            transaction.set_rollback(True)
            self._savepoint.__exit__(None, None, None)

        def step(self, input: StepInput) -> StepOutput:
            return StepOutput(send(input.case, persona="agent"), input.case)

    before, failures_before = summary.cases["stateful"], set(summary.failures)
    Workflow.run(settings=settings(BASE_SETTINGS, max_examples=STATEFUL_SCENARIOS,
                                   stateful_step_count=STATEFUL_STEPS,
                                   phases=[Phase.generate]))
    assert summary.cases["stateful"] > before
    assert_no_new_failures(summary, failures_before)
