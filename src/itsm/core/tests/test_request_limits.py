"""What the API and the web UI accept in size, depth and type (issue 14).

- JSON nested deeper than ``MAX_JSON_DEPTH`` is a 400 with a message on every write
  route of the API (derived from the URL resolver) and on the token endpoint, never a
  500 — also past the middleware, in the parser, and inside values (JSON fields, form
  data, a transition's values);
- a body over the API's limit is a 413 in the API's error shape naming the limit
  (multipart uploads keep theirs; the web UI keeps Django's behaviour);
- integers must be written as integers (``StrictIntegerField``);
- titles, descriptions and comments have a maximum length (forms, serializers, the
  service layer); email intake and monitoring alerts cut what does not fit and say so;
- the read-only auditor's web POSTs are 403 before any form is read, on every write
  route of the web UI.
"""

# covers: GEN-API (bad input is a 400 with field messages, never a 500), GEN-AUDIT
# (read-only auditor)

from __future__ import annotations

import base64
import io
import json
import time
from collections.abc import Iterator
from types import SimpleNamespace
from urllib.parse import urlencode

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import translation
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import ParseError
from rest_framework.test import APIClient

from itsm.cmdb.models import CIType
from itsm.conftest import world_copy
from itsm.core import limits, safejson, services
from itsm.core.api.fields import StrictIntegerField
from itsm.core.api.parsers import JSONParser
from itsm.core.exceptions import RequestBodyTooLarge
from itsm.core.models import AuditEntry, Comment
from itsm.core.tests.scenario import build_scenario
from itsm.core.tests.test_access import (
    add_catalog,
    add_changes,
    add_cmdb,
    add_complaint_policies,
    add_documents,
    add_notifications,
    add_quality_targets,
    add_report_subscriptions,
    add_security,
    add_surveys,
)
from itsm.servicedesk.mailintake import intake, parsing
from itsm.servicedesk.models import Incident, ServiceRequest

UNSAFE = ("post", "put", "patch", "delete")
LIMITS_MIDDLEWARE = "itsm.core.middleware.ApiRequestLimitsMiddleware"
MB = 1024 * 1024


def nested(levels: int, leaf: str = "1") -> str:
    """JSON text of ``levels`` arrays inside one another."""
    return "[" * levels + leaf + "]" * levels


def raw_object(**members: str) -> str:
    """A JSON object from members already written as JSON text."""
    return "{" + ", ".join(f'"{name}": {value}' for name, value in members.items()) + "}"


def nested_objects(levels: int) -> str:
    return '{"a":' * levels + "1" + "}" * levels


DEEP = {"1,000 levels": nested(1000), "100,000 levels": nested(100_000),
        "100,000 objects": nested_objects(100_000)}


# --- Data, built once for the module ----------------------------------------------------


@pytest.fixture(scope="module")
def _data(django_db_setup, django_db_blocker) -> Iterator[SimpleNamespace]:
    """The access scenario (an object of every kind, in and out of each scope) and a
    fresh ticket, inside a transaction rolled back at the end of the module; each test
    runs in its own nested transaction (the ``db`` fixture)."""
    with django_db_blocker.unblock(), transaction.atomic():
        sc = add_documents(add_report_subscriptions(add_quality_targets(add_surveys(
            add_complaint_policies(add_security(add_changes(add_cmdb(add_catalog(
                add_notifications(build_scenario(world_copy())))))))))))
        ticket = sc.world.request("requester_a")
        yield SimpleNamespace(world=sc.world, ticket=ticket, sc=sc)
        transaction.set_rollback(True)


@pytest.fixture
def data(_data, db) -> SimpleNamespace:
    return _data


def token_client(user) -> APIClient:
    client = APIClient()
    token, _created = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def post_raw(client, url: str, body: str | bytes, method: str = "post", **extra):
    return client.generic(method.upper(), url, body, content_type="application/json",
                          **extra)


def detail(response) -> str:
    return response.json()["detail"]


def expected(message, response) -> str:
    """``message()`` in the language the response was given in."""
    with translation.override(response["Content-Language"]):
        return message()


# --- The routes, from the URL resolver ------------------------------------------------------


def walk(patterns, namespace: str = "", prefix: str = "") -> Iterator[tuple[str, str, URLPattern]]:
    """(qualified name, full pattern text, pattern) of every route."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            ns = pattern.namespace
            yield from walk(pattern.url_patterns, f"{namespace}{ns}:" if ns else namespace,
                            prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield f"{namespace}{pattern.name}", prefix + str(pattern.pattern), pattern


def url_for(name: str, pattern: URLPattern, values: dict[str, str]) -> str:
    groups = pattern.pattern.regex.groupindex
    return reverse(name, kwargs={group: values.get(group, "1") for group in groups})


def api_write_routes(ticket_pk: int) -> list[tuple[str, str]]:
    """(method, url) of every write operation of the API: viewset actions and views."""
    routes = []
    for name, text, pattern in walk(get_resolver().url_patterns):
        if not text.startswith("api/") or "format" in pattern.pattern.regex.groupindex:
            continue
        callback = pattern.callback
        actions = getattr(callback, "actions", None)
        cls = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
        if actions:
            methods = [m for m in actions if m in UNSAFE]
        elif cls is not None:
            methods = [m for m in UNSAFE if hasattr(cls, m) and m in cls.http_method_names]
        else:
            methods = []
        url = url_for(name, pattern, {"pk": str(ticket_pk)})
        routes.extend((method, url) for method in methods)
    return routes


def api_views() -> list[tuple[str, object]]:
    return [(name, pattern.callback) for name, text, pattern in walk(get_resolver().url_patterns)
            if text.startswith("api/") and hasattr(pattern.callback, "cls")]


#: Web routes anyone signed in may post to (or anyone at all): their own account,
#: the language, the rating link of an email. Everything else that takes a POST writes.
WEB_POSTS_FOR_EVERYONE = {
    "login", "logout", "two-factor-verify", "two-factor-setup", "two-factor-disable",
    "two-factor-backup-codes", "person-two-factor", "password_change", "password_reset",
    "password_reset_confirm", "set-language", "servicedesk:rate",
    # one's own state, not data: notifications read, saved views of lists, notices closed
    "notifications-read", "notification-read", "saved-view-save", "saved-view-delete",
    "notice-dismiss",
    # one's own answer to a survey one was asked (by the emailed link, or in the portal)
    "surveys:answer", "surveys:campaign-answer",
}


def web_write_routes() -> list[tuple[str, str, URLPattern]]:
    routes = []
    for name, text, pattern in walk(get_resolver().url_patterns):
        cls = getattr(pattern.callback, "view_class", None)
        if text.startswith(("api/", "admin/")) or cls is None:
            continue
        if hasattr(cls, "post") and "post" in cls.http_method_names:
            routes.append((name, text, pattern))
    return routes


# --- Deep JSON: every write route of the API --------------------------------------------


def test_the_api_has_write_routes_and_the_token_endpoint_is_one():
    routes = api_write_routes(1)
    assert len(routes) > 80
    assert ("post", reverse("api:token")) in routes
    assert ("post", reverse("api:servicerequest-transition", args=[1])) in routes


@pytest.mark.parametrize("shape", list(DEEP))
def test_deep_json_is_400_on_every_write_route(data, shape):
    client = data.world.client("admin")
    routes = api_write_routes(data.ticket.pk)
    answers = {}
    for method, url in routes:
        response = post_raw(client, url, raw_object(title=DEEP[shape]), method)
        answers[f"{method.upper()} {url}"] = (response.status_code,
                                              response.json().get("detail"))
    message = expected(safejson.too_deep_message, response)
    wrong = {route: answer for route, answer in answers.items()
             if answer != (400, message)}
    assert not wrong, wrong


@pytest.mark.parametrize("shape", list(DEEP))
def test_deep_json_to_the_token_endpoint_is_400(data, shape):
    body = raw_object(username=DEEP[shape], password='"x"')
    response = post_raw(APIClient(), reverse("api:token"), body, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert detail(response) == "JSON nested deeper than 64 levels."


def test_the_message_is_translated(data):
    response = post_raw(APIClient(), reverse("api:token"), nested(1000),
                        HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 400
    with translation.override("zh-hans"):
        assert detail(response) == safejson.too_deep_message()
    assert detail(response) != "JSON nested deeper than 64 levels."


def test_64_levels_are_still_json(data):
    """At the limit the body is parsed: the token endpoint answers about the field."""
    body = raw_object(username=nested(63), password='"x"')
    response = post_raw(APIClient(), reverse("api:token"), body, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "username" in response.json()


@pytest.fixture
def without_limits_middleware(settings):
    """The parser alone: what a route reached some other way would get."""
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != LIMITS_MIDDLEWARE]


@pytest.mark.parametrize("levels", [1000, 100_000])
def test_the_parser_refuses_deep_json_by_itself(data, without_limits_middleware, levels):
    world, ticket = data.world, data.ticket
    admin = world.client("admin")
    agent_token = token_client(world.agent)
    body = raw_object(title=nested(levels))
    cases = [
        (APIClient(), reverse("api:token"), raw_object(username=nested(levels))),
        (admin, reverse("api:servicerequest-list"), body),
        (admin, reverse("api:incident-list"), body),
        (admin, reverse("api:change-list"), body),
        (admin, reverse("api:configurationitem-list"), body),
        (admin, reverse("api:servicerequest-import"), body),
        (admin, reverse("api:servicerequest-transition", args=[ticket.pk]),
         raw_object(transition='"assign"', values=nested(levels))),
        (agent_token, reverse("api:alerts-generic"), body),
    ]
    for client, url, payload in cases:
        response = post_raw(client, url, payload)
        assert (response.status_code, detail(response)) == (
            400, expected(safejson.too_deep_message, response)), url


def test_every_json_parser_of_the_api_is_the_bounded_one():
    """Views that name their parsers (the token endpoint, alert webhooks, imports, the
    record and CI viewsets) must name ours, or JSON reaches Python's decoder unchecked."""
    unbounded = []
    for name, callback in api_views():
        initkwargs = getattr(callback, "initkwargs", {})
        parsers = initkwargs.get("parser_classes", callback.cls.parser_classes)
        for parser in parsers:
            if "json" in (parser.media_type or "") and not issubclass(parser, JSONParser):
                unbounded.append((name, parser.__name__))
    assert not unbounded


def test_deep_values_inside_json_are_400_not_500(data):
    """Within the depth limit, nested values reach the serializers: refused cleanly."""
    world, ticket = data.world, data.ticket
    admin = world.client("admin")
    url = reverse("api:servicerequest-transition", args=[ticket.pk])
    for values in ({"resolution": json.loads(nested(60))}, json.loads(nested(60)),
                   {"assignee": {"a": json.loads(nested(58))}}):
        response = admin.post(url, {"transition": "assign", "values": values}, format="json")
        assert response.status_code == 400, values
    response = admin.post(reverse("api:configurationitem-list"), {
        "name": "db01", "organization": world.orgs["A"].pk, "ci_type": CIType.objects.first().pk,
        "attributes": {"os": json.loads(nested(60))}}, format="json")
    assert response.status_code == 400


@pytest.mark.parametrize("levels", [1000, 100_000])
def test_json_fields_decode_form_data_with_the_bounded_decoder(levels):
    """A model JSONField people type into gives DRF's and Django's form fields its
    decoder: JSON sent as text (form data, a textarea) is refused, not a 500."""
    from django import forms
    from django.http import QueryDict

    class Serializer(serializers.ModelSerializer):
        class Meta:
            model = CIType
            fields = ["attributes"]

    form_data = QueryDict(mutable=True)
    form_data["attributes"] = nested(levels)
    serializer = Serializer(data=form_data)
    assert not serializer.is_valid()
    assert "attributes" in serializer.errors
    field = CIType._meta.get_field("attributes").formfield()
    with pytest.raises(forms.ValidationError):
        field.clean(nested(levels))
    assert field.bound_data(nested(levels), None) == nested(levels)  # shown back as typed


@pytest.mark.parametrize("levels", [1000, 100_000])
def test_deep_json_in_web_forms_is_a_form_error(data, levels):
    world = data.world
    admin = world.client("admin")
    response = admin.post(reverse("cmdb:item-create"), {
        "name": "db01", "organization": world.orgs["A"].pk,
        "ci_type": CIType.objects.first().pk, "attributes": nested(levels)})
    assert response.status_code == 400
    assert response.context["form"].errors["attributes"]
    response = admin.post(reverse("security:plan-create"), {
        "title": "预案", "response_levels": nested(levels), "contacts": "[]",
        "version": "1.0", "status": "draft"})
    assert response.status_code == 400
    assert response.context["form"].errors["response_levels"]


def test_too_deep_is_exact_for_json_and_fast():
    assert not safejson.too_deep(nested(64))
    assert safejson.too_deep(nested(65))
    assert not safejson.too_deep(json.dumps({"a": "[" * 10_000}))  # brackets in a string
    assert not safejson.too_deep(json.dumps([json.loads(nested(63))] * 1000))
    assert safejson.too_deep(json.dumps([1] * 1000 + [json.loads(nested(64))]))
    assert safejson.too_deep("[" * 100)  # never closed: the decoder would still recurse
    assert not safejson.too_deep('["' + '\\"[' * 1000)  # a string without an end
    started = time.perf_counter()
    for text in (nested(1_000_000), json.dumps(["x" * 30] * 100_000),
                 "[" + "[]," * 1_000_000 + "[]]", '"' + '\\"' * 1_000_000,
                 json.dumps([json.loads(nested(63))] * 15_000)):
        safejson.too_deep(text)
    assert time.perf_counter() - started < 2


def test_loads_and_the_decoder_refuse_deep_json_with_a_value_error():
    with translation.override("en"), pytest.raises(ValueError, match="64 levels"):
        safejson.loads(nested(100_000))
    with pytest.raises(json.JSONDecodeError):
        json.loads(nested(100_000), cls=safejson.BoundedJSONDecoder)
    assert safejson.loads(nested(64).encode()) == json.loads(nested(64))


# --- Oversize bodies ------------------------------------------------------------------------


def body_of(size: int) -> str:
    return json.dumps({"title": "x", "description": "a" * size})


def test_a_3_mb_body_is_413_naming_the_limit(data):
    response = post_raw(data.world.client("admin"), reverse("api:servicerequest-list"),
                        body_of(3 * MB))
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"code": "too_large",
                               "detail": expected(limits.body_too_large_message, response)}
    assert "2.0 MB" in detail(response)
    with translation.override("en"):
        assert limits.body_too_large_message() == (
            "The request body is larger than 2.0 MB, the most the API accepts (attachments "
            "and import files: upload them as multipart/form-data).")


def test_oversize_bodies_are_refused_before_authentication_and_routing(data):
    for client, url in [(APIClient(), reverse("api:token")),
                        (APIClient(), "/api/no-such-route/"),
                        (data.world.client("agent"), reverse("api:servicerequest-transition",
                                                             args=[data.ticket.pk]))]:
        response = post_raw(client, url, body_of(3 * MB))
        assert response.status_code == 413, url
        assert response.json()["code"] == "too_large"
    response = data.world.client("agent").generic(
        "POST", reverse("api:servicerequest-list"), urlencode({"title": "a" * (3 * MB)}),
        content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413  # form data too
    # Multipart form fields are Django's to limit (DATA_UPLOAD_MAX_MEMORY_SIZE, below).
    response = data.world.client("agent").post(reverse("api:servicerequest-list"),
                                               {"title": "a" * (3 * MB)}, format="multipart")
    assert response.status_code == 400 and "title" in response.json()


def test_the_parser_refuses_oversize_bodies_by_itself(data, without_limits_middleware):
    admin = data.world.client("admin")
    response = post_raw(admin, reverse("api:servicerequest-list"), body_of(3 * MB))
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert "2.0 MB" in detail(response)
    # Over Django's own limit (DATA_UPLOAD_MAX_MEMORY_SIZE): JSON too, not its HTML page.
    response = post_raw(admin, reverse("api:servicerequest-list"), body_of(6 * MB))
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"


def test_parser_without_content_length(data, settings):
    """A body that announced no length is measured while it is read."""
    settings.API_MAX_BODY_BYTES = 1000
    parser = JSONParser()
    assert parser.parse(io.BytesIO(b'{"a": 1}'), "application/json", {}) == {"a": 1}
    with pytest.raises(RequestBodyTooLarge, match="1000"):
        parser.parse(io.BytesIO(body_of(2000).encode()), "application/json", {})
    with pytest.raises(ParseError):
        parser.parse(io.BytesIO(b"\xff\xfe"), "application/json", {})
    with pytest.raises(ParseError):
        parser.parse(io.BytesIO(b"[NaN]"), "application/json", {})


def test_multipart_form_fields_over_djangos_limit_are_413_json(data, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    response = data.world.client("agent").post(
        reverse("api:servicerequest-list"), {"title": "x", "description": "a" * 20_000},
        format="multipart")
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"


def test_a_3_mb_attachment_still_uploads(data):
    url = reverse("api:servicerequest-attachments", args=[data.ticket.pk])
    response = data.world.client("requester_a").post(
        url, {"file": SimpleUploadedFile("trace.log", b"x" * (3 * MB))}, format="multipart")
    assert response.status_code == 201
    assert response.json()["size"] == 3 * MB


def test_the_web_ui_keeps_djangos_behaviour(data):
    response = data.world.client("agent").post(
        reverse("servicedesk:request-create"),
        {"title": "x", "description": "a" * (3 * MB), "organization": data.world.orgs["A"].pk})
    assert response.status_code == 400  # the form's own message, a page, not JSON
    assert response["Content-Type"].startswith("text/html")
    assert response.context["form"].errors["description"]


# --- Strict integers --------------------------------------------------------------------------


@pytest.mark.parametrize("value", [3, 3.0, "3", "-2", "+7", 2**40])
def test_strict_integers_accept_integers(value):
    assert StrictIntegerField().run_validation(value) == int(value)


@pytest.mark.parametrize("value", [1.5, "1e3", True, False, "1.0", "1_000", "١٢", " 12 ",
                                   "", "0x10", 1e300, float("nan"), [1], {"a": 1}, None])
def test_strict_integers_refuse_anything_else(value):
    field = StrictIntegerField(allow_null=False)
    with translation.override("en"), pytest.raises(serializers.ValidationError) as info:
        field.run_validation(value)
    assert info.value.detail in (["A valid integer is required."], ["This field may not be null."])


def test_strict_integers_keep_their_bounds_and_string_limit():
    field = StrictIntegerField(min_value=1, max_value=5)
    with pytest.raises(serializers.ValidationError):
        field.run_validation(6)
    with translation.override("en"), pytest.raises(serializers.ValidationError) as info:
        StrictIntegerField().run_validation("1" * 1001)
    assert info.value.detail == ["String value too large."]


@pytest.mark.parametrize("value", [1.5, "1e3", True])
def test_integer_fields_of_the_api_refuse_non_integers(data, value):
    world, ticket = data.world, data.ticket
    admin = world.client("admin")
    response = admin.patch(reverse("api:servicerequest-detail", args=[ticket.pk]),
                           {"title": "x", "version": value}, format="json")
    assert response.status_code == 400 and "version" in response.json()
    response = admin.post(reverse("api:notificationchannel-list"), {
        "name": "robot", "kind": "webhook", "target": "https://hooks.example.cn/x",
        "rate_limit_per_minute": value}, format="json")
    assert response.status_code == 400 and "rate_limit_per_minute" in response.json()


# --- Text lengths ---------------------------------------------------------------------------


def create_body(data, description: str) -> dict:
    return {"title": "超长描述", "description": description,
            "organization": data.world.orgs["A"].pk, "requester": data.world.requester_a.pk}


def test_a_description_over_the_limit_is_400_in_the_api(data):
    admin = data.world.client("admin")
    url = reverse("api:servicerequest-list")
    limit = limits.DESCRIPTION_MAX_LENGTH
    response = admin.post(url, create_body(data, "长" * (limit + 1)), format="json")
    assert response.status_code == 400
    message = serializers.CharField(max_length=limit).error_messages["max_length"]
    with translation.override(response["Content-Language"]):
        assert response.json()["description"] == [str(message).format(max_length=limit)]
    response = admin.post(url, create_body(data, "长" * limit), format="json")
    assert response.status_code == 201
    assert len(ServiceRequest.objects.get(pk=response.json()["id"]).description) == limit


def test_a_title_over_the_limit_is_400_in_the_api(data):
    body = {**create_body(data, "x"), "title": "t" * (limits.TITLE_MAX_LENGTH + 1)}
    response = data.world.client("admin").post(reverse("api:servicerequest-list"), body,
                                               format="json")
    assert response.status_code == 400 and "title" in response.json()


def test_a_comment_over_the_limit_is_400(data):
    url = reverse("api:servicerequest-comments", args=[data.ticket.pk])
    response = data.world.client("requester_a").post(
        url, {"body": "c" * (limits.COMMENT_MAX_LENGTH + 1)}, format="json")
    assert response.status_code == 400 and "body" in response.json()
    assert not Comment.objects.for_record(data.ticket).exists()


def test_a_description_over_the_limit_is_a_form_error_on_the_web(data):
    response = data.world.client("requester_a").post(
        reverse("servicedesk:request-create"),
        {"title": "超长描述", "description": "长" * (limits.DESCRIPTION_MAX_LENGTH + 1)})
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert list(errors) == ["description"]
    assert str(limits.DESCRIPTION_MAX_LENGTH) in errors["description"][0]
    assert not ServiceRequest.objects.filter(title="超长描述").exists()


def test_the_service_layer_refuses_overlong_text_it_writes(data):
    world = data.world
    with pytest.raises(services.ValidationError) as info:
        world.request("requester_a", description="d" * (limits.DESCRIPTION_MAX_LENGTH + 1))
    assert "description" in info.value.message_dict
    # Text stored before the limit existed does not stop other changes.
    ServiceRequest.objects.filter(pk=data.ticket.pk).update(
        description="d" * (limits.DESCRIPTION_MAX_LENGTH + 5))
    ticket = ServiceRequest.objects.get(pk=data.ticket.pk)
    ticket = services.update_record(ticket, actor=world.agent, changes={"title": "新标题"})
    assert ticket.title == "新标题"


def test_free_text_fields_that_people_type_have_a_limit():
    """Every TextField of the project has a max_length, except machine-written ones."""
    from django.apps import apps
    from django.db import models

    # Written by the application (search index, delivery logs, quarantine reasons) or
    # limited by their own rules (templates: core.templating).
    machine = {("core", "notificationtemplate", "body_template"),
               ("core", "notification", "body"), ("core", "notification", "last_error"),
               ("core", "notificationattempt", "error"),
               ("core", "notificationattempt", "response"),
               ("servicedesk", "inboundmail", "reason")}
    unlimited = []
    for model in apps.get_models():
        if not model.__module__.startswith("itsm."):
            continue
        for field in model._meta.concrete_fields:
            key = (model._meta.app_label, model._meta.model_name, field.name)
            if (isinstance(field, models.TextField) and field.max_length is None
                    and key not in machine and field.name != "search_text"):
                unlimited.append(".".join(key))
    assert not unlimited


# --- Email intake and monitoring alerts: cut to fit, never refused -----------------------


def mail(body: str, sender: str = "requester_a@example.cn", subject: str = "长邮件") -> bytes:
    head = (f"From: {sender}\r\nTo: desk@itsm.example.cn\r\nSubject: {subject}\r\n"
            f"Message-ID: <long.{time.time_ns()}@mail.example.cn>\r\nMIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n")
    return head.encode() + base64.encodebytes(body.encode()).replace(b"\n", b"\r\n")


@pytest.fixture
def process(django_capture_on_commit_callbacks):
    def run(raw: bytes) -> intake.IntakeResult:
        with django_capture_on_commit_callbacks(execute=True):
            return intake.process_message(raw)
    return run


def test_an_email_with_a_huge_body_still_becomes_a_ticket(data, process):
    text = "".join(f"第{n}行：服务器日志内容。\n" for n in range(8000))  # ~100,000 chars
    assert len(text) > 2 * limits.DESCRIPTION_MAX_LENGTH
    result = process(mail(text, subject="s" * 600))
    ticket = result.record
    assert result.status == "created" and isinstance(ticket, ServiceRequest)
    assert len(ticket.title) == limits.TITLE_MAX_LENGTH
    assert len(ticket.description) <= limits.DESCRIPTION_MAX_LENGTH
    assert ticket.description.startswith("第0行")
    with translation.override("zh-hans"):
        note = intake._fit_message_text(text, limits.DESCRIPTION_MAX_LENGTH)[0]
    assert ticket.description == note
    assert ticket.description.endswith("]")
    assert intake.FULL_TEXT_NAME in ticket.description
    attachment = ticket.attachments.get()
    assert attachment.original_name == intake.FULL_TEXT_NAME
    with attachment.file.open("rb") as stored:
        assert stored.read().decode("utf-8") == text[:parsing.MAX_TEXT_CHARS]


def test_a_huge_reply_becomes_a_comment_with_the_whole_text_attached(data, process):
    ticket = data.ticket
    text = "回复内容。" * 5000
    result = process(mail(text, subject=f"Re: [{ticket.number}] 打印机卡纸"))
    assert result.status == "commented" and result.record.pk == ticket.pk
    comment = Comment.objects.for_record(ticket).get()
    assert len(comment.body) <= limits.COMMENT_MAX_LENGTH
    assert comment.body.startswith("回复内容。")
    assert [a.original_name for a in ticket.attachments.all()] == [intake.FULL_TEXT_NAME]


def test_a_huge_alert_becomes_an_incident_cut_to_fit(data):
    """Alertmanager's labels and annotations (10,000 characters each, any number of
    them) make the description; a long summary the title."""
    alert = {"status": "firing", "fingerprint": "f00d",
             "labels": {"alertname": "DiskFull", "severity": "critical", "instance": "db01",
                        "mount": "m" * 9_000},
             "annotations": {"summary": "磁盘已满" * 2_000, "description": "详" * 9_000,
                             "runbook": "r" * 9_000}}
    client = token_client(data.world.agent)
    url = reverse("api:alerts-prometheus")
    response = client.post(url, {"version": "4", "alerts": [alert]}, format="json")
    assert response.status_code == 200, response.json()
    incident = Incident.objects.get(alert_fingerprint="prometheus:f00d")
    assert len(incident.title) == limits.TITLE_MAX_LENGTH
    assert incident.title.startswith("DiskFull: 磁盘已满")
    assert len(incident.description) <= limits.DESCRIPTION_MAX_LENGTH
    assert incident.description.startswith("详" * 100) and incident.description.endswith("]")
    # The recovery with the same long title is a note and a resolution that fit.
    response = client.post(url, {"version": "4", "alerts": [
        {**alert, "status": "resolved", "endsAt": "2026-05-01T02:30:00Z"}]}, format="json")
    assert response.status_code == 200, response.json()
    incident.refresh_from_db()
    assert incident.status == "resolved"


# --- The auditor: every web write is a 403, before the form is read -------------------


def visible_pk(pattern: URLPattern, user) -> int | None:
    """The id of an object the route's view lets ``user`` see (its own queryset)."""
    from django.test import RequestFactory

    view = pattern.callback.view_class()
    request = RequestFactory().get("/")
    request.user = user
    view.setup(request)
    return view.get_queryset().order_by("pk").values_list("pk", flat=True).first()


def test_every_web_write_route_refuses_the_auditor(data):
    """Every web route that takes a POST, on an object the auditor may read, with a
    form that is not valid and a transition that does not exist: 403, nothing changed."""
    world = data.world
    auditor = world.client("auditor")
    public, refused = set(), {}
    before = AuditEntry.objects.count()
    for name, _text, pattern in web_write_routes():
        if name in WEB_POSTS_FOR_EVERYONE:
            public.add(name)
            continue
        values = {"name": "no-such-transition", "token": "x"}
        if "pk" in pattern.pattern.regex.groupindex:
            pk = visible_pk(pattern, world.auditor)
            assert pk is not None, f"{name}: the scenario has nothing the auditor may see"
            values["pk"] = str(pk)
        response = auditor.post(url_for(name, pattern, values), {"title": "", "x": "y"})
        refused[name] = response.status_code
    assert public == WEB_POSTS_FOR_EVERYONE
    assert len(refused) > 60
    assert {name: code for name, code in refused.items() if code != 403} == {}
    assert AuditEntry.objects.count() == before


def test_out_of_scope_stays_404_for_the_auditor(data):
    """The object is looked up in the auditor's scope before the 403: a ticket of
    another provider (or no ticket at all) is a 404, as for every other role."""
    auditor = data.world.client("auditor")
    other = data.sc.records["servicerequest"]["c"]
    for pk in (other.pk, 10**9):
        for name in ("request-transition", "request-edit", "request-comment"):
            args = [pk, "cancel"] if name.endswith("transition") else [pk]
            response = auditor.post(reverse(f"servicedesk:{name}", args=args), {})
            assert response.status_code == 404, (name, pk)


def test_the_auditors_transition_and_form_posts_are_403(data):
    world, ticket = data.world, data.ticket
    auditor = world.client("auditor")
    for url, form in [
        (reverse("servicedesk:request-transition", args=[ticket.pk, "no-such"]), {}),
        (reverse("servicedesk:request-transition", args=[ticket.pk, "assign"]),
         {"t-assign-assignee": "not-a-person"}),
        (reverse("servicedesk:request-transition", args=[ticket.pk, "cancel"]), {}),
        (reverse("servicedesk:request-create"), {"title": ""}),
        (reverse("servicedesk:request-edit", args=[ticket.pk]), {"title": "", "version": "x"}),
        (reverse("servicedesk:request-comment", args=[ticket.pk]), {"body": ""}),
        (reverse("cmdb:item-create"), {"attributes": "{"}),
    ]:
        response = auditor.post(url, form)
        assert response.status_code == 403, url
    # Reading stays open to the auditor.
    assert auditor.get(reverse("servicedesk:request-detail", args=[ticket.pk])).status_code == 200
    assert ServiceRequest.objects.get(pk=ticket.pk).status == ticket.status
