"""Hostile input is a 4xx in the JSON error envelope, never a 500 (issue 8, item 4).

Every operation that takes a body is driven through HTTP with the three inputs that used to crash it: a lone
surrogate (``"\\udc80"``, valid JSON, not encodable as UTF-8, a ``UnicodeEncodeError`` at the database), a body over
the size limit (Django's ``RequestDataTooBig``) and a multipart body without a boundary. Each answer is checked
against our own OpenAPI document (the status is declared for that operation, the body is the error envelope), and
what a client got wrong must not be logged as an error with a traceback.
"""

from __future__ import annotations

import json
import logging

import pytest

from mccs.core.text_guard import NUL_MESSAGE, SURROGATE_MESSAGE
from mccs.directory.models import Entity, EntityStatus
from mccs.users.models import User
from tests.conftest import PASSWORD, ApiClient
from tests.test_openapi_responses import Contract

pytestmark = pytest.mark.django_db

LONE = "\udc80"


def body_operations(document: dict) -> list[tuple[str, str, list[str], str | None]]:
    """(method, path template, body property names, security scheme) of every operation that takes a body."""
    found = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if "requestBody" not in operation:
                continue
            schema = operation["requestBody"]["content"]["application/json"]["schema"]
            if "$ref" in schema:
                schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
            scheme = next(iter(operation["security"][0]), None) if operation.get("security") else None
            found.append((method, path, sorted(schema.get("properties", {})), scheme))
    return found


@pytest.fixture
def contract(api):
    return Contract(api.get_json("/openapi.json").json())


@pytest.fixture
def world(make_member, admin_api):
    """A member who can trade, a pending transfer, a category, a tag and a synonym group: real ids for every path parameter."""
    a = make_member(status=EntityStatus.TRADING_ACCEPTED)
    b = make_member(status=EntityStatus.TRADING_ACCEPTED)
    transfer = a.api.post_json(
        "/transfers",
        {
            "transfer": "out",
            "initiator": a.entity.account.number,
            "receiver": b.entity.account.number,
            "amount": 1,
        },
    )
    assert transfer.status_code == 200, transfer.content
    category = admin_api.post_json("/admin/categories", {"name": "bakery"}).json()["data"]
    tag = admin_api.post_json("/admin/tags", {"name": "rye"}).json()["data"]
    group = admin_api.post_json("/admin/synonyms", {"words": ["rye", "rye-bread"]}).json()["data"]
    ids = {
        "entityID": a.entity.pk,
        "userID": a.user.pk,
        "transferID": transfer.json()["data"]["id"],
        "categoryID": category["id"],
        "tagID": tag["id"],
        "groupID": group["id"],
        "token": "a-reset-token",
        "name": "no-such-node",
    }
    clients = {"MemberAuth": a.api, "AdminAuth": admin_api, None: ApiClient()}
    return ids, clients, a


def url_for(template: str, ids: dict) -> str:
    return template.format(**ids)


def test_every_operation_with_a_body_is_found(contract):
    operations = {(m, p) for m, p, _, _ in body_operations(contract.document)}
    # the ones the issue names, so that a change to the document cannot make this test check nothing
    assert {
        ("post", "/api/v1/signup"),
        ("post", "/api/v1/login"),
        ("patch", "/api/v1/user"),
        ("patch", "/api/v1/user/entities/{entityID}"),
        ("post", "/api/v1/transfers"),
        ("post", "/api/v1/send-email"),
        ("patch", "/api/v1/admin/users/{userID}"),
    } <= operations
    assert len(operations) >= 20


def test_a_lone_surrogate_in_any_field_of_any_body_is_a_400_naming_the_field(contract, world, capsys):
    ids, clients, member = world
    checked = 0
    for method, template, properties, scheme in body_operations(contract.document):
        url = url_for(template, ids)
        for name in properties:
            for value in (LONE, f"ok{LONE}ok", [f"x{LONE}"], {"inner": LONE}):
                response = clients[scheme].call(method, url, json.dumps({name: value}))
                contract.check(method.upper(), url, response)
                where = f"{method} {url} {name}={value!r}: {response.content[:200]!r}"
                assert response.status_code == 400, where
                assert response.json() == {
                    "errors": [{"message": SURROGATE_MESSAGE, "code": "invalid_unicode", "field": name}]
                }, where
                checked += 1
        # in a key, too; such a key is never written back, not even as the field at fault
        response = clients[scheme].call(method, url, json.dumps({f"a{LONE}": "x"}))
        contract.check(method.upper(), url, response)
        assert response.status_code == 400, (method, url, response.content)
        assert response.json() == {"errors": [{"message": SURROGATE_MESSAGE, "code": "invalid_unicode"}]}
    assert checked > 100
    member.user.refresh_from_db()
    assert LONE not in member.user.first_name
    assert "Traceback" not in capsys.readouterr().err


def test_signup_with_a_lone_surrogate_creates_nothing(api):
    body = {"userEmail": "s@example.org", "password": PASSWORD, "entityName": f"Bad{LONE}name"}
    response = api.post_json("/signup", json.dumps(body))
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "entityName"
    assert not User.objects.filter(email="s@example.org").exists()
    assert not Entity.objects.filter(name__startswith="Bad").exists()


def test_surrogate_pairs_are_ordinary_characters(member):
    """An escaped pair (an emoji) is one real character and is kept; only a half of a pair is refused."""
    response = member.api.patch_json("/user", '{"firstName": "Ann \\ud83d\\ude00"}')
    assert response.status_code == 200, response.content
    member.user.refresh_from_db()
    assert member.user.first_name == "Ann \N{GRINNING FACE}"


def test_a_nul_character_names_its_field_too(member):
    response = member.api.patch_json("/user", {"lastName": "a\x00b"})
    assert response.status_code == 400
    assert response.json() == {
        "errors": [{"message": NUL_MESSAGE, "code": "nul_character", "field": "lastName"}]
    }


def test_the_field_is_named_as_the_body_spelled_it(member):
    """Field names of services are translated to camelCase for the API; a body key at fault is reported as sent."""
    response = member.api.patch_json("/user", {"first_name": LONE})
    assert response.json()["errors"][0]["field"] == "first_name"


def test_a_body_over_the_size_limit_is_a_413_on_every_operation_with_a_body(
    contract, world, settings, capsys
):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    ids, clients, member = world
    for method, template, properties, scheme in body_operations(contract.document):
        url = url_for(template, ids)
        body = json.dumps({properties[0]: "x" * 20_000})
        response = clients[scheme].call(method, url, body)
        contract.check(method.upper(), url, response)
        assert response.status_code == 413, (method, url, response.content)
        [error] = response.json()["errors"]
        assert error["code"] == "too_large"
        assert "10,000 bytes" in error["message"]
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert " ERROR " not in err


def test_the_default_size_limit_gives_413_not_500(api):
    body = json.dumps({"userEmail": "big@example.org", "password": PASSWORD, "entityName": "x" * 3_000_000})
    response = api.post_json("/signup", body)
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert not User.objects.filter(email="big@example.org").exists()


def test_a_size_just_under_the_limit_is_read(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    body = {"userEmail": "fits@example.org", "password": PASSWORD, "entityName": "Fits"}
    padded = json.dumps(body) + " " * 9_000  # whitespace is valid JSON
    assert 9_000 < len(padded) < 10_000
    response = api.post_json("/signup", padded)
    assert response.status_code == 200, response.content


@pytest.mark.parametrize(
    "content_type", ["multipart/form-data", "multipart/form-data; boundary=", "multipart/mixed"]
)
def test_multipart_without_a_boundary_is_a_4xx_in_the_envelope_on_every_operation(
    contract, world, content_type, capsys
):
    ids, clients, member = world
    for method, template, _, scheme in body_operations(contract.document):
        url = url_for(template, ids)
        client = clients[scheme]
        response = client.generic(
            method.upper(), url, data=b"--x\r\nbroken", content_type=content_type, **client._headers({})
        )
        contract.check(method.upper(), url, response)
        assert response.status_code == 415, (method, url, response.content)
    assert "Traceback" not in capsys.readouterr().err


@pytest.mark.parametrize(
    "content_type,data",
    [
        ("multipart/form-data", b"--x\r\nbroken"),
        ("application/x-www-form-urlencoded", b"a=" + b"x" * 3_000_000),
    ],
)
def test_the_session_token_operation_never_reads_a_form_body(contract, member, content_type, data, capsys):
    """It takes no body; its CSRF token comes in the X-CSRFToken header. A broken or huge form body used to fail
    while Django looked for the token in it."""
    web = ApiClient(enforce_csrf_checks=True)
    web.force_login(member.user)
    response = web.generic("POST", "/api/v1/session/token", data=data, content_type=content_type)
    contract.check("POST", "/api/v1/session/token", response)
    assert response.status_code == 403  # no CSRF token in the header
    assert response.json()["errors"][0]["code"] == "permission_denied"
    assert "Traceback" not in capsys.readouterr().err


def test_web_forms_with_broken_or_huge_bodies_are_400_without_an_error_traceback(client, capsys, caplog):
    caplog.set_level(logging.INFO)
    broken = client.generic("POST", "/login", data=b"--x\r\nbroken", content_type="multipart/form-data")
    huge = client.generic(
        "POST",
        "/login",
        data=b"username=" + b"x" * 3_000_000,
        content_type="application/x-www-form-urlencoded",
    )
    assert broken.status_code == 400
    assert huge.status_code == 400
    err = capsys.readouterr().err
    assert (
        "Bad request" in err or "RequestDataTooBig" in err or "exceeded" in err
    )  # still logged, as a warning
    assert "Traceback" not in err
    assert " ERROR " not in err
