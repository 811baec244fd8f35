"""A permanent SMTP refusal (5xx) is given up after a bounded number of attempts and kept as failed where an
administrator sees it and can send it again; temporary refusals (4xx) and outages are retried with back-off for as
long as it takes (issue 8, item 12). Through a real SMTP server on loopback."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.test import Client

from mccs.notifications.models import OutboxEmail
from mccs.notifications.worker import backoff_seconds
from tests.accounts.conftest import SIGNUP
from tests.conftest import deliver_outbox

pytestmark = pytest.mark.django_db


def attempt(clock) -> OutboxEmail:
    """Wait for the next attempt to be due, run the worker once, and return the email as it then is."""
    email = OutboxEmail.objects.get()
    if email.next_attempt_at > clock.now():
        clock.advance(seconds=(email.next_attempt_at - clock.now()).total_seconds() + 1)
    deliver_outbox()
    return OutboxEmail.objects.get()


def admin_browser(admin) -> Client:
    browser = Client()
    browser.force_login(admin)
    return browser


@pytest.mark.parametrize(
    "refusal",
    [
        ("refuse_recipients", "550 5.1.1 No such user here"),
        ("refuse_data", "554 5.7.1 Message refused as spam"),
    ],
)
def test_a_permanent_refusal_is_given_up_and_an_administrator_sends_it_again(
    api, smtp_server, clock, admin, refusal
):
    where, answer = refusal
    setattr(smtp_server.handler, where, answer)
    assert api.post_json("/signup", SIGNUP).status_code == 200

    limit = django_settings.MCCS_EMAIL_MAX_ATTEMPTS
    assert limit == 3  # the documented default
    for n in range(1, limit):
        email = attempt(clock)
        assert email.attempts == n and email.failed_at is None and email.sent_at is None
    email = attempt(clock)
    assert email.attempts == limit and email.failed_at is not None and email.sent_at is None
    assert answer.split()[0] in email.last_error

    # Given up: the worker leaves it alone, however long it waits.
    clock.advance(days=2)
    assert deliver_outbox() == 0
    assert OutboxEmail.objects.get().attempts == limit

    browser = admin_browser(admin)
    page = browser.get("/admin/emails").content.decode()
    assert "1 failed email" in page and "ada@example.org" in page and answer.split()[0] in page
    assert "Welcome to MCCS" in page

    setattr(smtp_server.handler, where, None)  # the administrator fixed the cause
    response = browser.post(f"/admin/emails/{email.pk}/retry", follow=True)
    assert response.status_code == 200
    assert "will be sent again" in response.content.decode()
    assert deliver_outbox() == 1
    received = smtp_server.wait_for(lambda r: "ada@example.org" in r.envelope_to)
    assert "Welcome" in received.subject
    email.refresh_from_db()
    assert email.sent_at is not None and email.failed_at is None
    assert "0 failed emails" in browser.get("/admin/emails").content.decode()


def test_temporary_refusals_and_outages_are_retried_with_back_off_until_they_pass(api, smtp_server, clock):
    smtp_server.handler.refuse_recipients = "451 4.3.0 Mailbox busy, try again later"
    api.post_json("/signup", SIGNUP)
    limit = django_settings.MCCS_EMAIL_MAX_ATTEMPTS
    for n in range(1, limit + 3):
        before = clock.now()
        email = attempt(clock)
        assert email.attempts == n and email.failed_at is None and "451" in email.last_error
        assert email.next_attempt_at > before  # not hammered
    smtp_server.stop()  # then the server is down for a while: connection refused
    for _ in range(3):
        email = attempt(clock)
        assert email.failed_at is None and email.sent_at is None
    assert round((email.next_attempt_at - clock.now()).total_seconds()) == backoff_seconds(email.attempts)
    smtp_server.handler.refuse_recipients = None
    smtp_server.start()
    email = attempt(clock)
    assert email.sent_at is not None and email.failed_at is None
    smtp_server.wait_for(lambda r: "ada@example.org" in r.envelope_to)


def test_the_emails_page_shows_what_is_being_retried_and_is_for_administrators_only(
    api, smtp_server, clock, admin, member
):
    smtp_server.handler.refuse_recipients = "451 4.7.1 Greylisted"
    api.post_json("/signup", SIGNUP)
    OutboxEmail.objects.exclude(to=["ada@example.org"]).delete()
    attempt(clock)
    page = admin_browser(admin).get("/admin/emails").content.decode()
    assert "1 email being retried" in page and "Greylisted" in page and "0 failed emails" in page

    # Members cannot see or retry; signed-out visitors are sent to sign in.
    other = Client()
    other.force_login(member.user)
    email = OutboxEmail.objects.get()
    assert other.get("/admin/emails").status_code == 403
    assert other.post(f"/admin/emails/{email.pk}/retry").status_code == 403
    assert Client().get("/admin/emails").status_code == 302


def test_retrying_an_email_that_is_not_failed_changes_nothing(api, admin, smtp_server):
    api.post_json("/signup", SIGNUP)
    email = OutboxEmail.objects.get()
    browser = admin_browser(admin)
    page = browser.post(f"/admin/emails/{email.pk}/retry", follow=True).content.decode()
    assert "is not failed" in page
    assert deliver_outbox() == 1
    page = browser.post(f"/admin/emails/{email.pk}/retry", follow=True).content.decode()
    assert "is not failed" in page
    assert deliver_outbox() == 0
    assert len(smtp_server.received) == 1


def test_the_admin_api_lists_failed_emails_and_sends_one_again(api, smtp_server, clock, admin_api):
    smtp_server.handler.refuse_recipients = "550 5.1.1 No such user here"
    api.post_json("/signup", SIGNUP)
    for _ in range(django_settings.MCCS_EMAIL_MAX_ATTEMPTS):
        email = attempt(clock)
    assert email.failed_at is not None
    assert admin_api.get_json("/admin/emails?status=retrying").json()["data"] == []
    body = admin_api.get_json("/admin/emails").json()
    [item] = body["data"]
    assert body["meta"]["numberOfResults"] == 1
    assert item["id"] == email.pk and item["to"] == ["ada@example.org"] and item["attempts"] == 3
    assert item["subject"] == "Welcome to MCCS" and "550" in item["lastError"] and item["failedAt"]

    smtp_server.handler.refuse_recipients = None
    assert admin_api.post_json(f"/admin/emails/{email.pk}/retry").status_code == 200
    conflict = admin_api.post_json(f"/admin/emails/{email.pk}/retry")
    assert conflict.status_code == 409 and conflict.json()["errors"][0]["code"] == "conflict"
    assert admin_api.get_json("/admin/emails").json()["data"] == []
    assert deliver_outbox() == 1
    smtp_server.wait_for(lambda r: "ada@example.org" in r.envelope_to)
