"""The exact audit entry of each kind of write, by members and by administrators (including the writes other
parts of the system make), and that no secret ever reaches the log."""

from __future__ import annotations

import json
import re

from django.core import mail

from mccs.audit.models import AuditEntry
from tests.conftest import PASSWORD, ApiClient, deliver_outbox

IP = "127.0.0.1"


def view(entry: AuditEntry) -> dict:
    return {
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "entity_id": entry.entity_id,
        "user_id": entry.user_id,
        "actor": entry.actor_id,
        "actor_email": entry.actor_email,
        "admin": entry.actor_is_admin,
        "ip": entry.ip,
        "changes": entry.changes,
    }


def test_member_account_writes(api, db, new_entries, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    signup = api.post_json(
        "/signup",
        {"userEmail": "new@example.org", "password": PASSWORD, "entityName": "New Co", "firstName": "Nia"},
    )
    assert signup.status_code == 200, signup.content
    ids = signup.json()["data"]
    uid, eid = ids["userID"], ids["entityID"]
    client = ApiClient(ids["token"])
    from mccs.ledger.models import Account

    number = Account.objects.get(entity_id=eid).number
    assert client.patch_json("/user", {"lastName": "Ng"}).status_code == 200
    assert client.patch_json(f"/user/entities/{eid}", {"city": "Hull", "wants": ["Paint"]}).status_code == 200
    assert (
        api.post_json("/login", {"email": "new@example.org", "password": "wrong-password"}).status_code == 400
    )
    login = api.post_json("/login", {"email": "new@example.org", "password": PASSWORD})
    second = ApiClient(login.json()["data"]["token"])
    assert (
        second.post_json(
            "/password-change", {"currentPassword": PASSWORD, "password": "another-long-secret"}
        ).status_code
        == 200
    )
    assert api.post_json("/password-reset", {"email": "new@example.org"}).status_code == 200
    deliver_outbox()
    token = re.search(r"/password-reset/(\S+)", mail.outbox[-1].body).group(1)
    assert api.post_json(f"/password-reset/{token}", {"password": "yet-another-secret"}).status_code == 200
    login = api.post_json("/login", {"email": "new@example.org", "password": "yet-another-secret"})
    assert ApiClient(login.json()["data"]["token"]).post_json("/logout").status_code == 200

    base = {
        "object_type": "user",
        "object_id": uid,
        "entity_id": "",
        "user_id": uid,
        "actor": None,
        "actor_email": "new@example.org",
        "admin": False,
        "ip": IP,
        "changes": {},
    }
    import uuid

    me = uuid.UUID(uid)
    assert [view(e) for e in new_entries()] == [
        {**base, "action": "user.update", "actor": me, "changes": {"first_name": ["", "Nia"]}},
        {
            **base,
            "action": "user.signup",
            "actor": me,
            "entity_id": eid,
            "changes": {
                "email": [None, "new@example.org"],
                "entityName": [None, "New Co"],
                "accountNumber": [None, number],
            },
        },
        {**base, "action": "user.update", "actor": me, "changes": {"last_name": ["", "Ng"]}},
        {
            **base,
            "action": "entity.update",
            "actor": me,
            "object_type": "entity",
            "object_id": eid,
            "entity_id": eid,
            "user_id": "",
            "changes": {"city": ["", "Hull"], "wants": [[], ["paint"]]},
        },
        {**base, "action": "user.login_failed", "user_id": ""},
        {**base, "action": "user.login", "actor": me},
        {**base, "action": "user.password_change", "actor": me},
        {**base, "action": "user.password_reset_requested"},
        {**base, "action": "user.password_reset"},
        {**base, "action": "user.login", "actor": me},
        {**base, "action": "user.logout", "actor": me},
    ]


def test_member_directory_and_transfer_writes(trader, new_entries):
    a, b = trader(name="A"), trader(name="B")
    na, nb = a.entity.account.number, b.entity.account.number
    start = len(new_entries())
    assert (
        a.api.post_json(
            "/favorites",
            {"addToEntityID": str(a.entity.pk), "favoriteEntityID": str(b.entity.pk), "isFavorite": True},
        ).status_code
        == 200
    )
    assert (
        a.api.post_json(
            "/send-email",
            {"senderEntityID": str(a.entity.pk), "receiverEntityID": str(b.entity.pk), "body": "Hello there"},
        ).status_code
        == 200
    )
    t1 = a.api.post_json(
        "/transfers",
        {"transfer": "out", "initiator": na, "receiver": nb, "amount": 2, "description": "Lunch"},
    ).json()["data"]["id"]
    assert b.api.patch_json(f"/transfers/{t1}", {"action": "accept"}).status_code == 200
    t2 = a.api.post_json(
        "/transfers", {"transfer": "in", "initiator": na, "receiver": nb, "amount": 1}
    ).json()
    t2 = t2["data"]["id"]
    assert (
        b.api.patch_json(f"/transfers/{t2}", {"action": "reject", "cancellationReason": "No"}).status_code
        == 200
    )
    t3 = a.api.post_json(
        "/transfers", {"transfer": "out", "initiator": na, "receiver": nb, "amount": 1}
    ).json()
    t3 = t3["data"]["id"]
    assert a.api.patch_json(f"/transfers/{t3}", {"action": "cancel"}).status_code == 200

    ea, eb = str(a.entity.pk), str(b.entity.pk)
    base = {
        "entity_id": ea,
        "user_id": "",
        "actor": a.user.pk,
        "actor_email": a.email,
        "admin": False,
        "ip": IP,
    }
    # Accept and reject are recorded against the entity that responded; the other side is the counterparty.
    by_b = {**base, "entity_id": eb, "actor": b.user.pk, "actor_email": b.email}
    assert [view(e) for e in new_entries()[start:]] == [
        {
            **base,
            "action": "favorite.set",
            "object_type": "entity",
            "object_id": eb,
            "changes": {"isFavorite": [False, True]},
        },
        {
            **base,
            "action": "contact.send",
            "object_type": "entity",
            "object_id": eb,
            "changes": {"bodyLength": [None, 11]},
        },
        {
            **base,
            "action": "transfer.propose",
            "object_type": "transfer",
            "object_id": t1,
            "changes": {
                "state": [None, "pending"],
                "payer": [None, na],
                "payee": [None, nb],
                "amount": [None, "2.00"],
                "description": [None, "Lunch"],
            },
        },
        {
            **by_b,
            "action": "transfer.accept",
            "object_type": "transfer",
            "object_id": t1,
            "changes": {
                "state": ["pending", "completed"],
                "payerBalance": ["0.00", "-2.00"],
                "payeeBalance": ["0.00", "2.00"],
                "counterparty": [None, na],
            },
        },
        {
            **base,
            "action": "transfer.propose",
            "object_type": "transfer",
            "object_id": t2,
            "changes": {
                "state": [None, "pending"],
                "payer": [None, nb],
                "payee": [None, na],
                "amount": [None, "1.00"],
                "description": [None, ""],
            },
        },
        {
            **by_b,
            "action": "transfer.reject",
            "object_type": "transfer",
            "object_id": t2,
            "changes": {
                "state": ["pending", "cancelled"],
                "cancellationReason": [None, "No"],
                "counterparty": [None, na],
            },
        },
        {
            **base,
            "action": "transfer.propose",
            "object_type": "transfer",
            "object_id": t3,
            "changes": {
                "state": [None, "pending"],
                "payer": [None, na],
                "payee": [None, nb],
                "amount": [None, "1.00"],
                "description": [None, ""],
            },
        },
        {
            **base,
            "action": "transfer.cancel",
            "object_type": "transfer",
            "object_id": t3,
            "changes": {
                "state": ["pending", "cancelled"],
                "cancellationReason": [None, ""],
                "counterparty": [None, nb],
            },
        },
    ]


def test_admin_account_writes(admin, api, new_entries):
    assert (
        api.post_json("/admin/login", {"email": admin.email, "password": "nope-nope-nope"}).status_code == 400
    )
    token = api.post_json("/admin/login", {"email": admin.email, "password": PASSWORD}).json()["data"][
        "token"
    ]
    client = ApiClient(token)
    assert client.post_json("/admin/logout").status_code == 200
    base = {
        "object_type": "user",
        "object_id": str(admin.pk),
        "entity_id": "",
        "user_id": str(admin.pk),
        "actor": admin.pk,
        "actor_email": admin.email,
        "admin": True,
        "ip": IP,
        "changes": {},
    }
    assert [view(e) for e in new_entries()] == [
        {**base, "action": "admin.login_failed", "actor": None, "admin": False, "user_id": ""},
        {**base, "action": "admin.login"},
        {**base, "action": "admin.logout"},
    ]


def test_no_secret_ever_reaches_the_log(api, db, admin):
    signup = api.post_json("/signup", {"userEmail": "s@example.org", "password": PASSWORD}).json()["data"]
    client = ApiClient(signup["token"])
    client.post_json("/password-change", {"currentPassword": PASSWORD, "password": "a-brand-new-secret"})
    admin_token = api.post_json("/admin/login", {"email": admin.email, "password": PASSWORD}).json()["data"][
        "token"
    ]
    dump = json.dumps([view(e) for e in AuditEntry.objects.all()], default=str)
    for secret in (PASSWORD, "a-brand-new-secret", signup["token"], admin_token):
        assert secret not in dump
    assert "password" not in {key for e in AuditEntry.objects.all() for key in e.changes}
