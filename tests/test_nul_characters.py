"""A NUL character anywhere in the input is a 400 with a message on both databases — PostgreSQL cannot store it."""

import pytest

from mccs.core.text_guard import NUL_MESSAGE
from mccs.users.models import User


def test_signup_with_nul_in_a_field_is_refused_and_creates_nothing(api, db):
    response = api.post_json(
        "/signup", {"userEmail": "nul@example.org", "password": "a-good-password-123", "entityName": "A\x00B"}
    )
    assert response.status_code == 400
    assert response.json() == {
        "errors": [{"message": NUL_MESSAGE, "code": "nul_character", "field": "entityName"}]
    }
    assert not User.objects.filter(email="nul@example.org").exists()


@pytest.mark.parametrize(
    "body", [{"offers": ["x\x00y"]}, {"description": "\x00"}, {"wants": ["ok", "b\x00d"]}]
)
def test_entity_edit_with_nul_is_refused(member, body):
    response = member.api.patch_json(f"/user/entities/{member.entity.pk}", body)
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == NUL_MESSAGE


def test_login_with_nul_is_refused(api, db):
    response = api.post_json("/login", {"email": "a\x00@example.org", "password": "x"})
    assert response.status_code == 400


@pytest.mark.parametrize("path", ["/entities?name=a%00b", "/categories?fragment=%00", "/tags?fragment=x%00"])
def test_query_parameters_with_nul_are_refused(api, db, path):
    response = api.get_json(path)
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == NUL_MESSAGE


def test_idempotency_key_with_nul_is_refused(make_member):
    a = make_member(status="tradingAccepted")
    b = make_member(status="tradingAccepted")
    response = a.api.post_json(
        "/transfers",
        {
            "transfer": "out",
            "initiator": a.entity.account.number,
            "receiver": b.entity.account.number,
            "amount": 1,
        },
        HTTP_IDEMPOTENCY_KEY="key\x00",
    )
    assert response.status_code == 400


def test_web_form_with_nul_is_refused(client, db):
    response = client.post("/login", {"username": "a\x00b@example.org", "password": "x"})
    assert response.status_code == 400
    assert NUL_MESSAGE in response.content.decode()
