"""The pages of the complaint settings (cause categories and clock policies, on the
generic object pages): who reads and who writes them, the tree and the targets as the
lists show them, form errors, the shared defaults read-only; and the complaint form a
ticket's "complain about this" link opens, prefilled with the ticket."""

# covers: CPL-2 (clock policies), CPL-5 (cause categories)

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import translation

from itsm.complaints.models import CauseCategory, Complaint, ComplaintPolicy
from itsm.conftest import PASSWORD
from itsm.core import directory, links
from itsm.core.choices import Role
from itsm.core.tests.test_access import OTHER_ROUTES, resolver_route_names

from .conftest import cause

pytestmark = pytest.mark.django_db

ROUTES = [f"complaints:{kind}-{view}" for kind in ("cause", "policy")
          for view in ("list", "create", "edit", "delete")]


def zh(message: str, **params) -> str:
    """``message`` as the zh-Hans UI shows it (whether translated yet or not)."""
    with translation.override("zh-hans"):
        text = translation.gettext(message)
    return text % params if params else text


def page(response) -> str:
    return response.content.decode()


def url(name: str, *args) -> str:
    return reverse(f"complaints:{name}", args=args)


def own_cause(cw, name: str, parent: CauseCategory | None = None, **data) -> CauseCategory:
    return CauseCategory.objects.create(provider=cw.orgs["P"], parent=parent, name=name,
                                        **data)


def row(html: str, element_id: str) -> str:
    """The table row with ``element_id`` ("" when there is none)."""
    found = re.search(rf'<tr[^>]*id="{element_id}"[^>]*>(.*?)</tr>', html, re.S)
    return found.group(1) if found else ""


@pytest.fixture
def admin_q(cw):
    """An administrator of the other provider Q."""
    cw.users["admin_q"] = directory.create_person(actor=None, data={
        "username": "admin_q", "first_name": "admin_q", "last_name": "",
        "email": "admin_q@example.cn", "password": PASSWORD, "roles": [Role.ADMINISTRATOR],
        "profile": {"organization": cw.orgs["Q"]}})
    return cw.users["admin_q"]


# --- Cause categories -----------------------------------------------------------------------


def test_cause_list_shows_the_tree_shared_and_own(cw):
    parent = cause().parent  # 服务时效 (shared)
    mine = own_cause(cw, "夜间值守不到位", parent=parent)
    own_top = own_cause(cw, "驻场服务", order=99)
    own_child = own_cause(cw, "驻场人员更换频繁", parent=own_top, is_active=False)
    response = cw.client("admin").get(url("cause-list"))
    html = page(response)
    assert response.status_code == 200
    assert zh("cause categories") in html and zh("shared") in html
    assert f'href="{url("cause-create")}"' in html and 'id="new-cause"' in html
    # The tree: each category with its subcategories right after it, shared and own.
    ids = re.findall(r'<tr[^>]*id="cause-(\d+)"', html)
    at = {int(pk): index for index, pk in enumerate(ids)}
    shared_child = cause("响应超时")
    assert at[parent.pk] < at[shared_child.pk] and at[parent.pk] < at[mine.pk]
    assert at[own_top.pk] + 1 == at[own_child.pk]
    # Shared rows are read-only (said so), own rows have their edit link.
    assert zh("Read-only") in row(html, f"cause-{shared_child.pk}")
    assert url("cause-edit", shared_child.pk) not in html
    for own in (mine, own_top, own_child):
        assert url("cause-edit", own.pk) in row(html, f"cause-{own.pk}")
        assert zh("shared") not in row(html, f"cause-{own.pk}")
    assert zh("No") in row(html, f"cause-{own_child.pk}")  # inactive


def test_admin_creates_edits_and_deletes_a_cause(cw):
    admin = cw.client("admin")
    form = page(admin.get(url("cause-create")))
    assert zh("parent category") in form and zh("Save") in form
    response = admin.post(url("cause-create"), {"name": "驻场服务", "order": 9,
                                                "is_active": "on"})
    assert response.status_code == 302 and response["Location"] == url("cause-list")
    top = CauseCategory.objects.get(name="驻场服务")
    assert top.provider == cw.orgs["P"] and top.parent is None
    response = admin.post(url("cause-create"), {"parent": top.pk, "name": "人员更换频繁",
                                                "order": 0, "is_active": "on"})
    assert response.status_code == 302
    child = CauseCategory.objects.get(name="人员更换频繁")
    assert child.parent == top and child.provider == cw.orgs["P"]
    shared = cause("响应超时").parent
    response = admin.post(url("cause-edit", child.pk), {"parent": shared.pk,
                                                        "name": "驻场人员更换频繁", "order": 1})
    assert response.status_code == 302
    child.refresh_from_db()
    assert (child.parent, child.name, child.is_active) == (shared, "驻场人员更换频繁", False)
    edit = page(admin.get(url("cause-edit", child.pk)))
    assert f'action="{url("cause-delete", child.pk)}"' in edit
    response = admin.post(url("cause-delete", child.pk))
    assert response.status_code == 302
    assert not CauseCategory.objects.filter(pk=child.pk).exists()
    html = page(admin.get(url("cause-list")))
    assert zh("“%(name)s” deleted.", name=f"{shared.name} / 驻场人员更换频繁") in html


def test_a_cause_in_use_is_not_deleted_and_the_list_says_why(cw):
    from .conftest import complain

    top = own_cause(cw, "驻场服务")
    child = own_cause(cw, "人员更换频繁", parent=top)
    complaint = complain(cw)
    Complaint.objects.filter(pk=complaint.pk).update(cause_category=child)
    response = cw.client("admin").post(url("cause-delete", child.pk))
    assert response.status_code == 409 and 'id="causes"' in page(response)
    assert CauseCategory.objects.filter(pk=child.pk).exists()
    assert url("cause-edit", child.pk) in page(response)  # the tree is shown again


@pytest.mark.parametrize("case", ["no name", "third level", "parent of itself",
                                  "category with subcategories under another"])
def test_bad_cause_input_is_shown_on_the_form_and_nothing_is_saved(cw, case):
    admin = cw.client("admin")
    top = own_cause(cw, "驻场服务")
    child = own_cause(cw, "人员更换频繁", parent=top)
    before = list(CauseCategory.objects.order_by("pk").values_list(
        "pk", "parent_id", "name"))
    target, data = {
        "no name": (url("cause-create"), {"name": "", "order": 0}),
        "third level": (url("cause-create"), {"name": "第三级", "parent": child.pk, "order": 0}),
        "parent of itself": (url("cause-edit", child.pk),
                             {"name": child.name, "parent": child.pk, "order": 0}),
        "category with subcategories under another": (
            url("cause-edit", top.pk), {"name": top.name, "parent": cause().parent_id,
                                        "order": 0}),
    }[case]
    response = admin.post(target, data)
    html = page(response)
    assert response.status_code == 400
    assert 'id="cause-form"' in html and "invalid-feedback" in html
    if case == "no name":
        assert zh("This field is required.") in html
    elif case == "category with subcategories under another":
        assert zh("Cause categories have two levels only.") in html
    # else: a subcategory (or itself) is not even offered as a parent
    assert list(CauseCategory.objects.order_by("pk").values_list(
        "pk", "parent_id", "name")) == before


def test_shared_defaults_are_read_only_for_a_providers_admin(cw):
    admin = cw.client("admin")
    shared = cause("响应超时")
    assert admin.get(url("cause-edit", shared.pk)).status_code == 403
    response = admin.post(url("cause-edit", shared.pk), {
        "parent": shared.parent_id, "name": "改名", "order": 0})
    assert response.status_code == 403
    assert zh("The shared defaults are read-only; add your own categories instead.") in \
        page(response)
    assert admin.post(url("cause-delete", shared.pk)).status_code == 403
    # Nor through the API (the same service): saving would take it from every provider.
    response = admin.patch(reverse("api:causecategory-detail", args=[shared.pk]),
                           {"is_active": False}, format="json")
    assert response.status_code == 403
    shared.refresh_from_db()
    assert (shared.provider_id, shared.name, shared.is_active) == (None, "响应超时", True)


# --- Clock policies -------------------------------------------------------------------------


def test_policy_list_shows_levels_customers_and_targets(cw):
    customer_policy = ComplaintPolicy.objects.create(
        provider=cw.orgs["P"], organization=cw.orgs["A"], level="major",
        response_minutes=90, resolution_minutes=None)
    html = page(cw.client("admin").get(url("policy-list")))
    assert zh("complaint policies") in html
    ids = [int(pk) for pk in re.findall(r'<tr[^>]*id="policy-(\d+)"', html)]
    defaults = {p.level: p for p in ComplaintPolicy.objects.filter(organization=None)}
    # All customers first, by level; then each customer's own.
    assert ids == [defaults["ordinary"].pk, defaults["urgent"].pk, defaults["major"].pk,
                   customer_policy.pk]
    urgent = row(html, f"policy-{defaults['urgent'].pk}")
    assert zh("Urgent complaint") in urgent and zh("All customers") in urgent
    assert urgent.count(zh("%(h)d h", h=24)) == 2
    assert "中国标准工作日" in urgent
    ordinary = row(html, f"policy-{defaults['ordinary'].pk}")
    assert zh("%(h)d h", h=24) in ordinary and "—" in ordinary
    major_a = row(html, f"policy-{customer_policy.pk}")
    assert "华东制造" in major_a and zh("%(h)d h %(m)d min", h=1, m=30) in major_a
    assert zh("Default calendar") in major_a
    assert url("policy-edit", customer_policy.pk) in major_a


def test_admin_creates_edits_and_deletes_a_policy(cw):
    admin = cw.client("admin")
    form = page(admin.get(url("policy-create")))
    assert zh("All customers") in form and "华东制造" in form
    assert "Customer C" not in form  # another provider's customer
    response = admin.post(url("policy-create"), {
        "level": "urgent", "organization": cw.orgs["A"].pk, "response_minutes": 120,
        "resolution_minutes": 480})
    assert response.status_code == 302
    policy = ComplaintPolicy.objects.get(organization=cw.orgs["A"])
    assert (policy.provider, policy.level, policy.response_minutes,
            policy.resolution_minutes, policy.calendar) == (
        cw.orgs["P"], "urgent", 120, 480, None)
    response = admin.post(url("policy-edit", policy.pk), {
        "level": "urgent", "organization": cw.orgs["A"].pk, "response_minutes": 60,
        "resolution_minutes": ""})
    assert response.status_code == 302
    policy.refresh_from_db()
    assert (policy.response_minutes, policy.resolution_minutes) == (60, None)
    html = page(admin.get(url("policy-list")))
    assert zh("%(h)d h", h=1) in row(html, f"policy-{policy.pk}")
    assert admin.post(url("policy-delete", policy.pk)).status_code == 302
    assert not ComplaintPolicy.objects.filter(pk=policy.pk).exists()


@pytest.mark.parametrize("case", ["no response target", "zero minutes", "not a number",
                                  "second policy for all customers",
                                  "second policy for a customer",
                                  "another provider's customer"])
def test_bad_policy_input_is_shown_on_the_form_and_nothing_is_saved(cw, case):
    ComplaintPolicy.objects.create(provider=cw.orgs["P"], organization=cw.orgs["A"],
                                   level="major", response_minutes=90)
    data = {"level": "major", "organization": "", "response_minutes": 60,
            "resolution_minutes": ""}
    data.update({
        "no response target": {"organization": cw.orgs["B"].pk, "response_minutes": ""},
        "zero minutes": {"organization": cw.orgs["B"].pk, "response_minutes": 0},
        "not a number": {"organization": cw.orgs["B"].pk, "response_minutes": "一小时"},
        "second policy for all customers": {},
        "second policy for a customer": {"organization": cw.orgs["A"].pk},
        "another provider's customer": {"organization": cw.orgs["C"].pk},
    }[case])
    before = list(ComplaintPolicy.objects.order_by("pk").values())
    response = cw.client("admin").post(url("policy-create"), data)
    html = page(response)
    assert response.status_code == 400 and 'id="policy-form"' in html
    assert "invalid-feedback" in html or "alert-danger" in html  # a field's or the form's
    if case == "second policy for all customers":
        assert zh("This level has a policy for all customers already.") in html
    assert list(ComplaintPolicy.objects.order_by("pk").values()) == before


# --- Who reads, who writes ------------------------------------------------------------------


@pytest.mark.parametrize("username", ["qm", "boss", "handler", "auditor"])
def test_managers_read_without_buttons_and_may_not_write(cw, username):
    client = cw.client(username)
    policy = ComplaintPolicy.objects.filter(provider=cw.orgs["P"]).first()
    top = own_cause(cw, "驻场服务")
    for name in ("cause-list", "policy-list"):
        response = client.get(url(name))
        html = page(response)
        assert response.status_code == 200, name
        assert 'id="new-' not in html and "/edit/" not in html
        assert f"· {zh('Read-only')}" not in html  # the badge of shared rows
    home = page(client.get(reverse("home")))
    assert 'id="nav-complaint-causes"' in home and 'id="nav-complaint-policies"' in home
    for name, pk in (("cause", top.pk), ("policy", policy.pk)):
        assert client.get(url(f"{name}-create")).status_code == 403
        assert client.get(url(f"{name}-edit", pk)).status_code == 403
        assert client.post(url(f"{name}-create"), {"name": "x", "level": "urgent",
                                                   "response_minutes": 1}).status_code == 403
        assert client.post(url(f"{name}-delete", pk)).status_code == 403
    assert CauseCategory.objects.filter(pk=top.pk).exists()
    assert ComplaintPolicy.objects.filter(pk=policy.pk).exists()
    assert not CauseCategory.objects.filter(name="x").exists()


@pytest.mark.parametrize("username", ["agent", "lead", "requester_a", "custadmin_a"])
def test_staff_who_do_not_manage_complaints_and_customers_get_404(cw, username):
    client = cw.client(username)
    policy = ComplaintPolicy.objects.filter(provider=cw.orgs["P"]).first()
    top = own_cause(cw, "驻场服务")
    for name, pk in (("cause", top.pk), ("policy", policy.pk)):
        assert client.get(url(f"{name}-list")).status_code == 404
        assert client.get(url(f"{name}-create")).status_code == 404
        assert client.get(url(f"{name}-edit", pk)).status_code == 404
        assert client.post(url(f"{name}-delete", pk)).status_code == 404
    assert 'id="nav-complaint-causes"' not in page(client.get(reverse("home")))
    assert CauseCategory.objects.filter(pk=top.pk).exists()


def test_another_providers_admin_neither_sees_nor_changes_this_providers_rows(cw, admin_q):
    client = cw.client("admin_q")
    top = own_cause(cw, "驻场服务")
    policy = ComplaintPolicy.objects.filter(provider=cw.orgs["P"]).first()
    html = page(client.get(url("cause-list")))
    assert "驻场服务" not in html and cause("响应超时").name in html
    assert f'id="policy-{policy.pk}"' not in page(client.get(url("policy-list")))
    for name, pk in (("cause", top.pk), ("policy", policy.pk)):
        assert client.get(url(f"{name}-edit", pk)).status_code == 404
        assert client.post(url(f"{name}-edit", pk), {
            "name": "hacked", "level": "major", "response_minutes": 1}).status_code == 404
        assert client.post(url(f"{name}-delete", pk)).status_code == 404
    top.refresh_from_db()
    assert top.name == "驻场服务" and ComplaintPolicy.objects.filter(pk=policy.pk).exists()
    # Its own settings are its provider's, not P's.
    response = client.post(url("cause-create"), {"name": "Q 的分类", "order": 0})
    assert response.status_code == 302
    assert CauseCategory.objects.get(name="Q 的分类").provider == cw.orgs["Q"]
    assert "Q 的分类" not in page(cw.client("admin").get(url("cause-list")))


def test_every_settings_route_is_in_the_access_matrix():
    assert set(ROUTES) <= resolver_route_names()
    assert set(ROUTES) <= set(OTHER_ROUTES)


# --- "Complain about this ticket": the complaint form it opens ---------------------------


@pytest.mark.parametrize("ticket_type", ["request", "incident"])
def test_the_complaint_form_about_a_ticket_is_prefilled_and_links_it(cw, ticket_type):
    from itsm.core import services
    from itsm.servicedesk.models import Incident, ServiceRequest

    model = ServiceRequest if ticket_type == "request" else Incident
    ticket = services.create_record(model, actor=cw.requester_a, data={
        "organization": cw.orgs["A"], "requester": cw.requester_a, "title": "邮件无法登录",
        "description": "全部门无法收发邮件"})
    client = cw.client("requester_a")
    create = f"{reverse('complaints:complaint-create')}?about={ticket.number}"
    html = page(client.get(create))
    about = re.search(r'id="complaint-about">(.*?)</p>', html, re.S)
    assert about and ticket.number in about.group(1) and "邮件无法登录" in about.group(1)
    response = client.post(create, {"title": "处理太慢", "description": "三天无人处理"})
    assert response.status_code == 302
    complaint = Complaint.objects.get(title="处理太慢")
    assert [item.other for item in links.linked_records(complaint, cw.requester_a)] == [ticket]
    # Someone who cannot see the ticket gets an empty form, not the ticket.
    html = page(cw.client("requester_b").get(create))
    assert 'id="complaint-about"' not in html and "邮件无法登录" not in html
