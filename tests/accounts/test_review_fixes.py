"""Accounts behaviour found in review: proxy addresses, demoted administrators, createadmin as a rescue."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from mccs.core.client_ip import client_ip
from mccs.users.models import LoginFailure, User
from mccs.users.services import admin_create_or_reset
from tests.conftest import ApiClient


@pytest.mark.parametrize(
    ("forwarded", "expected"),
    [
        ("203.0.113.9", "203.0.113.9"),
        ("1.2.3.4, 203.0.113.9", "203.0.113.9"),  # the client wrote 1.2.3.4; the proxy appended the truth
        ("not-an-address", "10.0.0.1"),
        ("x" * 500, "10.0.0.1"),
    ],
)
def test_forwarded_address_is_the_one_the_proxy_appended(settings, forwarded, expected):
    settings.MCCS_TRUST_X_FORWARDED_FOR = True
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


def test_forwarded_header_is_ignored_unless_trusted(settings):
    settings.MCCS_TRUST_X_FORWARDED_FOR = False
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert client_ip(request) == "10.0.0.1"


def test_a_demoted_administrators_token_stops_working(admin_api, admin):
    assert admin_api.get_json("/admin/users").status_code == 200
    User.objects.filter(pk=admin.pk).update(is_staff=False)
    assert admin_api.get_json("/admin/users").status_code == 401


def test_createadmin_reactivates_and_lifts_the_throttle(admin):
    User.objects.filter(pk=admin.pk).update(is_active=False)
    for _ in range(12):
        LoginFailure.objects.create(email=admin.email, ip="10.0.0.1", at=admin.date_joined)
    LoginFailure.objects.update(at=admin.date_joined.now(tz=admin.date_joined.tzinfo))
    admin_create_or_reset(email=admin.email, password="another-good-password")
    response = ApiClient().post_json(
        "/admin/login", {"email": admin.email, "password": "another-good-password"}
    )
    assert response.status_code == 200, response.content


def test_website_that_grows_past_its_limit_with_the_scheme_is_refused(member):
    response = member.api.patch_json(f"/user/entities/{member.entity.pk}", {"website": "a" * 246 + ".org"})
    assert response.status_code == 400
    assert "at most 255" in response.json()["errors"][0]["message"]


@pytest.mark.parametrize("value", ["2024-02-30", "2024-05-31T25:00"])
def test_impossible_dates_in_the_log_search_are_a_400(admin_api, value):
    response = admin_api.get_json(f"/admin/logs?date_from={value}")
    assert response.status_code == 400, response.content


def test_guessing_the_current_password_is_throttled_like_sign_in(member, settings):
    from django.test import Client

    settings.MCCS_LOGIN_FAILURE_LIMIT = 3
    web = Client()
    web.force_login(member.user)
    body = {
        "current_password": "wrong-guess",
        "password": "a-new-good-password",
        "password_again": "a-new-good-password",
    }
    for _ in range(3):
        assert "not correct" in web.post("/password-change", body).content.decode()
    body["current_password"] = member.password  # even the right one is refused until the window passes
    page = web.post("/password-change", body).content.decode()
    assert "Too many failed sign-in attempts" in page
    user = User.objects.get(pk=member.user.pk)
    assert user.check_password(member.password)


def test_a_member_refused_by_the_django_admin_site_is_not_recorded_as_signed_in(member):
    from django.test import Client

    from mccs.audit.models import AuditEntry

    before = User.objects.get(pk=member.user.pk).last_login
    response = Client().post(
        "/django-admin/login/",
        {"username": member.email, "password": member.password, "next": "/django-admin/"},
    )
    assert response.status_code == 200  # the form says this account cannot use the admin site
    assert User.objects.get(pk=member.user.pk).last_login == before
    assert not AuditEntry.objects.filter(action="user.login", user_id=str(member.user.pk)).exists()


def test_a_web_sign_in_is_recorded_once(member, client):
    from mccs.audit.models import AuditEntry

    response = client.post("/login", {"email": member.email, "password": member.password})
    assert response.status_code == 302, response.content[:300]
    assert AuditEntry.objects.filter(action="user.login", user_id=str(member.user.pk)).count() == 1
    assert User.objects.get(pk=member.user.pk).last_login is not None


def test_expired_tokens_and_old_reset_links_are_pruned(member):
    import datetime

    from mccs.users.models import AuthToken, PasswordResetToken
    from mccs.users.tokens import tokens_prune

    live = AuthToken.objects.get(user=member.user)
    past = live.expires_at - datetime.timedelta(days=30)
    AuthToken.objects.create(key_hash="0" * 64, user=member.user, scope="member", expires_at=past)
    PasswordResetToken.objects.create(token_hash="1" * 64, user=member.user, expires_at=past)
    assert tokens_prune() == 2
    assert list(AuthToken.objects.all()) == [live]
    assert member.api.get_json("/user").status_code == 200


def test_one_smtp_connection_serves_a_whole_batch(smtp_server, make_member):
    from tests.conftest import deliver_outbox

    for _ in range(3):
        make_member()  # three welcome emails
    assert deliver_outbox() == 3
    smtp_server.wait_for(lambda r: True)
    assert len(smtp_server.received) == 3
