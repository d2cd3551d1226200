"""The optional LDAP / Active Directory login against a real OpenLDAP server (Debian's
slapd, started for this module on a free port with a directory of its own): a person
of the directory logs in through the login form with their directory password, becomes
a person of the configured organization with the roles of their directory groups (by
their Chinese names on the page), loses a role when they leave its group, cannot log in
with a wrong password or once deactivated in ITSM; without the organization nobody is
let in half made. The settings come from ``ITSM_LDAP_*`` as in production."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.test import Client, override_settings

from itsm.core.choices import Role
from itsm.core.models import AuditEntry

SLAPD = Path("/usr/sbin/slapd")
LDAPADD = shutil.which("ldapadd") or "/usr/bin/ldapadd"
SUFFIX = "dc=example,dc=cn"
ADMIN_DN, ADMIN_PASSWORD = f"cn=admin,{SUFFIX}", "directory-secret"
PERSON_PASSWORD = "LDAP-pass-2026"

pytestmark = [
    pytest.mark.skipif(not SLAPD.exists(), reason="Debian slapd is not installed "
                       "(scripts/ensure-system-packages.sh slapd)"),
    pytest.mark.django_db,
]
ldap = pytest.importorskip("ldap")

CONFIG = """
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
pidfile {dir}/slapd.pid
modulepath /usr/lib/ldap
moduleload back_mdb
database mdb
maxsize 10485760
suffix "{suffix}"
rootdn "{admin}"
rootpw {password}
directory {dir}/data
"""

LDIF = f"""dn: {SUFFIX}
objectClass: dcObject
objectClass: organization
dc: example
o: Example

dn: ou=people,{SUFFIX}
objectClass: organizationalUnit
ou: people

dn: ou=groups,{SUFFIX}
objectClass: organizationalUnit
ou: groups

dn: uid=zhangsan,ou=people,{SUFFIX}
objectClass: inetOrgPerson
uid: zhangsan
cn: 张三
sn: 张
givenName: 三
mail: zhangsan@example.cn
userPassword: {PERSON_PASSWORD}

dn: uid=lisi,ou=people,{SUFFIX}
objectClass: inetOrgPerson
uid: lisi
cn: 李四
sn: 李
givenName: 四
mail: lisi@example.cn
userPassword: {PERSON_PASSWORD}

dn: cn=itsm-agents,ou=groups,{SUFFIX}
objectClass: groupOfNames
cn: itsm-agents
member: uid=zhangsan,ou=people,{SUFFIX}
member: uid=lisi,ou=people,{SUFFIX}

dn: cn=itsm-cab,ou=groups,{SUFFIX}
objectClass: groupOfNames
cn: itsm-cab
member: uid=zhangsan,ou=people,{SUFFIX}
member: {ADMIN_DN}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def directory_server(tmp_path_factory):
    """A slapd of this module's own, filled with two people and two groups."""
    root = tmp_path_factory.mktemp("slapd")
    (root / "data").mkdir()
    config = root / "slapd.conf"
    config.write_text(CONFIG.format(dir=root, suffix=SUFFIX, admin=ADMIN_DN,
                                    password=ADMIN_PASSWORD))
    uri = f"ldap://127.0.0.1:{free_port()}"
    subprocess.run([str(SLAPD), "-f", str(config), "-h", uri], check=True,
                   capture_output=True, timeout=30)
    try:
        for _ in range(50):
            added = subprocess.run(
                [LDAPADD, "-x", "-H", uri, "-D", ADMIN_DN, "-w", ADMIN_PASSWORD],
                input=LDIF.encode(), capture_output=True, timeout=30)
            if added.returncode == 0:
                break
            time.sleep(0.2)
        assert added.returncode == 0, added.stderr
        yield uri
    finally:
        pid = root / "slapd.pid"
        if pid.exists():
            os.kill(int(pid.read_text().strip()), signal.SIGTERM)


@pytest.fixture
def ldap_login(directory_server, world):
    """The settings ``ITSM_LDAP_*`` give (itsm.settings.ldap_settings), in force."""
    from itsm.settings import ldap_settings

    values = ldap_settings({
        "ITSM_LDAP_URI": directory_server, "ITSM_LDAP_BIND_DN": ADMIN_DN,
        "ITSM_LDAP_BIND_PASSWORD": ADMIN_PASSWORD,
        "ITSM_LDAP_USER_BASE": f"ou=people,{SUFFIX}",
        "ITSM_LDAP_ORGANIZATION": world.orgs["P"].code,
        "ITSM_LDAP_GROUP_BASE": f"ou=groups,{SUFFIX}",
        "ITSM_LDAP_ROLE_GROUPS": f"agent=cn=itsm-agents,ou=groups,{SUFFIX};"
                                 f"cab_member=cn=itsm-cab,ou=groups,{SUFFIX}"})
    with override_settings(**values):
        yield world


def log_in(username: str, password: str = PERSON_PASSWORD) -> Client:
    client = Client()
    response = client.post("/accounts/login/", {"username": username, "password": password})
    client.status = response.status_code
    return client


def test_a_directory_person_logs_in_with_the_roles_of_their_groups(ldap_login):
    client = log_in("zhangsan")
    assert client.status == 302
    person = get_user_model().objects.get(username="zhangsan")
    assert (person.last_name, person.first_name, person.email) == ("张", "三",
                                                                    "zhangsan@example.cn")
    assert person.profile.organization == ldap_login.orgs["P"]
    assert sorted(person.groups.values_list("name", flat=True)) == [Role.AGENT,
                                                                     Role.CAB_MEMBER]
    assert not person.has_usable_password()  # the directory keeps the password
    assert AuditEntry.objects.filter(object_type="auth.user", object_id=str(person.pk),
                                     action="create").exists()
    home = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'id="widget-awaiting-my-vote"' in home  # a CAB member's home page


def test_roles_follow_the_groups_and_wrong_passwords_fail(ldap_login, directory_server):
    assert log_in("zhangsan", "wrong").status == 200  # the form again, not logged in
    assert log_in("nobody").status == 200
    assert log_in("zhangsan").status == 302
    # zhangsan leaves the CAB group in the directory: the next login drops the role
    conn = ldap.initialize(directory_server)
    conn.simple_bind_s(ADMIN_DN, ADMIN_PASSWORD)
    conn.modify_s(f"cn=itsm-cab,ou=groups,{SUFFIX}", [
        (ldap.MOD_DELETE, "member", [f"uid=zhangsan,ou=people,{SUFFIX}".encode()])])
    try:
        assert log_in("zhangsan").status == 302
        person = get_user_model().objects.get(username="zhangsan")
        assert list(person.groups.values_list("name", flat=True)) == [Role.AGENT]
        # deactivated in ITSM: the directory password no longer lets them in
        person.is_active = False
        person.save()
        assert log_in("zhangsan").status == 200
    finally:
        conn.modify_s(f"cn=itsm-cab,ou=groups,{SUFFIX}", [
            (ldap.MOD_ADD, "member", [f"uid=zhangsan,ou=people,{SUFFIX}".encode()])])
        conn.unbind_s()


def test_without_its_organization_nobody_is_let_in_half_made(ldap_login):
    with override_settings(ITSM_LDAP_ORGANIZATION="no-such-org"):
        assert log_in("lisi").status == 200
    assert not get_user_model().objects.filter(username="lisi").exists()
