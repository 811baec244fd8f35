"""A member signs up, logs out, resets a lost password through the emailed link and logs in with the new one."""

from __future__ import annotations

import re

import pytest

from tests.accounts.conftest import reset_token_from
from tests.conftest import deliver_outbox

pytestmark = pytest.mark.django_db(transaction=True)


def test_sign_up_log_out_reset_password_by_email_and_log_in(page, live_server, smtp_server):
    page.goto("/")
    page.get_by_role("link", name="Sign up").first.click()
    page.get_by_label("Your email").fill("ada@example.org")
    page.get_by_label("Password").fill("first-secret-123")
    page.get_by_label("First name").fill("Ada")
    page.get_by_label("Business or organisation name").fill("Analytical Engines")
    page.get_by_label("Offers").fill("engine design, punch cards")
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_url(re.compile(r"/dashboard$"))
    assert "Signed in as" in page.content()

    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(re.compile(r"/login$"))
    assert "You have been logged out" in page.content()

    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email").fill("ada@example.org")
    page.get_by_role("button", name="Send me a link").click()
    page.wait_for_url(re.compile(r"/login$"))

    deliver_outbox()
    email = smtp_server.wait_for(lambda r: "password" in r.subject.lower())
    link = re.search(r"https?://\S+/password-reset/\S+", email.text).group(0)
    assert link.startswith(live_server.url) and link.endswith(reset_token_from(email.text))
    page.goto(link)
    page.get_by_label("New password", exact=True).fill("second-secret-456")
    page.get_by_label("New password again").fill("second-secret-456")
    page.get_by_role("button", name="Set new password").click()
    page.wait_for_url(re.compile(r"/login$"))

    page.get_by_label("Email").fill("ada@example.org")
    page.get_by_label("Password").fill("first-secret-123")
    page.get_by_role("button", name="Log in").click()
    assert "incorrect" in page.content()

    page.get_by_label("Email").fill("ada@example.org")
    page.get_by_label("Password").fill("second-secret-456")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/dashboard$"))
    assert "Analytical Engines" in page.content()
