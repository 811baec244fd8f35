"""Entity and user names refuse characters that are not seen but change what is seen (issue 8, item 8).

A name with a line break, a right-to-left override (``"Bob\\u202egnp.exe"`` shows as ``Bobexe.png``) or a
zero-width space (``"Ad\\u200ba"`` looks like ``Ada``) let one member pass for another on screen. Every way of
writing a name — sign-up, profile and entity edits, the administrator's edits; API and web pages — refuses them with
a 400 that names the field, and stores nothing.
"""

from __future__ import annotations

import pytest
from django.test import Client

from mccs.directory.models import Entity
from mccs.users.models import User
from tests.conftest import PASSWORD, ApiClient

pytestmark = pytest.mark.django_db

REFUSED = {
    "line feed": "Ada\nLovelace",
    "carriage return": "Ada\r\nLovelace",
    "tab": "Ada\tLovelace",
    "escape": "Ada\x1b[31mLovelace",
    "delete": "Ada\x7f",
    "C1 control": "Ada\x85Lovelace",
    "right-to-left override": "Bob\u202egnp.exe",
    "left-to-right embedding": "\u202aBob",
    "pop directional formatting": "Bob\u202c",
    "right-to-left isolate": "Bob\u2067evil\u2069",
    "right-to-left mark": "Bob\u200f",
    "zero-width space": "Ad\u200ba",
    "zero-width non-joiner": "Ad\u200ca",
    "zero-width joiner": "Ad\u200da",
    "word joiner": "Ad\u2060a",
    "byte-order mark": "\ufeffAda",
    "line separator": "Ada\u2028Lovelace",
}
ACCEPTED = ["Ada Lovelace", "Zoë O'Brien-Núñez", "محمد الخوارزمي", "李小龍", "Ärzte & Söhne GmbH", "Café 🍞"]


def assert_refused(response, field: str) -> None:
    assert response.status_code == 400, response.content
    [error] = response.json()["errors"]
    assert error["code"] == "invalid_character", error
    assert error["field"] == field, error
    assert "not allowed in names" in error["message"]


@pytest.mark.parametrize("name", REFUSED.values(), ids=REFUSED.keys())
def test_sign_up_through_the_api_refuses_them(api, name):
    for field in ("entityName", "firstName", "lastName"):
        body = {"userEmail": "ada@example.org", "password": PASSWORD, "entityName": "Engines", field: name}
        assert_refused(api.post_json("/signup", body), field)
    assert not User.objects.exists() and not Entity.objects.exists()


@pytest.mark.parametrize("name", REFUSED.values(), ids=REFUSED.keys())
def test_a_member_cannot_rename_with_them(member, name):
    assert_refused(member.api.patch_json("/user", {"firstName": name}), "firstName")
    assert_refused(member.api.patch_json("/user", {"lastName": name}), "lastName")
    assert_refused(member.api.patch_json(f"/user/entities/{member.entity.pk}", {"name": name}), "name")
    member.user.refresh_from_db()
    member.entity.refresh_from_db()
    assert (member.user.first_name, member.user.last_name) == ("", "")
    assert member.entity.name == "Entity 1"


@pytest.mark.parametrize("name", [REFUSED["right-to-left override"], REFUSED["line feed"]])
def test_an_administrator_cannot_either(admin_api, member, name):
    response = admin_api.patch_json(f"/admin/users/{member.user.pk}", {"lastName": name})
    assert_refused(response, "lastName")
    assert_refused(admin_api.patch_json(f"/admin/entities/{member.entity.pk}", {"name": name}), "name")
    member.entity.refresh_from_db()
    assert member.entity.name == "Entity 1"


@pytest.mark.parametrize("name", ACCEPTED)
def test_names_in_any_script_are_welcome(api, name):
    body = {
        "userEmail": "ada@example.org",
        "password": PASSWORD,
        "entityName": name,
        "firstName": name,
        "lastName": name,
    }
    response = api.post_json("/signup", body)
    assert response.status_code == 200, response.content
    assert Entity.objects.get().name == name
    user = User.objects.get()
    assert (user.first_name, user.last_name) == (name, name)


NAME_ERROR = "not allowed in names"


def test_the_web_sign_up_page_refuses_them():
    web = Client()
    form = {
        "email": "ada@example.org",
        "password": PASSWORD,
        "first_name": "Ada",
        "last_name": "Lovelace",
        "entity_name": "Bob\u202egnp.exe",
    }
    response = web.post("/signup", form)
    assert response.status_code in {200, 400}
    assert NAME_ERROR in response.content.decode()
    response = web.post("/signup", {**form, "entity_name": "Engines", "first_name": "Ad\u200ba"})
    assert NAME_ERROR in response.content.decode()
    assert not User.objects.exists() and not Entity.objects.exists()


def test_the_web_profile_and_entity_pages_refuse_them(member):
    web = Client()
    web.force_login(member.user)
    response = web.post("/profile", {"first_name": "Ada\r\nEvil", "last_name": "", "telephone": ""})
    assert NAME_ERROR in response.content.decode()
    page = web.get("/profile/entity")
    assert page.status_code == 200
    form = {**page.context["form"].initial, "name": "Entity\u20281"}
    form = {key: value for key, value in form.items() if value not in (None, False)}
    response = web.post("/profile/entity", form)
    assert NAME_ERROR in response.content.decode()
    member.user.refresh_from_db()
    member.entity.refresh_from_db()
    assert member.user.first_name == "" and member.entity.name == "Entity 1"


def test_the_administrators_web_pages_refuse_them(admin, member):
    web = Client()
    web.force_login(admin)
    response = web.post(
        f"/admin/users/{member.user.pk}",
        {"email": member.email, "first_name": "\u202eAda", "last_name": "", "telephone": ""},
    )
    assert response.status_code == 400 and NAME_ERROR in response.content.decode()
    member.user.refresh_from_db()
    assert member.user.first_name == ""


def test_the_refusal_names_the_character(api):
    body = {"userEmail": "ada@example.org", "password": PASSWORD, "entityName": "Bob\u202egnp.exe"}
    [error] = api.post_json("/signup", body).json()["errors"]
    assert "U+202E" in error["message"] and "right-to-left override" in error["message"]
    assert (
        ApiClient().post_json("/login", {"email": "ada@example.org", "password": PASSWORD}).status_code == 400
    )
