"""Changing a password needs the current one, and the owner always hears of a change (issue 8, item 10).

``POST /password-change`` needed only a bearer token, so a stolen token could take the account over for good.
Now it needs ``currentPassword``; wrong guesses count towards the sign-in throttle (429); and every path that
changes a password — API, web page, reset link, ``mccs createadmin`` — emails the account's own address.
"""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client

from mccs.users.services import admin_create_or_reset
from tests.accounts.conftest import sent_reset_token
from tests.conftest import PASSWORD, ApiClient, deliver_outbox

NEW = "a-brand-new-secret-phrase"


def changed_notices(address: str) -> list:
    deliver_outbox()
    return [m for m in mail.outbox if m.to == [address] and "password was changed" in m.subject]


@pytest.mark.parametrize(
    ("path", "who"), [("/password-change", "member"), ("/admin/password-change", "admin")]
)
def test_a_token_alone_cannot_change_the_password(request, api, path, who):
    if who == "member":
        client, email = request.getfixturevalue("member").api, request.getfixturevalue("member").email
    else:
        client, email = request.getfixturevalue("admin_api"), request.getfixturevalue("admin").email
    missing = client.post_json(path, {"password": NEW})
    assert missing.status_code == 400, missing.content
    assert missing.json()["errors"][0]["field"] == "currentPassword"
    wrong = client.post_json(path, {"currentPassword": "not-my-password", "password": NEW})
    assert wrong.status_code == 400
    assert wrong.json()["errors"][0]["field"] == "currentPassword"
    assert client.post_json(path.replace("password-change", "logout")).status_code == 200  # token still valid
    login = "/admin/login" if who == "admin" else "/login"
    assert api.post_json(login, {"email": email, "password": PASSWORD}).status_code == 200  # unchanged
    assert changed_notices(email) == []


def test_wrong_current_passwords_are_throttled_like_sign_ins(member, settings):
    settings.MCCS_LOGIN_FAILURE_LIMIT = 3
    for _ in range(3):
        body = {"currentPassword": "guess-guess-guess", "password": NEW}
        assert member.api.post_json("/password-change", body).status_code == 400
    throttled = member.api.post_json("/password-change", {"currentPassword": PASSWORD, "password": NEW})
    assert throttled.status_code == 429
    assert int(throttled["Retry-After"]) > 0
    assert throttled.json()["errors"][0]["code"] == "throttled"
    assert ApiClient().post_json("/login", {"email": member.email, "password": PASSWORD}).status_code == 429


def test_a_change_with_the_current_password_works_and_tells_the_member(api, member):
    response = member.api.post_json("/password-change", {"currentPassword": PASSWORD, "password": NEW})
    assert response.status_code == 200, response.content
    assert member.api.get_json("/user").status_code == 401
    assert api.post_json("/login", {"email": member.email, "password": NEW}).status_code == 200
    [notice] = changed_notices(member.email)
    assert member.email in notice.body and "password-reset" in notice.body
    assert NEW not in notice.body and PASSWORD not in notice.body


def test_the_administrator_is_told_too(admin_api, admin):
    body = {"currentPassword": PASSWORD, "password": NEW}
    assert admin_api.post_json("/admin/password-change", body).status_code == 200
    assert len(changed_notices(admin.email)) == 1


def test_a_reset_link_tells_the_member(api, member):
    api.post_json("/password-reset", {"email": member.email})
    token = sent_reset_token(member.email)
    assert api.post_json(f"/password-reset/{token}", {"password": NEW}).status_code == 200
    [notice] = changed_notices(member.email)
    assert "was reset" in notice.body


def test_the_web_page_tells_the_member(member):
    web = Client()
    web.force_login(member.user)
    web.post("/password-change", {"current_password": PASSWORD, "password": NEW, "password_again": NEW})
    assert len(changed_notices(member.email)) == 1


def test_createadmin_reset_tells_the_administrator(admin):
    admin_create_or_reset(email=admin.email, password=NEW)  # what `mccs createadmin` calls
    [notice] = changed_notices(admin.email)
    assert re.search(r"reset with mccs createadmin", notice.body)


def test_django_admin_password_form_goes_through_the_service(admin):
    web = Client()
    web.force_login(admin)
    response = web.get("/django-admin/password_change/")
    assert response.status_code == 302 and response["Location"] == "/password-change"
