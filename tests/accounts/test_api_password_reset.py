"""POST /password-reset and /password-reset/{token}: same answer for unknown emails, single use, expiry."""

from __future__ import annotations

import pytest
from django.core import mail

from mccs.users.models import PasswordResetToken
from tests.accounts.conftest import sent_reset_token
from tests.accounts.test_api_signup_login import errors_of
from tests.conftest import PASSWORD, ApiClient, deliver_outbox

pytestmark = pytest.mark.django_db
NEW = "a-brand-new-secret"


def test_reset_flow_sets_the_password_and_revokes_tokens(api, member, settings):
    settings.BASE_URL = "https://mccs.example.net"
    assert api.post_json("/password-reset", {"email": member.email.upper()}).status_code == 200
    token = sent_reset_token(member.email)
    [message] = [m for m in mail.outbox if "password" in m.subject.lower()]
    assert f"https://mccs.example.net/password-reset/{token}" in message.body
    assert "60 minutes" in message.body

    response = api.post_json(f"/password-reset/{token}", {"password": NEW})
    assert response.status_code == 200
    assert member.api.get_json("/user").status_code == 401
    assert api.post_json("/login", {"email": member.email, "password": NEW}).status_code == 200
    assert api.post_json("/login", {"email": member.email, "password": PASSWORD}).status_code == 400


def test_reset_token_works_once(api, member):
    api.post_json("/password-reset", {"email": member.email})
    token = sent_reset_token(member.email)
    assert api.post_json(f"/password-reset/{token}", {"password": NEW}).status_code == 200
    again = api.post_json(f"/password-reset/{token}", {"password": "yet-another-secret"})
    assert again.status_code == 400
    assert "invalid or has expired" in errors_of(again)[0]
    assert api.post_json("/login", {"email": member.email, "password": NEW}).status_code == 200


def test_reset_token_expires_after_an_hour(api, member, clock):
    api.post_json("/password-reset", {"email": member.email})
    token = sent_reset_token(member.email)
    clock.advance(minutes=61)
    response = api.post_json(f"/password-reset/{token}", {"password": NEW})
    assert response.status_code == 400
    assert "expired" in errors_of(response)[0]


def test_a_new_reset_leaves_older_links_unusable_once_one_is_used(api, member):
    api.post_json("/password-reset", {"email": member.email})
    first = sent_reset_token(member.email)
    api.post_json("/password-reset", {"email": member.email})
    second = sent_reset_token(member.email)
    assert first != second
    assert api.post_json(f"/password-reset/{second}", {"password": NEW}).status_code == 200
    assert api.post_json(f"/password-reset/{first}", {"password": "yet-another-secret"}).status_code == 400


def test_bad_new_password_keeps_the_token_usable(api, member):
    api.post_json("/password-reset", {"email": member.email})
    token = sent_reset_token(member.email)
    refused = api.post_json(f"/password-reset/{token}", {"password": "12345678"})
    assert refused.status_code == 400 and "too common" in errors_of(refused)[0]
    assert api.post_json(f"/password-reset/{token}", {"password": NEW}).status_code == 200


def test_unknown_email_answers_the_same_and_sends_nothing(api, member):
    known = api.post_json("/password-reset", {"email": member.email})
    unknown = api.post_json("/password-reset", {"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 200
    assert known.content == unknown.content
    deliver_outbox()
    assert [m.to for m in mail.outbox if "password" in m.subject.lower()] == [[member.email]]


def test_administrator_addresses_get_no_member_reset(api, admin):
    assert api.post_json("/password-reset", {"email": admin.email}).status_code == 200
    deliver_outbox()
    assert not [m for m in mail.outbox if "password" in m.subject.lower()]


@pytest.mark.parametrize("body", [{}, {"email": ""}, {"email": "not-an-email"}, {"email": 3}])
def test_reset_request_refuses_bad_input(api, body):
    response = api.post_json("/password-reset", body)
    assert response.status_code == 400
    assert errors_of(response)


@pytest.mark.parametrize("token", ["nonsense", "x" * 300])
def test_unknown_reset_token_is_refused(api, member, token):
    response = api.post_json(f"/password-reset/{token}", {"password": NEW})
    assert response.status_code == 400
    assert errors_of(response)


def test_reset_requests_are_capped_so_nobody_can_flood_a_mailbox(api, member):
    for _ in range(8):
        assert api.post_json("/password-reset", {"email": member.email}).status_code == 200
    assert PasswordResetToken.objects.filter(user=member.user).count() == 5


def test_reset_token_is_stored_only_as_a_hash(api, member):
    api.post_json("/password-reset", {"email": member.email})
    token = sent_reset_token(member.email)
    assert not PasswordResetToken.objects.filter(token_hash=token).exists()
    assert ApiClient().post_json(f"/password-reset/{token}", {"password": NEW}).status_code == 200
