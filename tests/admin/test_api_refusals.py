"""Every admin endpoint refuses callers without an administrator's token, and unknown ids give 404."""

from __future__ import annotations

import uuid

import pytest

ENDPOINTS = [
    ("post", "/admin/categories", {"name": "food"}),
    ("patch", "/admin/categories/{id}", {"name": "food"}),
    ("delete", "/admin/categories/{id}", None),
    ("post", "/admin/tags", {"name": "bread"}),
    ("patch", "/admin/tags/{id}", {"name": "bread"}),
    ("delete", "/admin/tags/{id}", None),
    ("get", "/admin/users", None),
    ("get", "/admin/users/{id}", None),
    ("patch", "/admin/users/{id}", {"firstName": "X"}),
    ("delete", "/admin/users/{id}", None),
    ("get", "/admin/entities", None),
    ("get", "/admin/entities/{id}", None),
    ("patch", "/admin/entities/{id}", {"name": "X"}),
    ("delete", "/admin/entities/{id}", None),
    ("post", "/admin/transfers", {"payer": "1", "payee": "2", "amount": 1}),
    ("get", "/admin/transfers", None),
    ("get", "/admin/transfers/{id}", None),
    ("patch", "/admin/transfers/{id}", {"action": "cancel"}),
    ("get", "/admin/logs", None),
]


def _call(client, method, path, body):
    path = path.replace("{id}", str(uuid.uuid4()))
    if method == "get":
        return client.get_json(path)
    if method == "delete":
        return client.delete_json(path)
    return getattr(client, f"{method}_json")(path, body)


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
def test_no_token_is_401(api, db, method, path, body):
    response = _call(api, method, path, body)
    assert response.status_code == 401
    assert response.json()["errors"][0]["message"]


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
def test_member_token_is_refused(member, method, path, body):
    response = _call(member.api, method, path, body)
    # a valid token of the wrong kind is 403 (RFC 6750 insufficient_scope); 401 would sign the member out
    assert response.status_code == 403, response.content
    assert response.json()["errors"][0]["code"] == "insufficient_scope"
    assert response["WWW-Authenticate"] == 'Bearer error="insufficient_scope"'


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [e for e in ENDPOINTS if "{id}" in e[1]],
)
def test_unknown_ids_are_404(admin_api, method, path, body):
    response = _call(admin_api, method, path, body)
    assert response.status_code == 404, response.content
    assert response.json()["errors"][0]["message"].endswith("not found.")


@pytest.mark.parametrize("bad_id", ["not-a-uuid", "123"])
def test_malformed_ids_are_404(admin_api, bad_id):
    for path in ("/admin/users/", "/admin/entities/", "/admin/transfers/"):
        assert admin_api.get_json(path + bad_id).status_code == 404


def test_administrators_are_not_managed_as_users(admin_api, admin):
    assert admin_api.get_json(f"/admin/users/{admin.pk}").status_code == 404
    assert admin_api.delete_json(f"/admin/users/{admin.pk}").status_code == 404
