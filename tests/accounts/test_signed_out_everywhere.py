""" "Signed out everywhere" means every web session too, not only the API tokens (issue 8, item 6).

An administrator's change of a member's sign-in address (admin pages or admin API) revoked the member's tokens but
left their browsers signed in. The same promise holds for every password change, which the tests below also pin.
"""

from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import PASSWORD, ApiClient

pytestmark = pytest.mark.django_db
NEW = "a-brand-new-secret-phrase"


def signed_in_browser(email: str) -> Client:
    web = Client()
    assert web.post("/login", {"email": email, "password": PASSWORD}).status_code == 302
    assert web.get("/dashboard").status_code == 200
    return web


def assert_signed_out(web: Client) -> None:
    response = web.get("/dashboard")
    assert response.status_code == 302 and response["Location"].startswith("/login"), response


def by_admin_api(admin_api, member, address: str) -> None:
    response = admin_api.patch_json(f"/admin/users/{member.user.pk}", {"email": address})
    assert response.status_code == 200, response.content


def by_admin_page(admin, member, address: str) -> None:
    web = Client()
    web.force_login(admin)
    response = web.post(
        f"/admin/users/{member.user.pk}",
        {"email": address, "first_name": "", "last_name": "", "telephone": ""},
    )
    assert response.status_code == 302, response.content.decode()


@pytest.mark.parametrize("how", ["api", "page"])
def test_an_administrators_change_of_address_ends_the_members_web_sessions(request, member, admin, how):
    phone, laptop = signed_in_browser(member.email), signed_in_browser(member.email)
    if how == "api":
        by_admin_api(request.getfixturevalue("admin_api"), member, "moved@example.org")
    else:
        by_admin_page(admin, member, "moved@example.org")
    assert_signed_out(phone)
    assert_signed_out(laptop)
    assert member.api.get_json("/user").status_code == 401
    # The member signs in again with the new address; the old one no longer works.
    assert signed_in_browser("moved@example.org")
    assert Client().post("/login", {"email": member.email, "password": PASSWORD}).status_code == 200


def test_an_unrelated_edit_keeps_the_member_signed_in(admin_api, member):
    web = signed_in_browser(member.email)
    response = admin_api.patch_json(f"/admin/users/{member.user.pk}", {"firstName": "Ada"})
    assert response.status_code == 200
    assert web.get("/dashboard").status_code == 200
    assert member.api.get_json("/user").status_code == 200


def test_a_password_change_through_the_api_ends_every_web_session(member):
    web = signed_in_browser(member.email)
    body = {"currentPassword": PASSWORD, "password": NEW}
    assert member.api.post_json("/password-change", body).status_code == 200
    assert_signed_out(web)


def test_a_password_change_on_the_web_page_ends_the_other_sessions_only(member):
    here, elsewhere = signed_in_browser(member.email), signed_in_browser(member.email)
    token = (
        ApiClient().post_json("/login", {"email": member.email, "password": PASSWORD}).json()["data"]["token"]
    )
    response = here.post(
        "/password-change", {"current_password": PASSWORD, "password": NEW, "password_again": NEW}
    )
    assert response.status_code == 302
    assert here.get("/dashboard").status_code == 200
    assert_signed_out(elsewhere)
    assert ApiClient(token).get_json("/user").status_code == 401


def test_a_reset_link_ends_every_web_session(api, member):
    from tests.accounts.conftest import sent_reset_token

    web = signed_in_browser(member.email)
    api.post_json("/password-reset", {"email": member.email})
    assert (
        api.post_json(f"/password-reset/{sent_reset_token(member.email)}", {"password": NEW}).status_code
        == 200
    )
    assert_signed_out(web)
