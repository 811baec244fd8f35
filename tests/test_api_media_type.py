"""The API reads only JSON bodies (issue 8, item 9).

A web page can make a visitor's browser send a text/plain, form or multipart body to any site without a CORS
preflight. When the API read such bodies as JSON, any page could create accounts or act with a token the page
does not even need (sign-up). Now anything but ``application/json`` is a 415 in the JSON error envelope, and
nothing happens.
"""

from __future__ import annotations

import json

import pytest

from mccs.users.models import User
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

SIGNUP = {"userEmail": "new@example.org", "password": PASSWORD, "entityName": "New Entity"}


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded", "application/xml", ""],
)
def test_signup_with_a_body_that_is_not_declared_json_is_refused(api, content_type):
    response = api.generic(
        "POST", "/api/v1/signup", data=json.dumps(SIGNUP), content_type=content_type or None
    )
    assert response.status_code == 415, response.content
    assert response["Content-Type"] == "application/json; charset=utf-8"
    [error] = response.json()["errors"]
    assert "application/json" in error["message"]
    assert not User.objects.filter(email="new@example.org").exists()


def test_multipart_form_is_refused(api):
    response = api.post("/api/v1/signup", data=SIGNUP)  # the test client sends multipart/form-data
    assert response.status_code == 415, response.content
    assert not User.objects.filter(email="new@example.org").exists()


def test_json_with_a_charset_is_read(api):
    response = api.generic(
        "POST", "/api/v1/signup", data=json.dumps(SIGNUP), content_type="application/json; charset=utf-8"
    )
    assert response.status_code == 200, response.content
    assert User.objects.filter(email="new@example.org").exists()


def test_member_operations_refuse_plain_text_too(member):
    response = member.api.generic(
        "PATCH",
        "/api/v1/user",
        data=json.dumps({"firstName": "Mallory"}),
        content_type="text/plain",
        HTTP_AUTHORIZATION=f"Bearer {member.token}",
    )
    assert response.status_code == 415, response.content
    member.user.refresh_from_db()
    assert member.user.first_name != "Mallory"


def test_login_with_plain_text_is_refused(api, member):
    response = api.generic(
        "POST",
        "/api/v1/login",
        data=json.dumps({"email": member.email, "password": PASSWORD}),
        content_type="text/plain",
    )
    assert response.status_code == 415
