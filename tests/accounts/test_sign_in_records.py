"""Sign-in records and credentials: a demoted administrator's token, createadmin as a rescue, password guessing
throttled, sign-ins recorded once (and not when the Django admin site refuses), stale tokens pruned."""

from __future__ import annotations

from mccs.users.models import LoginFailure, User
from mccs.users.services import admin_create_or_reset
from tests.conftest import ApiClient


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
