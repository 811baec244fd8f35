"""The API's contract with its clients (issue 8, item 11): bodies must be objects, every error carries a
machine-readable ``code`` (and the ``field`` at fault), and amounts are numbers in the document as on the wire."""

from __future__ import annotations

import json

import pytest

from mccs.directory.models import EntityStatus
from mccs.users.models import User
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

NOT_OBJECTS = ["[]", '"text"', "42", "null", "true", '[{"firstName": "Mallory"}]']


def _send(client, method: str, path: str, raw: str, token: str | None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return client.generic(method, f"/api/v1{path}", data=raw, content_type="application/json", **headers)


@pytest.mark.parametrize("raw", NOT_OBJECTS)
def test_a_body_that_is_not_an_object_is_400_everywhere(api, member, admin_api, raw):
    entity = member.entity.pk
    member_ops = [
        ("PATCH", "/user"),
        ("PATCH", f"/user/entities/{entity}"),
        ("POST", "/password-change"),
        ("POST", "/favorites"),
        ("POST", "/send-email"),
        ("POST", "/transfers"),
        ("PATCH", "/transfers/00000000-0000-0000-0000-000000000000"),
    ]
    anonymous_ops = [("POST", "/signup"), ("POST", "/login"), ("POST", "/password-reset")]
    admin_ops = [
        ("PATCH", f"/admin/entities/{entity}"),
        ("PATCH", f"/admin/users/{member.user.pk}"),
        ("POST", "/admin/categories"),
        ("POST", "/admin/tags"),
        ("POST", "/admin/transfers"),
    ]
    for ops, token in ((member_ops, member.token), (anonymous_ops, None), (admin_ops, admin_api.token)):
        for method, path in ops:
            response = _send(api, method, path, raw, token)
            assert response.status_code == 400, (method, path, response.content)
            [error] = response.json()["errors"]
            assert error["code"] == "not_an_object", (method, path, error)
    member.user.refresh_from_db()
    member.entity.refresh_from_db()
    assert member.user.first_name != "Mallory" and member.user.check_password(PASSWORD)


def test_an_empty_object_still_changes_nothing_and_succeeds(member):
    assert member.api.patch_json("/user", {}).status_code == 200


def _error(response, status: int) -> dict:
    assert response.status_code == status, response.content
    [error] = response.json()["errors"]
    assert isinstance(error["message"], str) and error["message"]
    return error


def test_errors_carry_a_code_and_the_field_at_fault(api, member, admin_api):
    entity = member.entity.pk
    # a missing body field (pydantic)
    assert _error(api.post_json("/login", {"password": "x"}), 400) | {"message": ""} == {
        "message": "",
        "code": "required",
        "field": "email",
    }
    # a body field of the wrong type (pydantic)
    error = _error(member.api.patch_json("/user", {"firstName": 5}), 400)
    assert (error["code"], error["field"]) == ("invalid", "firstName")
    # a rule of a service: named as the client spelled it, not as the model does
    error = _error(member.api.patch_json(f"/user/entities/{entity}", {"postalCode": "x" * 300}), 400)
    assert (error["code"], error["field"]) == ("invalid", "postalCode")
    error = _error(member.api.patch_json(f"/user/entities/{entity}", {"incType": "nonsense"}), 400)
    assert error["field"] == "incType"
    # sign-up spells the entity's fields differently
    error = _error(
        api.post_json("/signup", {"userEmail": "x@example.org", "password": PASSWORD, "entityEmail": "nope"}),
        400,
    )
    assert error["field"] == "entityEmail"
    assert not User.objects.filter(email="x@example.org").exists()
    # query parameters keep their snake_case names
    error = _error(api.get_json("/entities?page_size=0"), 400)
    assert error["field"] == "page_size"
    error = _error(api.get_json("/entities?page=x"), 400)
    assert (error["code"], error["field"]) == ("invalid", "page")
    error = _error(admin_api.get_json("/admin/entities?status=nonsense"), 400)
    assert error["field"] == "status"
    # codes of the other kinds
    assert _error(api.get_json("/user"), 401)["code"] == "not_authenticated"
    assert _error(admin_api.get_json("/user"), 403)["code"] == "insufficient_scope"
    assert _error(api.get_json("/entities/00000000-0000-0000-0000-000000000000"), 404)["code"] == "not_found"
    error = _error(api.generic("POST", "/api/v1/login", data="{", content_type="application/json"), 400)
    assert error["code"] == "invalid_json"
    error = _error(api.generic("POST", "/api/v1/login", data="{}", content_type="text/plain"), 415)
    assert (error["code"], error["field"]) == ("unsupported_media_type", "Content-Type")
    email = _error(api.post_json("/signup", {"userEmail": member.email, "password": PASSWORD}), 400)
    assert email["code"] == "email_taken" and email["field"] == "userEmail"


def test_every_error_response_of_the_suite_shape(api):
    """No error object leaves without a code: the NUL guard in front of the API speaks the same envelope."""
    response = api.get_json("/entities?name=%00")
    error = _error(response, 400)
    assert error["code"] == "nul_character"


def test_amounts_are_numbers_in_the_document_and_on_the_wire(api, make_member, admin_api):
    trader = make_member(status=EntityStatus.TRADING_ACCEPTED)
    document = api.get_json("/openapi.json").json()
    schemas = document["components"]["schemas"]
    for name, fields in {
        "EntityOut": ["balance", "maxPositiveBalance", "maxNegativeBalance"],
        "BalanceOut": ["balance", "maxPositiveBalance", "maxNegativeBalance"],
        "TransferViewOut": ["amount"],
        "AdminTransferOut": ["amount"],
        "TransferInitiatedOut": ["amount"],
    }.items():
        for field in fields:
            declared = schemas[name]["properties"][field]
            types = {declared.get("type")} | {option.get("type") for option in declared.get("anyOf", [])}
            assert "number" in types and "string" not in types, (name, field, declared)
    own = trader.api.get_json(f"/user/entities/{trader.entity.pk}").json()["data"]
    raw = trader.api.get_json(f"/balance?querying_entity_id={trader.entity.pk}").content.decode()
    assert isinstance(own["balance"], int | float) and isinstance(own["maxPositiveBalance"], int | float)
    assert '"balance": 0' in raw and isinstance(json.loads(raw)["data"]["maxNegativeBalance"], int | float)
