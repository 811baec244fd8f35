"""Administrators: /admin/login, logout, password change and reset; tokens never cross sides."""

from __future__ import annotations

import pytest
from django.core import mail

from mccs.audit.models import AuditEntry
from tests.accounts.conftest import reset_token_from
from tests.accounts.test_api_signup_login import errors_of
from tests.conftest import PASSWORD, ApiClient, deliver_outbox

pytestmark = pytest.mark.django_db


def test_admin_login_returns_token_and_previous_login(api, admin):
    first = api.post_json(
        "/admin/login", {"email": admin.email, "password": PASSWORD}, REMOTE_ADDR="192.0.2.1"
    )
    assert first.status_code == 200
    data = first.json()["data"]
    assert data["token"] and data["lastLoginDate"] is None
    second = api.post_json(
        "/admin/login", {"email": admin.email, "password": PASSWORD}, REMOTE_ADDR="192.0.2.2"
    )
    data = second.json()["data"]
    assert data["lastLoginIP"] == "192.0.2.1" and data["lastLoginDate"].endswith("Z")
    assert AuditEntry.objects.filter(action="admin.login").count() == 2


def test_admin_token_is_refused_on_member_endpoints(admin_api):
    # A valid token of the wrong kind is 403; 401 means only "no valid token" (clients sign people out on it).
    for path in ("/user", "/user/entities"):
        response = admin_api.get_json(path)
        assert response.status_code == 403
        assert response.json()["errors"][0]["code"] == "insufficient_scope"
        assert errors_of(response)
    assert admin_api.post_json("/logout").status_code == 403
    assert admin_api.get_json("/entities?querying_entity_id=x").status_code == 403
    assert admin_api.get_json("/admin/users").status_code == 200  # the token itself is still good


def test_member_token_is_refused_on_admin_endpoints(member):
    assert member.api.post_json("/admin/logout").status_code == 403
    assert (
        member.api.post_json("/admin/password-change", {"password": "a-brand-new-secret"}).status_code == 403
    )
    assert member.api.get_json("/user").status_code == 200


def test_no_valid_token_is_401_with_a_bearer_challenge(api, member):
    for token in ("", "not-a-token", member.token + "x"):
        response = api.get_json("/user", HTTP_AUTHORIZATION=f"Bearer {token}")
        assert response.status_code == 401
        assert response.json()["errors"][0]["code"] == "not_authenticated"
        assert response["WWW-Authenticate"] == "Bearer"


def test_each_side_signs_in_only_on_its_own_login(api, admin, member):
    assert api.post_json("/login", {"email": admin.email, "password": PASSWORD}).status_code == 400
    assert api.post_json("/admin/login", {"email": member.email, "password": PASSWORD}).status_code == 400


def test_admin_forged_header_is_401(api, member):
    response = api.post_json("/admin/logout", HTTP_ADMIN="true", HTTP_USERID=str(member.user.pk))
    assert response.status_code == 401


def test_admin_logout_revokes_the_token(admin_api):
    assert admin_api.post_json("/admin/logout").status_code == 200
    assert admin_api.post_json("/admin/logout").status_code == 401


def test_admin_password_change_revokes_tokens(api, admin_api, admin):
    assert admin_api.post_json("/admin/password-change", {"password": "short"}).status_code == 400
    assert admin_api.post_json("/admin/password-change", {"password": "admin-new-secret"}).status_code == 200
    assert admin_api.post_json("/admin/logout").status_code == 401
    assert (
        api.post_json("/admin/login", {"email": admin.email, "password": "admin-new-secret"}).status_code
        == 200
    )


def test_admin_password_reset(api, admin, member):
    assert api.post_json("/admin/password-reset", {"email": admin.email}).status_code == 200
    assert api.post_json("/admin/password-reset", {"email": member.email}).status_code == 200  # same answer
    deliver_outbox()
    [message] = [m for m in mail.outbox if "password" in m.subject.lower()]
    assert message.to == [admin.email]
    token = reset_token_from(message.body)
    # A member-side reset endpoint does not accept an administrator's token, the admin one does.
    assert api.post_json(f"/password-reset/{token}", {"password": "admin-new-secret"}).status_code == 400
    assert (
        api.post_json(f"/admin/password-reset/{token}", {"password": "admin-new-secret"}).status_code == 200
    )
    assert (
        api.post_json("/admin/login", {"email": admin.email, "password": "admin-new-secret"}).status_code
        == 200
    )


def test_admin_login_refuses_bad_input(api):
    response = api.post_json("/admin/login", {"email": "admin@example.org"})
    assert response.status_code == 400
    assert errors_of(response)
    assert ApiClient().post_json("/admin/logout").status_code == 401
