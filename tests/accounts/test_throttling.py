"""Failed sign-ins are throttled per account and per address, for members and administrators, on every door."""

from __future__ import annotations

import pytest
from django.test import Client

from mccs.users.models import LoginFailure
from tests.accounts.test_api_signup_login import errors_of
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db
WRONG = "wrong-password-1"


def fail(api, path, email, times, ip="198.51.100.1"):
    for _ in range(times):
        response = api.post_json(path, {"email": email, "password": WRONG}, REMOTE_ADDR=ip)
        assert response.status_code == 400, response.content


@pytest.mark.parametrize("side", ["member", "admin"])
def test_ten_failures_on_one_account_give_429_even_with_the_right_password(api, request, side):
    user_email = (
        request.getfixturevalue("member").email
        if side == "member"
        else request.getfixturevalue("admin").email
    )
    path = "/login" if side == "member" else "/admin/login"
    fail(api, path, user_email, 10)
    # From another address, with the right password: the account is still protected.
    response = api.post_json(path, {"email": user_email, "password": PASSWORD}, REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 429
    [message] = errors_of(response)
    assert "Too many failed sign-in attempts" in message and "15 minutes" in message
    assert 0 < int(response["Retry-After"]) <= 900


@pytest.mark.parametrize("path", ["/login", "/admin/login"])
def test_failures_from_one_address_across_accounts_give_429(api, settings, path):
    settings.MCCS_LOGIN_FAILURE_LIMIT = 4
    for i in range(4):
        fail(api, path, f"guess{i}@example.org", 1, ip="198.51.100.7")
    response = api.post_json(
        path, {"email": "guess9@example.org", "password": WRONG}, REMOTE_ADDR="198.51.100.7"
    )
    assert response.status_code == 429
    # Another address is not affected.
    other = api.post_json(
        path, {"email": "guess9@example.org", "password": WRONG}, REMOTE_ADDR="198.51.100.8"
    )
    assert other.status_code == 400


def test_a_forwarded_for_header_does_not_dodge_the_address_limit(api, settings):
    settings.MCCS_LOGIN_FAILURE_LIMIT = 3
    for i in range(3):
        api.post_json(
            "/login", {"email": f"g{i}@example.org", "password": WRONG}, HTTP_X_FORWARDED_FOR=f"10.0.0.{i}"
        )
    response = api.post_json(
        "/login", {"email": "g9@example.org", "password": WRONG}, HTTP_X_FORWARDED_FOR="10.9.9.9"
    )
    assert response.status_code == 429


def test_throttle_lifts_after_the_window(api, member, settings, clock):
    settings.MCCS_LOGIN_FAILURE_LIMIT = 3
    fail(api, "/login", member.email, 3)
    assert api.post_json("/login", {"email": member.email, "password": PASSWORD}).status_code == 429
    clock.advance(minutes=15, seconds=1)
    assert api.post_json("/login", {"email": member.email, "password": PASSWORD}).status_code == 200


def test_success_clears_the_accounts_failures(api, member, settings):
    settings.MCCS_LOGIN_FAILURE_LIMIT = 3
    fail(api, "/login", member.email, 2)
    assert api.post_json("/login", {"email": member.email, "password": PASSWORD}).status_code == 200
    assert not LoginFailure.objects.filter(email=member.email).exists()
    fail(api, "/login", member.email, 2, ip="198.51.100.99")
    assert api.post_json("/login", {"email": member.email, "password": PASSWORD}).status_code == 200


def test_web_and_api_share_the_count(api, member, settings):
    settings.MCCS_LOGIN_FAILURE_LIMIT = 3
    web = Client(REMOTE_ADDR="198.51.100.50")
    for _ in range(2):
        response = web.post("/login", {"email": member.email, "password": WRONG})
        assert response.status_code == 200 and b"incorrect" in response.content
    fail(api, "/login", member.email, 1)
    response = web.post("/login", {"email": member.email, "password": PASSWORD})
    assert response.status_code == 429
    assert b"Too many failed sign-in attempts" in response.content
    assert "_auth_user_id" not in web.session


def test_django_admin_sign_in_is_throttled(api, admin, settings):
    settings.MCCS_LOGIN_FAILURE_LIMIT = 3
    fail(api, "/admin/login", admin.email, 3)
    browser = Client()
    response = browser.post("/django-admin/login/", {"username": admin.email, "password": PASSWORD})
    assert response.status_code == 200
    assert b"Too many failed sign-in attempts" in response.content
    assert "_auth_user_id" not in browser.session
    # Failed Django-admin attempts count too.
    LoginFailure.objects.all().delete()
    for _ in range(3):
        browser.post("/django-admin/login/", {"username": admin.email, "password": WRONG})
    assert api.post_json("/admin/login", {"email": admin.email, "password": PASSWORD}).status_code == 429


def test_django_admin_sign_in_works_for_administrators(admin):
    browser = Client()
    response = browser.post("/django-admin/login/", {"username": admin.email.upper(), "password": PASSWORD})
    assert response.status_code == 302
    assert browser.get("/django-admin/").status_code == 200
    assert browser.get("/django-admin/users/user/").status_code == 200
