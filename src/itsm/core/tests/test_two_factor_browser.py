"""An administrator's first login in a real browser (Playwright driving Debian's
chromium): two-factor authentication is required, so the browser lands on the set-up
page; the test reads the secret shown there (as a person types it into an app), confirms
with a code, keeps the backup codes, logs out, and logs in again with password and code.
"""

from __future__ import annotations

import base64
from urllib.parse import urlsplit

import pytest
from django_otp.oath import totp

from itsm.conftest import PASSWORD
from itsm.servicedesk.tests.test_browser import CHROMIUM, Page, browser  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium (/usr/bin/chromium) "
                       "is not installed; apt-get install chromium to run browser tests"),
]


@pytest.fixture
def admin_world(transactional_db, live_server, settings, world):
    settings.ITSM_2FA_REQUIRED_ROLES = ["administrator"]
    return world


def app_code(secret_text: str, steps: int = 0) -> str:
    """What an authenticator app shows for the secret typed in by hand."""
    key = base64.b32decode(secret_text.replace(" ", ""))
    return f"{totp(key, drift=steps):06d}"


def test_administrator_sets_up_two_factor_at_first_login(admin_world, live_server, browser):  # noqa: F811
    admin = Page(browser, live_server.url)
    page = admin.page

    # --- first login: password only, then nothing but the set-up page
    admin.login("admin")
    assert urlsplit(page.url).path == "/accounts/two-factor/setup/"
    assert page.locator("#two-factor-required").count() == 1
    assert page.locator("#qr-code svg").count() == 1  # drawn inline, nothing fetched
    admin.goto("/admin/")
    assert urlsplit(page.url).path == "/accounts/two-factor/setup/"
    secret = page.inner_text("#totp-secret")

    page.fill("#id_code", app_code(secret, -1))
    with page.expect_navigation():
        page.click("#confirm-setup")
    codes = page.locator("#backup-codes li").all_inner_texts()
    assert len(codes) == 10
    with page.expect_navigation():
        page.click("#backup-codes-done")
    assert urlsplit(page.url).path == "/admin/"  # where they were going
    admin.goto("/accounts/security/")
    assert page.get_attribute("#two-factor-status", "data-enabled") == "1"

    # --- log out, and in again: password, then the code of the app
    page.click("#user-menu-toggle")
    with page.expect_navigation():
        page.click("#logout")
    admin.login("admin")
    assert urlsplit(page.url).path == "/accounts/two-factor/verify/"
    admin.goto("/requests/")  # not logged in until the code is entered
    assert urlsplit(page.url).path == "/accounts/login/"
    page.fill("#id_username", "admin")
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    page.fill("#id_code", app_code(secret))
    with page.expect_navigation():
        page.click("#verify-code")
    assert urlsplit(page.url).path == "/requests/"
    admin.goto("/admin/")
    assert urlsplit(page.url).path == "/admin/"
    assert admin.foreign_requests() == []
    assert admin.failed == []
    assert admin.console_errors == []
    admin.close()
