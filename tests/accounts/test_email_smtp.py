"""Emails through a real SMTP server on loopback; an outage delays mail but loses none."""

from __future__ import annotations

import pytest

from mccs.notifications.models import OutboxEmail
from mccs.notifications.worker import backoff_seconds
from tests.accounts.conftest import SIGNUP, reset_token_from
from tests.conftest import ApiClient, deliver_outbox

pytestmark = pytest.mark.django_db


def test_welcome_email_reaches_the_smtp_server(api, smtp_server):
    assert api.post_json("/signup", SIGNUP).status_code == 200
    assert deliver_outbox() == 1
    received = smtp_server.wait_for(lambda r: "ada@example.org" in r.envelope_to)
    assert "Welcome to MCCS" in received.subject
    assert "account number" in received.text
    assert "Analytical Engines" not in received.text  # the signer's text stays out (issue 8, item 5)
    assert OutboxEmail.objects.get().sent_at is not None


def test_reset_email_reaches_the_smtp_server_and_its_link_works(api, member, smtp_server):
    api.post_json("/password-reset", {"email": member.email})
    deliver_outbox()
    received = smtp_server.wait_for(lambda r: "password" in r.subject.lower())
    assert received.envelope_to == [member.email]
    token = reset_token_from(received.text)
    assert (
        ApiClient().post_json(f"/password-reset/{token}", {"password": "a-brand-new-secret"}).status_code
        == 200
    )


def test_an_email_sent_during_an_outage_arrives_after_the_server_returns(api, smtp_server, clock):
    smtp_server.stop()
    assert api.post_json("/signup", SIGNUP).status_code == 200  # the sign-up itself does not fail

    assert deliver_outbox() == 0
    email = OutboxEmail.objects.get()
    assert email.sent_at is None and email.attempts == 1 and email.last_error
    assert email.next_attempt_at > clock.now()

    smtp_server.start()  # same port
    # Back-off is respected: nothing is retried before its time, even though the server is back.
    assert deliver_outbox() == 0
    assert smtp_server.received == []

    clock.advance(seconds=backoff_seconds(1) + 1)
    assert deliver_outbox() == 1
    received = smtp_server.wait_for(lambda r: "ada@example.org" in r.envelope_to)
    assert "Welcome" in received.subject
    email.refresh_from_db()
    assert email.sent_at is not None and email.attempts == 2 and email.last_error == ""
    # Sent once, never again.
    clock.advance(minutes=5)
    assert deliver_outbox() == 0
    assert len(smtp_server.received) == 1


def test_backoff_grows_with_each_failure_and_is_capped(api, smtp_server, clock):
    smtp_server.stop()
    api.post_json("/signup", SIGNUP)
    delays = []
    for _ in range(8):
        clock.advance(minutes=2)
        before = clock.now()
        deliver_outbox()
        delays.append(round((OutboxEmail.objects.get().next_attempt_at - before).total_seconds()))
    assert delays == [1, 2, 4, 8, 16, 32, 60, 60]
    smtp_server.start()
    clock.advance(minutes=2)
    assert deliver_outbox() == 1


def test_one_smtp_connection_serves_a_whole_batch(smtp_server, make_member):
    from tests.conftest import deliver_outbox

    for _ in range(3):
        make_member()  # three welcome emails
    assert deliver_outbox() == 3
    smtp_server.wait_for(lambda r: True)
    assert len(smtp_server.received) == 3
