"""Notification templates: a provider's own texts, rendered in a Jinja2 sandbox.

Template injection must do nothing: the classic payloads are refused when saved (a
field message), and when written straight into the database they render nothing
secret and the built-in text goes out instead. Limits stop templates that would eat
memory or time; the custom text reaches the recipient in their own language.
"""

# covers: issue 6 (user-editable templates run in a sandbox), GEN-6

from __future__ import annotations

import logging

import pytest
from django.conf import settings
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation
from jinja2.sandbox import SecurityError

from itsm.core import directory, notifications, services, templating
from itsm.core.choices import AuditAction, Role
from itsm.core.models import AuditEntry, Notification, NotificationTemplate

pytestmark = pytest.mark.django_db

#: Classic server-side template injection payloads (Jinja2, Django and Flask styles).
SSTI_PAYLOADS = [
    "{{ ''.__class__.__mro__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "{{ self }}",
    "{{ self.__init__.__globals__ }}",
    "{% for self in range(1) %}{% endfor %}{{ self }}",
    "{{ config }}",
    "{{ config.items() }}",
    "{{ request }}",
    "{{ request.application.__globals__ }}",
    "{% for c in [].__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}",
    "{{ lipsum.__globals__ }}",
    "{{ lipsum.__globals__['os'].popen('id').read() }}",
    "{{ joiner.__init__.__globals__ }}",
    "{{ namespace.__init__.__globals__ }}",
    "{{ range.__self__ }}",
    "{{ title|attr('__class__') }}",
    "{{ title['__class__'] }}",
    "{{ title.__class__ }}",
    "{{ title.upper() }}",
    "{{ range(10**9)|list }}",
    "{{ 'a' * 10**9 }}",
    "{{ 9**9**9 }}",
    "{{ '%*s' % (1000000000, 'x') }}",
    "{% for a in range(1000) %}{% for b in range(1000) %}{% endfor %}{% endfor %}",
    "{% set x = title %}{{ x }}",
    "{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}",
    "{% include '/etc/passwd' %}",
    "{% import 'os' as os %}",
    "{% extends 'base.html' %}",
    "{% debug %}",
    "{{ settings.SECRET_KEY }}",
    "{{ settings }}",
    "{% load log %}{% get_admin_log 10 as log %}",
    "{{ title|format }}",
    "{{ dict(a=1) }}",
]

SECRET = settings.SECRET_KEY


def make_admin_q(world):
    """An administrator of provider Q (``world.client("admin_q")`` works after this)."""
    world.users["admin_q"] = directory.create_person(actor=None, data={
        "username": "admin_q", "first_name": "admin_q", "last_name": "",
        "email": "admin_q@example.cn", "password": "correct-horse-battery-staple",
        "roles": [Role.ADMINISTRATOR], "is_staff": True,
        "profile": {"organization": world.orgs["Q"]}})
    return world.users["admin_q"]


def store(world, body: str, *, subject: str = "{{ default_subject }}", code: str = "P",
          event: str = "record_resolved", language: str = "zh-hans", **extra):
    """A template written straight into the database, past every check."""
    return NotificationTemplate.objects.create(
        provider=world.orgs[code], event=event, language=language, subject_template=subject,
        body_template=body, **extra)


def resolve(world, ticket, capture):
    """Take a ticket from new to resolved (the requester is notified of it)."""
    with capture(execute=True):
        ticket = services.transition_record(ticket, "assign", actor=world.lead,
                                            values={"assignee_team": world.teams["desk"]})
        ticket = services.transition_record(ticket, "start", actor=world.agent,
                                            values={"assignee": world.agent})
        return services.transition_record(ticket, "resolve", actor=world.agent,
                                          values={"resolution": "更换了硒鼓"})


def mails_to(user) -> list:
    return [m for m in mail.outbox if user.email in m.to]


# --- The sandbox: refused at save time ----------------------------------------------------


@pytest.mark.parametrize("payload", SSTI_PAYLOADS)
def test_injection_payloads_are_refused_with_a_field_message(payload):
    with pytest.raises(ValidationError) as refused:
        templating.validate_template("{{ number }}", payload, event="record_resolved",
                                     language="zh-hans")
    messages = refused.value.message_dict
    assert list(messages) == ["body_template"] and messages["body_template"][0]
    with pytest.raises(ValidationError) as refused:  # the subject is checked the same way
        templating.validate_template(payload[:templating.MAX_SUBJECT_SOURCE], "ok")
    assert "subject_template" in refused.value.message_dict


def test_an_unknown_placeholder_names_itself_and_the_available_ones():
    with pytest.raises(ValidationError) as refused, translation.override("en"):
        templating.validate_template("{{ numbr }}", "ok", language="zh-hans")
    [message] = refused.value.message_dict["subject_template"]
    assert "numbr" in message
    assert "available: number, title, status, priority, url" in message


def test_limits_are_form_errors():
    cases = {
        "x" * (templating.MAX_BODY_SOURCE + 1): "10000",
        "{{ title }}" * (templating.MAX_PLACEHOLDER_USES + 1): "placeholders",
        "{% for i in range(1000) %}{{ default_body * 20 }}{% endfor %}": "50000",
        "{{ range(1001)|join(',') }}": "range()",
        "{{ range(1000)|join(default_body * 20) }}": "too long",
        "{{ default_body|replace('', default_body * 10) }}": "too long",
        "{% for a in range(1000) %}{% for b in range(11) %}{% endfor %}{% endfor %}":
            "repeats too often",
        "{{" + "(" * 3000 + "1" + ")" * 3000 + "}}": "nested too deeply",
        "{{ 1" + "+1" * 3000 + " }}": "nested too deeply",
    }
    for body, fragment in cases.items():
        with pytest.raises(ValidationError) as refused, translation.override("en"):
            templating.validate_template("s", body, event="record_resolved", language="en")
        assert fragment in " ".join(refused.value.message_dict["body_template"]), body


def test_the_sandbox_itself_refuses_what_the_allowlist_would_catch_first():
    """Defence in depth: past the allowlist, Jinja2's sandbox and our operator limits
    still refuse (the allowlist runs before every render, so this is the second wall)."""
    env = templating._ENV
    for source in ["{{ ''.__class__.__mro__ }}", "{{ cycler.__init__.__globals__ }}",
                   "{{ 'a' * 10**9 }}", "{{ 9**9**9 }}", "{{ range(10**9)|list }}",
                   "{{ '%s' % 1 }}", "{{ [].__class__.__base__.__subclasses__() }}"]:
        with pytest.raises(SecurityError):
            env.from_string(source).render(cycler=object())
    assert env.from_string("{{ config }}{{ lipsum }}{{ request }}").render() == ""


def test_what_templates_may_do():
    subject, body = templating.render_template(
        "[{{ number }}] {{ title|truncate(12) }}",
        "{% if priority == '紧急' %}加急！{% endif %}{{ requester }}您好：\n"
        "{% for i in range(3) %}{{ loop.index }}{% if not loop.last %}-{% endif %}{% endfor %}"
        " {{ title[:2] }}{{ status|default('—') }} {{ 2 ** 10 }}",
        {"number": "REQ-1", "title": "三楼打印机卡纸了怎么办", "priority": "紧急",
         "requester": "张伟", "status": ""})
    assert subject == "[REQ-1] 三楼打印机卡纸了怎么办"
    assert body == "加急！张伟您好：\n1-2-3 三楼 1024"


# --- Rendering: stored templates that bypassed the checks fall back -------------------------


@pytest.mark.parametrize("payload", SSTI_PAYLOADS)
def test_payloads_stored_in_the_database_fall_back_and_leak_nothing(world, payload, caplog):
    store(world, payload, subject=payload[:1000])
    ticket = world.request("requester_a")
    with caplog.at_level(logging.WARNING, logger="itsm.core.templating"):
        [note] = notifications.notify("record_resolved", record=ticket,
                                      recipients=[world.requester_a], subject="内置主题",
                                      body="内置正文", language="zh-hans")
    assert (note.subject, note.body) == ("内置主题", "内置正文")
    assert SECRET not in note.subject + note.body
    assert "notification template" in caplog.text


def test_output_beyond_the_limit_is_cut(world):
    store(world, "{% for i in range(1000) %}{{ default_body }}{% endfor %}")
    ticket = world.request("requester_a")
    [note] = notifications.notify("record_resolved", record=ticket,
                                  recipients=[world.requester_a], subject="s",
                                  body="很长的内置正文" * 20, language="zh-hans")
    assert len(note.body) == templating.MAX_OUTPUT and note.body.endswith("…")


def test_a_render_that_takes_too_long_stops_and_falls_back(world, monkeypatch, caplog):
    """Work per loop iteration is bounded by the template's size; the clock is checked
    at every iteration, so a slow template is cut off after MAX_RENDER_SECONDS."""
    store(world, "{% for i in range(1000) %}{{ default_body|upper|lower }}{% endfor %}")
    monkeypatch.setattr(templating, "MAX_RENDER_SECONDS", 0.0)
    ticket = world.request("requester_a")
    [note] = notifications.notify("record_resolved", record=ticket,
                                  recipients=[world.requester_a], subject="s", body="内置",
                                  language="zh-hans")
    assert note.body == "内置"
    assert "takes too long" in caplog.text


def test_a_blank_rendering_and_an_inactive_template_give_the_built_in_text(world):
    template = store(world, "{% if false %}x{% endif %}", subject="  ")
    ticket = world.request("requester_a")
    kwargs = {"record": ticket, "recipients": [world.requester_a], "subject": "内置主题",
              "body": "内置正文", "language": "zh-hans"}
    [note] = notifications.notify("record_resolved", **kwargs)
    assert (note.subject, note.body) == ("内置主题", "内置正文")
    template.body_template = "自定义 {{ number }}"
    template.is_active = False
    template.save()
    [note] = notifications.notify("record_resolved", **kwargs)
    assert note.body == "内置正文"


def test_the_subject_stays_one_line(world):
    store(world, "{{ default_body }}",
          subject="{{ title }}\r\nBcc: x@evil.example {{ default_body }}")
    ticket = world.request("requester_a", title="打印机\r\nBcc: a@evil.example")
    [note] = notifications.notify("record_resolved", record=ticket,
                                  recipients=[world.requester_a], subject="s",
                                  body="第一行\n第二行", language="zh-hans")
    assert "\n" not in note.subject and "\r" not in note.subject
    assert note.body == "第一行\n第二行"


def test_another_providers_template_does_not_apply(world):
    store(world, "Q 的模板", code="Q")
    ticket = world.request("requester_a")
    [note] = notifications.notify("record_resolved", record=ticket,
                                  recipients=[world.requester_a], subject="s", body="内置",
                                  language="zh-hans")
    assert note.body == "内置"


# --- End to end: a ticket event mails the custom text in the recipient's language -----------


@pytest.mark.parametrize(("language", "subject", "body"), [
    ("zh-hans", "【{{ organization }}】{{ number }} 已解决",
     "{{ requester }}您好，{{ default_body }}"),
    ("en", "Solved: {{ number }} ({{ priority }})", "Dear {{ requester }}, {{ status }}.\n"
                                                      "{{ default_body }}"),
])
def test_a_resolved_ticket_mails_the_custom_text_in_the_recipients_language(
        world, django_capture_on_commit_callbacks, language, subject, body):
    world.requester_a.profile.language = language
    world.requester_a.profile.save()
    other = "en" if language == "zh-hans" else "zh-hans"
    services_data = {"event": "record_resolved", "subject_template": subject,
                     "body_template": body}
    templating.save_template(None, actor=world.admin, data={**services_data,
                                                             "language": language})
    templating.save_template(None, actor=world.admin, data={
        **services_data, "language": other, "subject_template": "WRONG LANGUAGE"})
    ticket = world.request("requester_a", title="三楼打印机卡纸")
    resolve(world, ticket, django_capture_on_commit_callbacks)

    [message] = [m for m in mails_to(world.requester_a) if ticket.number in m.subject]
    if language == "zh-hans":
        assert message.subject == f"【华东制造】{ticket.number} 已解决"
        assert message.body.startswith("requester_a您好，")
        assert "更换了硒鼓" in message.body   # the built-in text, through default_body
    else:
        assert message.subject == f"Solved: {ticket.number} (General)"
        assert message.body.startswith("Dear requester_a, Resolved.\n")
        assert "was resolved: 更换了硒鼓" in message.body   # the built-in English text
    assert "三楼打印机卡纸" in message.body and ticket.get_absolute_url() in message.body
    assert "WRONG LANGUAGE" not in message.subject


def test_a_broken_template_never_stops_the_notification(world,
                                                        django_capture_on_commit_callbacks):
    store(world, "{{ 'a' * 10**9 }}", subject="{{ settings.SECRET_KEY }}")
    ticket = world.request("requester_a")
    resolve(world, ticket, django_capture_on_commit_callbacks)
    [message] = [m for m in mails_to(world.requester_a) if ticket.number in m.subject]
    assert message.subject == f"[{ticket.number}] 您的请求已解决"
    assert SECRET not in message.subject + message.body
    assert Notification.objects.filter(event="record_resolved", status="sent").exists()


# --- The service: administrators of the provider, audited -----------------------------------


def test_saving_is_for_the_providers_administrators_and_audited(world):
    data = {"event": "record_created", "language": "zh-hans",
            "subject_template": "收到 {{ number }}", "body_template": "{{ default_body }}"}
    for name in ("agent", "auditor", "custadmin_a", "requester_a"):
        with pytest.raises(Exception) as refused:
            templating.save_template(None, actor=world.users[name], data=data)
        assert type(refused.value).__name__ == "PermissionDenied", name
    template = templating.save_template(None, actor=world.admin, data=data)
    assert template.provider == world.orgs["P"] and template.updated_by == world.admin
    templating.save_template(template, actor=world.admin, data={"is_active": False})
    with pytest.raises(Exception) as refused:
        templating.save_template(template, actor=make_admin_q(world), data={"is_active": True})
    assert type(refused.value).__name__ == "PermissionDenied"
    with pytest.raises(ValidationError):  # one per event and language
        templating.save_template(None, actor=world.admin, data=data)
    templating.delete_template(template, actor=world.admin)
    actions = list(AuditEntry.objects.filter(object_type="core.notificationtemplate")
                   .order_by("id").values_list("action", "changes"))
    assert [a for a, _c in actions] == [AuditAction.CREATE, AuditAction.UPDATE,
                                        AuditAction.DELETE]
    assert actions[1][1]["is_active"] == [True, False]


def test_preview_renders_the_sample_ticket_in_the_chosen_language():
    zh = templating.preview("{{ number }} {{ event }}", "{{ priority }}",
                            event="record_resolved", language="zh-hans")
    en = templating.preview("{{ number }} {{ event }}", "{{ priority }}",
                            event="record_resolved", language="en")
    assert zh["subject"].startswith("REQ-2026-000042 ") and en["body"] == "Important"
    assert zh["body"] != en["body"]


# --- API ------------------------------------------------------------------------------------


API = "/api/notification-templates/"
NEW = {"event": "record_resolved", "language": "zh-hans",
       "subject_template": "[{{ number }}] 已解决", "body_template": "{{ default_body }}"}


def test_api_create_list_update_delete(world):
    client = world.client("admin")
    response = client.post(API, NEW, format="json")
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    assert response.json()["provider"] == world.orgs["P"].pk
    assert response.json()["event_label"]
    assert [row["id"] for row in client.get(API).json()["results"]] == [pk]
    response = client.patch(f"{API}{pk}/", {"body_template": "您好 {{ requester }}"},
                            format="json")
    assert response.status_code == 200
    assert NotificationTemplate.objects.get(pk=pk).body_template == "您好 {{ requester }}"
    assert client.delete(f"{API}{pk}/").status_code == 204
    assert not NotificationTemplate.objects.exists()


def test_api_refuses_bad_templates_with_the_fields_message(world):
    client = world.client("admin")
    response = client.post(API, {**NEW, "body_template": "{{ config.SECRET_KEY }}"},
                           format="json")
    assert response.status_code == 400
    assert "config" in " ".join(response.json()["body_template"])
    response = client.post(API, {**NEW, "subject_template": "{{ ''.__class__ }}"},
                           format="json")
    assert response.status_code == 400 and "subject_template" in response.json()
    assert client.post(API, NEW, format="json").status_code == 201
    response = client.post(API, NEW, format="json")   # the same event and language again
    assert response.status_code == 400
    assert NotificationTemplate.objects.count() == 1


@pytest.mark.parametrize("junk", [
    {}, {"event": "no_such_event"}, {"language": "fr"}, {"subject_template": None},
    {"subject_template": 5, "body_template": []}, {"body_template": "x" * 20_000},
    {"body_template": "nul \x00 byte"}, {"body_template": "{{" + "(" * 3000 + "}}"},
    {"body_template": "{% for %}"}, {"is_active": "maybe"},
])
def test_api_bad_input_is_400_never_500(world, junk):
    client = world.client("admin")
    template = templating.save_template(None, actor=world.admin, data={
        **NEW, "event": "record_created"})
    body = {**NEW, **junk} if junk else {}
    assert client.post(API, body, format="json").status_code == 400
    preview = client.post(f"{API}preview/", body, format="json").status_code
    assert preview == (200 if set(junk) == {"is_active"} else 400)  # not previewed
    if junk:
        response = client.patch(f"{API}{template.pk}/", junk, format="json")
        assert response.status_code == 400
    assert NotificationTemplate.objects.count() == 1


def test_api_provider_and_author_cannot_be_chosen(world):
    response = world.client("admin").post(API, {
        **NEW, "provider": world.orgs["Q"].pk, "updated_by": world.agent.pk}, format="json")
    assert response.status_code == 201
    template = NotificationTemplate.objects.get()
    assert (template.provider, template.updated_by) == (world.orgs["P"], world.admin)


def test_api_preview(world):
    client = world.client("admin")
    response = client.post(f"{API}preview/", {**NEW, "language": "en",
                                              "body_template": "Hi {{ requester }}"},
                           format="json")
    assert response.status_code == 200
    assert response.json()["subject"] == "[REQ-2026-000042] 已解决"
    assert response.json()["body"] == "Hi 张伟"
    assert not NotificationTemplate.objects.exists()
    response = client.post(f"{API}preview/", {**NEW, "body_template": "{{ 'a' * 10**9 }}"},
                           format="json")
    assert response.status_code == 400 and "body_template" in response.json()


def test_api_permissions(world):
    template = templating.save_template(None, actor=world.admin, data=NEW)
    detail = f"{API}{template.pk}/"
    make_admin_q(world)
    for name in ("agent", "auditor"):  # staff read; writes are 403
        client = world.client(name)
        assert client.get(detail).status_code == 200
        assert client.patch(detail, {"is_active": False}, format="json").status_code == 403
        assert client.delete(detail).status_code == 403
        assert client.post(API, {**NEW, "event": "record_created"},
                           format="json").status_code == 403
        assert client.post(f"{API}preview/", NEW, format="json").status_code == 403
    for name in ("requester_a", "custadmin_a", "admin_q", "agent_q"):
        client = world.client(name)
        assert client.get(API).json()["results"] == [], name
        assert client.get(detail).status_code == 404, name
        assert client.patch(detail, {"is_active": False}, format="json").status_code == 404
        assert client.delete(detail).status_code == 404
    for name in ("requester_a", "custadmin_a"):  # a customer cannot act as the provider
        client = world.client(name)
        assert client.post(API, NEW, format="json").status_code == 403
    response = world.client("admin_q").post(API, NEW, format="json")
    assert response.status_code == 201  # Q's own, beside P's
    assert response.json()["provider"] == world.orgs["Q"].pk
    assert world.client(None).get(API).status_code in (401, 403)
    template.refresh_from_db()
    assert template.is_active


# --- Web UI -----------------------------------------------------------------------------------


def test_ui_administrator_creates_previews_edits_and_deletes(world):
    client = world.client("admin")
    page = client.get(reverse("notificationtemplate-list"))
    assert page.status_code == 200
    assert reverse("notificationtemplate-create") in page.content.decode()
    assert 'href="/settings/notification-templates/"' in client.get(
        reverse("servicedesk:request-list")).content.decode()  # in the menu
    form = client.get(reverse("notificationtemplate-create")).content.decode()
    assert "default_body" in form and "truncate" in form   # the placeholders are explained
    data = {**NEW, "body_template": "{{ requester }}您好，{{ title }} 已处理。",
            "is_active": "on"}
    page = client.post(reverse("notificationtemplate-create"), {**data, "preview": "1"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "张伟您好" in text and "REQ-2026-000042" in text
    assert not NotificationTemplate.objects.exists()
    response = client.post(reverse("notificationtemplate-create"), data)
    assert response.status_code == 302
    template = NotificationTemplate.objects.get()
    assert template.provider == world.orgs["P"] and template.is_active
    edit = reverse("notificationtemplate-edit", args=[template.pk])
    assert client.get(edit).status_code == 200
    response = client.post(edit, {**data, "subject_template": "已处理 {{ number }}"})
    assert response.status_code == 302
    template.refresh_from_db()
    assert template.subject_template == "已处理 {{ number }}"
    response = client.post(reverse("notificationtemplate-delete", args=[template.pk]))
    assert response.status_code == 302 and not NotificationTemplate.objects.exists()


def test_ui_invalid_templates_show_field_errors(world):
    world.admin.profile.language = "en"
    world.admin.profile.save(update_fields=["language"])
    client = world.client("admin")
    for body, fragment in [("{{ settings.SECRET_KEY }}", "settings"),
                           ("{% debug %}", "debug"),
                           ("{{ 'a' * 10**9 }}", "too long")]:
        response = client.post(reverse("notificationtemplate-create"),
                               {**NEW, "body_template": body})
        assert response.status_code == 400
        text = response.content.decode()
        assert "invalid-feedback" in text and fragment in text, body
        assert SECRET not in text
    assert not NotificationTemplate.objects.exists()


def test_ui_staff_read_customers_get_404(world):
    template = templating.save_template(None, actor=world.admin, data=NEW)
    edit = reverse("notificationtemplate-edit", args=[template.pk])
    agent = world.client("agent")
    page = agent.get(reverse("notificationtemplate-list"))
    assert page.status_code == 200 and "[{{ number }}] 已解决" in page.content.decode()
    assert edit not in page.content.decode()
    assert agent.get(reverse("notificationtemplate-create")).status_code == 403
    assert agent.get(edit).status_code == 403
    assert agent.post(reverse("notificationtemplate-delete", args=[template.pk])
                      ).status_code == 403
    for name in ("requester_a", "custadmin_a"):
        client = world.client(name)
        assert client.get(reverse("notificationtemplate-list")).status_code == 404
        assert client.get(edit).status_code == 404
    assert world.client("agent_q").get(edit).status_code == 404
    assert NotificationTemplate.objects.filter(pk=template.pk).exists()


def test_admin_site_validates_through_the_same_function(world):
    from django.contrib.auth.models import Permission

    world.admin.user_permissions.add(*Permission.objects.filter(
        content_type__app_label="core", content_type__model="notificationtemplate"))
    client = world.client("admin")
    url = reverse("admin:core_notificationtemplate_add")
    response = client.post(url, {**NEW, "body_template": "{{ lipsum.__globals__ }}"})
    assert response.status_code == 200 and "lipsum" in response.content.decode()
    response = client.post(url, {**NEW, "is_active": "on"})
    assert response.status_code == 302
    template = NotificationTemplate.objects.get()
    assert template.provider == world.orgs["P"] and template.updated_by == world.admin
    assert AuditEntry.objects.filter(object_type="core.notificationtemplate",
                                     action=AuditAction.CREATE).exists()
