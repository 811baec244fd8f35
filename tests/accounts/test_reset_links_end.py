"""A password-reset link dies when the password (or the sign-in address) changes, whichever way it changes, and when
a newer link is sent (issue 8, item 3). Before, a link requested before a change still set a new password after it.
"""

from __future__ import annotations

import pytest
from django.test import Client

from mccs.users.models import User
from mccs.users.services import admin_create_or_reset
from tests.accounts.conftest import sent_reset_token
from tests.conftest import PASSWORD, ApiClient

pytestmark = pytest.mark.django_db
NEW = "a-brand-new-secret-phrase"
LATER = "yet-another-secret-phrase"


def assert_link_is_dead(token: str, *, admin: bool = False) -> None:
    """Refused by the API (400, reset_token_invalid) and by the web page, and the password stays as it was."""
    prefix = "/admin" if admin else ""
    response = ApiClient().post_json(f"{prefix}/password-reset/{token}", {"password": LATER})
    assert response.status_code == 400, response.content
    assert response.json()["errors"][0]["code"] == "reset_token_invalid"
    page = Client().get(f"/password-reset/{token}")
    assert page.status_code == 400 and "invalid or has expired" in page.content.decode()
    posted = Client().post(f"/password-reset/{token}", {"password": LATER, "password_again": LATER})
    assert posted.status_code == 400


def change_through_the_api(member) -> None:
    body = {"currentPassword": PASSWORD, "password": NEW}
    assert member.api.post_json("/password-change", body).status_code == 200


def change_through_the_web_page(member) -> None:
    web = Client()
    assert web.post("/login", {"email": member.email, "password": PASSWORD}).status_code == 302
    response = web.post(
        "/password-change", {"current_password": PASSWORD, "password": NEW, "password_again": NEW}
    )
    assert response.status_code == 302 and response["Location"] == "/profile"


def reset_with_a_newer_link(member) -> None:
    ApiClient().post_json("/password-reset", {"email": member.email})
    assert (
        ApiClient()
        .post_json(f"/password-reset/{sent_reset_token(member.email)}", {"password": NEW})
        .status_code
        == 200
    )


def address_changed_by_an_administrator(member) -> None:
    admin_create_or_reset(email="admin@example.org", password=PASSWORD)
    token = ApiClient().post_json("/admin/login", {"email": "admin@example.org", "password": PASSWORD})
    admin_api = ApiClient(token.json()["data"]["token"])
    response = admin_api.patch_json(f"/admin/users/{member.user.pk}", {"email": "moved@example.org"})
    assert response.status_code == 200, response.content


def changepassword_command(member) -> None:
    """What `mccs changepassword` (Django's command) or any other code that sets a password does."""
    user = User.objects.get(pk=member.user.pk)
    user.set_password(NEW)
    user.save()


@pytest.mark.parametrize(
    "change",
    [
        change_through_the_api,
        change_through_the_web_page,
        reset_with_a_newer_link,
        address_changed_by_an_administrator,
        changepassword_command,
    ],
)
def test_a_change_of_credentials_kills_an_older_link(member, change):
    ApiClient().post_json("/password-reset", {"email": member.email})
    old_link = sent_reset_token(member.email)
    change(member)
    assert_link_is_dead(old_link)


def test_createadmin_kills_an_administrators_older_link(admin):
    ApiClient().post_json("/admin/password-reset", {"email": admin.email})
    old_link = sent_reset_token(admin.email)
    admin_create_or_reset(email=admin.email, password=NEW)  # what `mccs createadmin` calls
    assert_link_is_dead(old_link, admin=True)
    assert ApiClient().post_json("/admin/login", {"email": admin.email, "password": NEW}).status_code == 200


def test_only_the_newest_link_works(api, member):
    api.post_json("/password-reset", {"email": member.email})
    first = sent_reset_token(member.email)
    api.post_json("/password-reset", {"email": member.email})
    second = sent_reset_token(member.email)
    assert first != second
    assert_link_is_dead(first)
    assert api.post_json(f"/password-reset/{second}", {"password": NEW}).status_code == 200
    assert api.post_json("/login", {"email": member.email, "password": NEW}).status_code == 200


def test_an_unchanged_account_keeps_its_link(api, member):
    """The refusal above is the change, not the passing of time or an unrelated edit."""
    api.post_json("/password-reset", {"email": member.email})
    link = sent_reset_token(member.email)
    assert member.api.patch_json("/user", {"firstName": "Ada"}).status_code == 200
    assert Client().get(f"/password-reset/{link}").status_code == 200
    assert api.post_json(f"/password-reset/{link}", {"password": NEW}).status_code == 200
