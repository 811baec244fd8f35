"""Real responses of every operation, validated against our own OpenAPI document (issue 8, item 11).

A tour through the whole API — members, an administrator, anonymous callers, successes and refusals — checks each
answer against what ``/api/v1/openapi.json`` promises: the status is declared for that operation, the body matches
the declared schema (or is empty where none is declared), and JSON comes as JSON. Generated clients trust that
document; a field typed ``string`` that arrives as a number breaks them. The tour must reach every operation.
"""

from __future__ import annotations

import json
import re

import jsonschema_rs
import pytest

from mccs.directory.models import EntityStatus
from mccs.federation import services as federation
from mccs.notifications.models import OutboxEmail
from tests.accounts.conftest import sent_reset_token
from tests.conftest import PASSWORD, ApiClient

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "another-long-secret-phrase"


class Contract:
    """Validates each response against the document and remembers which operations and statuses were seen."""

    def __init__(self, document: dict) -> None:
        self.document = document
        self.seen: set[tuple[str, str, int]] = set()
        self.routes = [
            (re.compile("^" + re.sub(r"\{[^/]+\}", "[^/]+", path) + "$"), path, operations)
            for path, operations in document["paths"].items()
        ]

    def operation(self, method: str, url: str) -> tuple[str, dict]:
        path = url.split("?", 1)[0]
        matches = [(template, ops) for regex, template, ops in self.routes if regex.match(path)]
        # a literal path (/admin/entities) wins over a template (/entities/{entityID}) of the same length
        matches.sort(key=lambda m: m[0].count("{"))
        for template, ops in matches:
            if method.lower() in ops:
                return template, ops[method.lower()]
        raise AssertionError(f"{method} {url} is not in the document")

    def check(self, method: str, url: str, response) -> None:
        template, operation = self.operation(method, url)
        status = str(response.status_code)
        where = f"{method} {url} → {status}: {response.content[:300]!r}"
        assert status in operation["responses"], f"undeclared status: {where}"
        declared = operation["responses"][status]
        content = declared.get("content", {}).get("application/json")
        if content is None:
            assert response.content == b"", f"a body where the document declares none: {where}"
        else:
            assert response["Content-Type"].startswith("application/json"), where
            schema = {**content["schema"], "components": self.document["components"]}
            errors = [e.message for e in jsonschema_rs.validator_for(schema).iter_errors(response.json())]
            assert not errors, f"{where}\n" + "\n".join(errors[:5])
        self.seen.add((method.upper(), template, response.status_code))


@pytest.fixture
def contract(api):
    return Contract(api.get_json("/openapi.json").json())


class Checked(ApiClient):
    def __init__(self, contract: Contract, token: str | None = None) -> None:
        super().__init__(token)
        self.contract = contract

    def call(self, method, path, body=None, **extra):
        response = super().call(method, path, body, **extra)
        self.contract.check(method.upper(), path if path.startswith("/api/") else f"/api/v1{path}", response)
        return response

    def ok(self, method: str, path: str, body=None, status: int = 200, **extra):
        response = self.call(method, path, body, **extra)
        assert response.status_code == status, (method, path, response.content)
        return response.json() if response.content else None


def test_every_operation_answers_what_the_document_says(contract, make_member, admin):
    anon = Checked(contract)
    a = make_member(status=EntityStatus.TRADING_ACCEPTED, offers=["bread"], wants=["milk"])
    b = make_member(status=EntityStatus.TRADING_ACCEPTED, offers=["milk"], wants=["bread"])
    ma, mb = Checked(contract, a.token), Checked(contract, b.token)

    # --- anonymous ---
    anon.ok("get", "/health")
    signed = anon.ok(
        "post", "/signup", {"userEmail": "new@example.org", "password": PASSWORD, "entityName": "N"}
    )
    anon.ok("post", "/signup", {"password": PASSWORD}, status=400)
    anon.ok("post", "/login", {"email": a.email, "password": PASSWORD})
    anon.ok("post", "/login", {"email": a.email, "password": "wrong-password"}, status=400)
    anon.ok("get", "/tags?fragment=bre")
    anon.ok("get", "/tags?page=0", status=400)
    anon.ok("get", "/categories")
    anon.ok("get", "/entities?offers=bread")
    anon.ok("get", f"/entities/{a.entity.pk}")
    anon.ok("get", "/entities/00000000-0000-0000-0000-000000000000", status=404)
    anon.ok("get", "/user", status=401)
    anon.ok("post", "/session/token", status=401)  # the web page's own scripts need a signed-in session
    web = Checked(contract)
    web.force_login(a.user)
    assert web.ok("post", "/session/token")["data"]["expiresIn"] > 0
    anon.ok("post", "/password-reset", {"email": a.email})
    anon.ok("post", "/password-reset/not-a-token", {"password": NEW_PASSWORD}, status=400)
    new = Checked(contract, signed["data"]["token"])
    anon.ok("post", "/password-reset", {"email": "new@example.org"})
    anon.ok("post", f"/password-reset/{sent_reset_token('new@example.org')}", {"password": NEW_PASSWORD})
    new.ok("get", "/user", status=401)  # the reset signed the new member out everywhere

    # --- members ---
    ma.ok("get", "/user")
    ma.ok("patch", "/user", {"firstName": "Ann"})
    ma.ok("patch", "/user", [], status=400)
    ma.ok("get", "/user/entities")
    ma.ok("get", f"/user/entities/{a.entity.pk}")
    ma.ok("get", f"/user/entities/{b.entity.pk}", status=404)
    ma.ok("patch", f"/user/entities/{a.entity.pk}", {"description": "Bakery"})
    ma.ok("get", f"/entities?querying_entity_id={a.entity.pk}&wants=bread")
    ma.ok("get", f"/entities/{b.entity.pk}?querying_entity_id={a.entity.pk}")
    ma.ok("get", f"/entities?querying_entity_id={b.entity.pk}", status=403)
    ma.ok(
        "post",
        "/favorites",
        {"addToEntityID": str(a.entity.pk), "favoriteEntityID": str(b.entity.pk), "isFavorite": True},
    )
    ma.ok(
        "post",
        "/send-email",
        {"senderEntityID": str(a.entity.pk), "receiverEntityID": str(b.entity.pk), "body": "Hello, milk?"},
    )
    ma.ok(
        "post",
        "/send-email",
        {"senderEntityID": str(b.entity.pk), "receiverEntityID": str(a.entity.pk), "body": "Hi"},
        status=403,
    )
    proposed = ma.ok(
        "post",
        "/transfers",
        {
            "transfer": "out",
            "initiator": a.entity.account.number,
            "receiver": b.entity.account.number,
            "amount": 12.5,
        },
    )["data"]
    ma.ok(
        "post",
        "/transfers",
        {
            "transfer": "out",
            "initiator": a.entity.account.number,
            "receiver": b.entity.account.number,
            "amount": "1",
        },
        status=400,
    )
    ma.ok("get", f"/transfers?querying_entity_id={a.entity.pk}")
    ma.ok("get", f"/transfers?querying_entity_id={b.entity.pk}", status=403)
    mb.ok("patch", f"/transfers/{proposed['id']}", {"action": "accept"})
    mb.ok("patch", f"/transfers/{proposed['id']}", {"action": "accept"}, status=409)
    ma.ok("get", f"/balance?querying_entity_id={a.entity.pk}")
    plain = ma.generic("POST", "/api/v1/signup", data="{}", content_type="text/plain")
    contract.check("POST", "/api/v1/signup", plain)
    assert plain.status_code == 415
    pending = ma.ok(
        "post",
        "/transfers",
        {
            "transfer": "in",
            "initiator": a.entity.account.number,
            "receiver": b.entity.account.number,
            "amount": 1,
        },
    )["data"]

    # --- an administrator ---
    token = anon.ok("post", "/admin/login", {"email": admin.email, "password": PASSWORD})["data"]["token"]
    ad = Checked(contract, token)
    ad.ok("get", "/user", status=403)
    ma.ok("get", "/admin/users", status=403)
    category = ad.ok("post", "/admin/categories", {"name": "Bakeries"})["data"]
    ad.ok("patch", f"/admin/categories/{category['id']}", {"name": "bakery"})
    ad.ok("patch", f"/admin/entities/{a.entity.pk}", {"categories": ["bakery"], "maxNegativeBalance": 600})
    ad.ok("patch", f"/admin/entities/{a.entity.pk}", {"categories": ["nothing-such"]}, status=400)
    ad.ok("delete", f"/admin/categories/{category['id']}")
    tag = ad.ok("post", "/admin/tags", {"name": "rye"})["data"]
    ad.ok("patch", f"/admin/tags/{tag['id']}", {"name": "rye-bread"})
    ad.ok("delete", f"/admin/tags/{tag['id']}")
    ad.ok("delete", "/admin/tags/00000000-0000-0000-0000-000000000000", status=404)
    ad.ok("get", "/admin/users?email=example")
    ad.ok("get", f"/admin/users/{a.user.pk}")
    ad.ok("patch", f"/admin/users/{a.user.pk}", {"lastName": "Baker"})
    ad.ok("get", "/admin/entities?offers=bread")
    ad.ok("get", f"/admin/entities/{a.entity.pk}")
    ad.ok("get", "/admin/entities?balance=abc", status=400)
    moved = ad.ok(
        "post",
        "/admin/transfers",
        {
            "payer": b.entity.account.number,
            "payee": a.entity.account.number,
            "amount": 2,
            "description": "fix",
        },
    )["data"]
    ad.ok("get", "/admin/transfers?status=completed")
    ad.ok("get", f"/admin/transfers/{moved['id']}")
    ad.ok("patch", f"/admin/transfers/{pending['id']}", {"action": "cancel", "cancellationReason": "test"})
    ad.ok("patch", f"/admin/transfers/{pending['id']}", {"action": "cancel"}, status=409)
    ad.ok("get", "/admin/logs?action=entity")
    # federation (an MCCS addition): not in a tree yet, then a node with one branch
    ad.ok("patch", "/admin/federation", {"sharing": False}, status=400)
    branch = {"name": "leaf", "url": "http://127.0.0.1:9/cc", "direction": "leafward"}
    ad.ok("post", "/admin/federation/neighbours", branch, status=400)  # the node has no name yet
    federation.federation_init(name="here")
    ad.ok("post", "/admin/federation/neighbours", branch)
    ad.ok("get", "/admin/federation")
    ad.ok("patch", "/admin/federation", {"sharing": False})
    ad.ok("patch", "/admin/federation/neighbours/leaf", {"maxNegativeBalance": 250})
    ad.ok("patch", "/admin/federation/neighbours/nobody", {"maxNegativeBalance": 1}, status=404)
    ma.ok("get", "/admin/federation", status=403)
    # the email outbox (an MCCS addition): one email given up after permanent refusals, sent again
    ad.ok("get", "/admin/emails")
    ad.ok("get", "/admin/emails?status=retrying")
    ad.ok("get", "/admin/emails?status=lost", status=400)
    failed = OutboxEmail.objects.order_by("id").first()
    assert failed is not None
    OutboxEmail.objects.filter(pk=failed.pk).update(
        sent_at=None,
        failed_at=failed.created_at,
        attempts=3,
        last_error="SMTPDataError: (554, b'5.7.1 refused')",
    )
    listed = ad.ok("get", "/admin/emails")["data"]
    assert [e["id"] for e in listed] == [failed.pk] and listed[0]["lastError"].startswith("SMTPDataError")
    ad.ok("post", f"/admin/emails/{failed.pk}/retry")
    ad.ok("post", f"/admin/emails/{failed.pk}/retry", status=409)
    ad.ok("post", "/admin/emails/abc/retry", status=400)
    ma.ok("get", "/admin/emails", status=403)
    # curated synonyms (an MCCS addition, ADR 0130)
    group = ad.ok("post", "/admin/synonyms", {"words": ["mechanic", "car repair"]})["data"]
    ad.ok("post", "/admin/synonyms", {"words": ["mechanic"]}, status=400)
    ad.ok("get", "/admin/synonyms?q=mech")
    ad.ok("get", "/admin/synonyms?page=0", status=400)
    ad.ok("put", f"/admin/synonyms/{group['id']}", {"words": ["mechanic", "garage"]})
    ad.ok("put", "/admin/synonyms/nope", {"words": ["mechanic", "garage"]}, status=404)
    ad.ok("delete", f"/admin/synonyms/{group['id']}")
    ad.ok("delete", f"/admin/synonyms/{group['id']}", status=404)
    ma.ok("get", "/admin/synonyms", status=403)
    ad.ok("delete", f"/admin/entities/{signed['data']['entityID']}")
    ad.ok("delete", f"/admin/users/{signed['data']['userID']}")
    ad.ok("delete", f"/admin/entities/{a.entity.pk}", status=400)  # it traded
    ad.ok("post", "/admin/password-change", {"currentPassword": PASSWORD, "password": NEW_PASSWORD})
    ad.ok("post", "/admin/logout", status=401)  # the change signed the administrator out
    anon.ok("post", "/admin/password-reset", {"email": admin.email})
    anon.ok("post", "/admin/password-reset/not-a-token", {"password": NEW_PASSWORD}, status=400)
    anon.ok(
        "post",
        f"/admin/password-reset/{sent_reset_token(admin.email)}",
        {"password": "a-third-secret-phrase"},
    )
    again = anon.ok("post", "/admin/login", {"email": admin.email, "password": "a-third-secret-phrase"})
    Checked(contract, again["data"]["token"]).ok("post", "/admin/logout")

    # --- members sign out ---
    mb.ok("post", "/password-change", {"currentPassword": PASSWORD, "password": NEW_PASSWORD})
    ma.ok("post", "/logout")
    ma.ok("post", "/logout", status=401)

    every = {
        (method.upper(), path)
        for path, operations in contract.document["paths"].items()
        for method in operations
    }
    reached = {(method, path) for method, path, _ in contract.seen}
    assert every - reached == set(), "operations the tour never reached"
    succeeded = {(method, path) for method, path, status in contract.seen if status == 200}
    assert every - succeeded == set(), "operations the tour never saw succeed"
    assert json.dumps(sorted(contract.seen))  # the record itself is plain data
