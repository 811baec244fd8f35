"""POST /signup, /login, /logout and the bearer token's life: expiry, revocation, forged headers."""

from __future__ import annotations

import pytest
from django.core import mail

from mccs.audit.models import AuditEntry
from mccs.directory.models import Entity
from mccs.users.models import AuthToken, User
from tests.accounts.conftest import SIGNUP
from tests.conftest import PASSWORD, ApiClient, deliver_outbox

pytestmark = pytest.mark.django_db


def errors_of(response) -> list[str]:
    body = response.json()
    assert set(body) == {"errors"}, body
    messages = [e["message"] for e in body["errors"]]
    assert messages and all(isinstance(m, str) and m for m in messages)
    return messages


def test_signup_creates_user_entity_and_a_working_token(api):
    response = api.post_json("/signup", SIGNUP)
    assert response.status_code == 200, response.content
    data = response.json()["data"]
    assert set(data) == {"userID", "entityID", "token"}
    user = User.objects.get(pk=data["userID"])
    entity = Entity.objects.get(pk=data["entityID"])
    assert user.email == "ada@example.org" and user.first_name == "Ada"
    assert list(entity.users.all()) == [user]
    assert entity.name == "Analytical Engines" and entity.status == "pending"
    assert entity.offers == ["engine-design"] and entity.wants == ["brass-gears"]
    assert entity.email == "ada@example.org"  # defaults to the user's address

    me = ApiClient(data["token"]).get_json("/user")
    assert me.status_code == 200 and me.json()["data"]["email"] == "ada@example.org"
    # Signing up signs in (the answer carries a token), as the web sign-up does: the alpha's User has a date here.
    assert isinstance(me.json()["data"]["lastLoginDate"], str), me.json()
    assert AuditEntry.objects.filter(action="user.signup", user_id=user.pk).exists()


def test_signup_queues_a_welcome_email_in_the_same_transaction(api):
    api.post_json("/signup", SIGNUP)
    assert deliver_outbox() == 1
    [message] = mail.outbox
    assert message.to == ["ada@example.org"]
    assert "Welcome" in message.subject and "/profile/entity" in message.body


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"password": None}, "password"),
        ({"userEmail": None}, "userEmail"),
        ({"userEmail": "not-an-email"}, "email address is not valid"),
        ({"userEmail": ("a" * 250) + "@example.org"}, "at most 254"),
        ({"password": "short7!"}, "too short"),
        ({"password": "x" * 129}, "too long"),
        ({"password": "password123"}, "too common"),
        ({"entityName": "n" * 101}, "at most 100"),
        ({"firstName": "f" * 101}, "at most 100"),
        ({"userPhone": "1" * 26}, "at most 25"),
        ({"description": "d" * 501}, "at most 500"),
        ({"incType": "corporation"}, "incorporation type"),
        ({"website": "not a website"}, "website"),
        ({"declaredTurnover": "lots"}, "declaredTurnover"),
        ({"declaredTurnover": -1}, "declared turnover"),
        ({"offers": "bread"}, "offers"),
        ({"offers": [f"tag{i}" for i in range(11)]}, "At most 10 offers"),
        ({"wants": ["w" * 51]}, "too long"),
        ({"showTagsMatchedSinceLastLogin": "yes"}, "showTagsMatchedSinceLastLogin"),
    ],
)
def test_signup_refuses_bad_input_with_a_message(api, change, expected):
    body = {**SIGNUP, **change}
    body = {k: v for k, v in body.items() if v is not None}
    response = api.post_json("/signup", body)
    assert response.status_code == 400, response.content
    assert expected.lower() in " ".join(errors_of(response)).lower()
    assert not User.objects.exists() and not Entity.objects.exists()


def test_signup_refuses_malformed_json(api):
    response = api.post_json("/signup", '{"userEmail": ')
    assert response.status_code == 400
    assert "not valid JSON" in errors_of(response)[0]


def test_email_is_unique_case_insensitively(api):
    assert api.post_json("/signup", SIGNUP).status_code == 200
    again = api.post_json("/signup", {**SIGNUP, "userEmail": "  ADA@Example.ORG "})
    assert again.status_code == 400
    assert "already exists" in errors_of(again)[0]
    assert User.objects.count() == 1
    # Sign-in accepts any case, too.
    login = api.post_json("/login", {"email": "Ada@EXAMPLE.org", "password": SIGNUP["password"]})
    assert login.status_code == 200


def test_login_returns_a_token_that_works_until_logout(api, member):
    response = api.post_json("/login", {"email": member.email, "password": PASSWORD})
    assert response.status_code == 200
    token = response.json()["data"]["token"]
    client = ApiClient(token)
    assert client.get_json("/user").status_code == 200

    assert client.post_json("/logout").status_code == 200
    after = client.get_json("/user")
    assert after.status_code == 401
    assert errors_of(after)
    # Logout revokes only that token: the one from sign-up still works.
    assert member.api.get_json("/user").status_code == 200
    assert AuditEntry.objects.filter(action="user.logout", user_id=member.user.pk).exists()


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"email": "member1@example.org", "password": "wrong-password-1"}, 400),
        ({"email": "nobody@example.org", "password": PASSWORD}, 400),
        ({"email": "member1@example.org"}, 400),
        ({"password": PASSWORD}, 400),
        ({"email": 5, "password": PASSWORD}, 400),
    ],
)
def test_login_refusals(api, member, body, status):
    response = api.post_json("/login", body)
    assert response.status_code == status
    assert errors_of(response)


def test_wrong_password_and_unknown_email_answer_alike(api, member):
    wrong = api.post_json("/login", {"email": member.email, "password": "wrong-password-1"})
    unknown = api.post_json("/login", {"email": "nobody@example.org", "password": "wrong-password-1"})
    assert wrong.status_code == unknown.status_code == 400
    assert wrong.json() == unknown.json()
    assert AuditEntry.objects.filter(action="user.login_failed").count() == 2


def test_logout_without_or_with_a_bad_token_is_401(api):
    assert api.post_json("/logout").status_code == 401
    assert ApiClient("not-a-token").post_json("/logout").status_code == 401


@pytest.mark.parametrize("path", ["/user", "/user/entities"])
@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"HTTP_AUTHORIZATION": "Bearer "},
        {"HTTP_AUTHORIZATION": "Bearer nonsense"},
        {"HTTP_AUTHORIZATION": "Basic YWRhOnB3"},
        {"HTTP_USERID": "PLACEHOLDER", "HTTP_ADMIN": "true"},
        {"HTTP_USERID": "PLACEHOLDER", "HTTP_ADMIN": "false", "HTTP_AUTHORIZATION": "Bearer nonsense"},
    ],
)
def test_identity_comes_only_from_a_verified_token(api, member, path, headers):
    """The alpha trusted `userID` and `admin` headers set by its gateway; a forged one must get nowhere."""
    headers = {k: (str(member.user.pk) if v == "PLACEHOLDER" else v) for k, v in headers.items()}
    response = api.get_json(path, **headers)
    assert response.status_code == 401
    assert errors_of(response)


def test_token_expires_after_the_ttl(member, clock, settings):
    assert settings.MCCS_TOKEN_TTL_SECONDS == 24 * 3600
    clock.advance(hours=23, minutes=59)
    assert member.api.get_json("/user").status_code == 200
    clock.advance(minutes=2)
    assert member.api.get_json("/user").status_code == 401


def test_token_is_stored_only_as_a_hash(member):
    assert not AuthToken.objects.filter(key_hash=member.token).exists()
    assert AuthToken.objects.filter(user=member.user).count() == 1


def test_password_change_revokes_every_token(api, member):
    other = ApiClient(
        api.post_json("/login", {"email": member.email, "password": PASSWORD}).json()["data"]["token"]
    )
    response = member.api.post_json(
        "/password-change", {"currentPassword": PASSWORD, "password": "a-brand-new-secret"}
    )
    assert response.status_code == 200
    assert member.api.get_json("/user").status_code == 401
    assert other.get_json("/user").status_code == 401
    assert api.post_json("/login", {"email": member.email, "password": PASSWORD}).status_code == 400
    assert (
        api.post_json("/login", {"email": member.email, "password": "a-brand-new-secret"}).status_code == 200
    )
    assert AuditEntry.objects.filter(action="user.password_change", user_id=member.user.pk).exists()


@pytest.mark.parametrize(
    ("password", "expected"),
    [("short", "too short"), ("p" * 129, "too long"), ("iloveyou", "too common"), ("", "required")],
)
def test_password_change_refuses_bad_passwords(member, password, expected):
    response = member.api.post_json("/password-change", {"currentPassword": PASSWORD, "password": password})
    assert response.status_code == 400
    assert expected in " ".join(errors_of(response)).lower()
    assert member.api.get_json("/user").status_code == 200  # nothing changed, token still valid


def test_password_change_needs_a_token(api):
    assert (
        api.post_json(
            "/password-change", {"currentPassword": PASSWORD, "password": "a-brand-new-secret"}
        ).status_code
        == 401
    )


def test_exactly_128_characters_is_allowed(member):
    assert (
        member.api.post_json(
            "/password-change", {"currentPassword": PASSWORD, "password": "k" * 120 + "-7aQ!zP2"}
        ).status_code
        == 200
    )


def test_passwords_are_hashed_with_argon2id(member):
    member.user.refresh_from_db()
    assert member.user.password.startswith("argon2$argon2id$")
    assert PASSWORD not in member.user.password


def test_older_hash_parameters_are_upgraded_at_sign_in(api, member):
    from django.contrib.auth.hashers import Argon2PasswordHasher

    member.user.password = Argon2PasswordHasher().encode(PASSWORD, Argon2PasswordHasher().salt())
    member.user.save()
    assert "m=102400" in member.user.password
    assert api.post_json("/login", {"email": member.email, "password": PASSWORD}).status_code == 200
    member.user.refresh_from_db()
    assert "m=19456,t=2,p=1" in member.user.password
