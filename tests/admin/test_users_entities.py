"""Admin users and entities: search, view, edit (status, categories, limits), delete."""

from __future__ import annotations

from django.core import mail

from mccs.audit.models import AuditEntry
from mccs.directory.models import Entity, EntityStatus
from mccs.ledger.models import Account
from mccs.notifications.models import OutboxEmail
from mccs.users.models import User
from tests.conftest import deliver_outbox

# --- users ------------------------------------------------------------------------------------------------------


def test_user_search_by_last_name_and_email(admin_api, make_member):
    a = make_member("ann@example.org")
    make_member("bob@example.org")
    admin_api.patch_json(f"/admin/users/{a.user.pk}", {"lastName": "Smith"})
    response = admin_api.get_json("/admin/users?last_name=smi")
    body = response.json()
    assert response.status_code == 200
    assert [u["email"] for u in body["data"]] == ["ann@example.org"]
    assert body["meta"] == {"numberOfResults": 1, "totalPages": 1}
    assert body["data"][0]["entities"][0]["id"] == str(a.entity.pk)
    assert [u["email"] for u in admin_api.get_json("/admin/users?email=BOB").json()["data"]] == [
        "bob@example.org"
    ]
    page = admin_api.get_json("/admin/users?page_size=1&page=2").json()
    assert page["meta"] == {"numberOfResults": 2, "totalPages": 2} and len(page["data"]) == 1
    assert admin_api.get_json("/admin/users?page_size=0").status_code == 400
    assert admin_api.get_json("/admin/users?page=x").status_code == 400


def test_user_get(admin_api, member):
    data = admin_api.get_json(f"/admin/users/{member.user.pk}").json()["data"]
    assert data["id"] == str(member.user.pk) and data["email"] == member.email
    assert data["entities"][0]["accountNumber"] == member.entity.account.number


def test_user_patch_is_audited_and_email_change_signs_out(admin_api, admin, member, new_entries):
    response = admin_api.patch_json(
        f"/admin/users/{member.user.pk}",
        {"firstName": "Jane", "lastName": "Doe", "email": "Jane@Example.org"},
    )
    assert response.status_code == 200, response.content
    data = response.json()["data"]
    assert (data["firstName"], data["lastName"], data["email"]) == ("Jane", "Doe", "jane@example.org")
    entries = new_entries(object_type="user")
    assert [(e.action, e.changes) for e in entries] == [
        ("user.update", {"email": [member.email, "jane@example.org"]}),
        ("user.update", {"first_name": ["", "Jane"], "last_name": ["", "Doe"]}),
    ]
    assert all(
        e.actor_id == admin.pk and e.actor_is_admin and e.user_id == str(member.user.pk) for e in entries
    )
    assert member.api.get_json("/user").status_code == 401  # tokens revoked with the address change


def test_user_patch_refusals(admin_api, make_member):
    a, b = make_member(), make_member()
    assert admin_api.patch_json(f"/admin/users/{a.user.pk}", {"email": b.email}).status_code == 400
    assert admin_api.patch_json(f"/admin/users/{a.user.pk}", {"email": "not an email"}).status_code == 400
    assert admin_api.patch_json(f"/admin/users/{a.user.pk}", {"firstName": "x" * 101}).status_code == 400
    assert admin_api.patch_json(f"/admin/users/{a.user.pk}", {"firstName": 5}).status_code == 400


def test_user_delete_without_ledger_history_deletes(admin_api, admin, member, new_entries):
    response = admin_api.delete_json(f"/admin/users/{member.user.pk}")
    assert response.status_code == 200
    assert response.json()["data"]["email"] == member.email
    assert not User.objects.filter(pk=member.user.pk).exists()
    assert Entity.objects.filter(pk=member.entity.pk).exists()  # entities own accounts; they stay
    [entry] = new_entries(action="user.delete")
    assert entry.changes == {
        "email": [member.email, None],
        "firstName": ["", None],
        "lastName": ["", None],
        "telephone": ["", None],
        "entities": [[str(member.entity.pk)], None],
    }
    # Their own earlier audit entries survive, still naming them.
    assert AuditEntry.objects.filter(
        action="user.signup", actor_email=member.email, actor__isnull=True
    ).exists()
    assert admin_api.get_json(f"/admin/users/{member.user.pk}").status_code == 404


def test_user_delete_with_ledger_history_deactivates(admin_api, trader, new_entries):
    a, b = trader(), trader()
    proposed = a.api.post_json(
        "/transfers",
        {
            "transfer": "out",
            "initiator": a.entity.account.number,
            "receiver": b.entity.account.number,
            "amount": 5,
        },
    )
    assert proposed.status_code == 200, proposed.content
    response = admin_api.delete_json(f"/admin/users/{a.user.pk}")
    assert response.status_code == 200
    user = User.objects.get(pk=a.user.pk)
    assert not user.is_active and not user.has_usable_password()
    assert list(user.entities.all()) == []
    assert a.api.get_json("/user").status_code == 401
    [entry] = new_entries(action="user.deactivate")
    assert entry.changes == {"isActive": [True, False], "entities": [[str(a.entity.pk)], []]}


# --- entities ---------------------------------------------------------------------------------------------------


def test_entity_search_sees_every_status_and_filters(admin_api, make_member):
    pending = make_member(name="Pending Bakery", city="Leeds", offers=["bread"])
    make_member(name="Rejected Garage", status=EntityStatus.REJECTED, wants=["tyres"])
    trading = make_member(name="Trading Farm", status=EntityStatus.TRADING_ACCEPTED, offers=["eggs"])
    names = lambda q: [e["name"] for e in admin_api.get_json(f"/admin/entities{q}").json()["data"]]  # noqa: E731
    assert names("") == ["Pending Bakery", "Rejected Garage", "Trading Farm"]
    assert names("?status=pending") == ["Pending Bakery"]
    assert names("?offers=bre") == ["Pending Bakery"]
    assert names("?wants=tyres") == ["Rejected Garage"]
    assert names("?city=leeds") == ["Pending Bakery"]
    assert names(f"?account_number={trading.entity.account.number}") == ["Trading Farm"]
    assert names("?name=farm") == ["Trading Farm"]
    assert names("?max_pos_bal=500") == ["Pending Bakery", "Rejected Garage", "Trading Farm"]
    assert names("?max_pos_bal=501") == []
    assert names("?balance=0") == ["Pending Bakery", "Rejected Garage", "Trading Farm"]
    data = admin_api.get_json("/admin/entities?name=bakery").json()["data"][0]
    assert data["users"][0]["email"] == pending.email
    assert data["email"] == pending.email and data["maxPositiveBalance"] == 500
    assert admin_api.get_json("/admin/entities?status=nonsense").status_code == 400
    assert admin_api.get_json("/admin/entities?balance=abc").status_code == 400


def test_entity_get(admin_api, member):
    data = admin_api.get_json(f"/admin/entities/{member.entity.pk}").json()["data"]
    assert data["id"] == str(member.entity.pk)
    assert data["status"] == "pending" and data["balance"] == 0 and data["pendingTransfers"] == []
    assert [u["id"] for u in data["users"]] == [str(member.user.pk)]


def test_entity_patch_details_are_audited(admin_api, admin, member, new_entries):
    response = admin_api.patch_json(
        f"/admin/entities/{member.entity.pk}", {"name": "New Name", "city": "York", "offers": ["Apples"]}
    )
    assert response.status_code == 200, response.content
    data = response.json()["data"]
    assert (data["name"], data["city"], data["offers"]) == ("New Name", "York", ["apples"])
    [entry] = new_entries(action="entity.update")
    assert entry.actor_id == admin.pk and entry.actor_is_admin
    assert entry.entity_id == str(member.entity.pk) and entry.object_type == "entity"
    assert entry.changes == {
        "name": [member.entity.name, "New Name"],
        "city": ["", "York"],
        "offers": [[], ["apples"]],
    }


def test_status_change_sets_member_started_at_once_and_emails(
    admin_api, admin, member, new_entries, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox.clear()
    url = f"/admin/entities/{member.entity.pk}"
    assert admin_api.patch_json(url, {"status": "accepted"}).json()["data"].get("memberStartedAt") is None
    first = admin_api.patch_json(url, {"status": "tradingAccepted"}).json()["data"]
    started = first["memberStartedAt"]
    assert started
    admin_api.patch_json(url, {"status": "tradingRejected"})
    again = admin_api.patch_json(url, {"status": "tradingAccepted"}).json()["data"]
    assert again["memberStartedAt"] == started  # only the first time
    entries = new_entries(action="entity.status_change")
    assert [e.changes["status"] for e in entries] == [
        ["pending", "accepted"],
        ["accepted", "tradingAccepted"],
        ["tradingAccepted", "tradingRejected"],
        ["tradingRejected", "tradingAccepted"],
    ]
    assert "memberStartedAt" in entries[1].changes and entries[1].changes["memberStartedAt"][0] is None
    assert all("memberStartedAt" not in e.changes for e in (entries[0], entries[2], entries[3]))
    deliver_outbox()
    sent = [m for m in mail.outbox if not m.subject.startswith("Welcome")]
    assert [m.to for m in sent] == [[member.email]] * 4
    assert sent[0].subject == "You are now listed in the MCCS directory"
    assert sent[1].subject == "You can now trade in mutual credit"
    assert member.entity.account.number in sent[1].body
    assert "from Listed, not trading yet to Trading." in sent[1].body


def test_same_status_again_changes_nothing(admin_api, member, new_entries):
    emails_before = OutboxEmail.objects.count()
    response = admin_api.patch_json(f"/admin/entities/{member.entity.pk}", {"status": "pending"})
    assert response.status_code == 200, response.json()
    assert response.json()["data"]["status"] == "pending"
    member.entity.refresh_from_db()
    assert member.entity.status == "pending"
    assert new_entries(action="entity.status_change") == []
    assert OutboxEmail.objects.count() == emails_before


def test_bad_entity_input_is_400_and_changes_nothing(admin_api, member):
    url = f"/admin/entities/{member.entity.pk}"
    for body in (
        {"status": "superstar"},
        {"categories": ["nope"]},
        {"maxPositiveBalance": -1},
        {"maxNegativeBalance": 1.001},
        {"declaredTurnover": "lots"},
        {"email": "x"},
        {"name": "Changed", "status": "superstar"},
    ):
        response = admin_api.patch_json(url, body)
        assert response.status_code == 400, body
        assert response.json()["errors"][0]["message"]
    entity = Entity.objects.get(pk=member.entity.pk)
    assert entity.status == "pending" and entity.name == member.entity.name


def test_limits_are_set_and_audited(admin_api, admin, member, new_entries):
    response = admin_api.patch_json(
        f"/admin/entities/{member.entity.pk}", {"maxPositiveBalance": 1000, "maxNegativeBalance": 250.5}
    )
    assert response.status_code == 200, response.content
    data = response.json()["data"]
    assert (data["maxPositiveBalance"], data["maxNegativeBalance"]) == (1000, 250.5)
    account = Account.objects.get(entity=member.entity)
    assert (account.max_positive_balance, account.max_negative_balance) == (100000, 25050)
    [entry] = new_entries(action="account.limits_change")
    assert entry.actor_id == admin.pk and entry.entity_id == str(member.entity.pk)
    assert entry.object_type == "account" and entry.object_id == account.number
    assert entry.changes == {
        "maxPositiveBalance": ["500.00", "1,000.00"],
        "maxNegativeBalance": ["500.00", "250.50"],
    }


def test_limits_below_the_balance_are_refused_and_nothing_changes(admin_api, trader):
    a, b = trader(), trader()
    response = admin_api.post_json(
        "/admin/transfers",
        {"payer": a.entity.account.number, "payee": b.entity.account.number, "amount": 100},
    )
    assert response.status_code == 200, response.content
    refused = admin_api.patch_json(
        f"/admin/entities/{a.entity.pk}", {"maxNegativeBalance": 50, "name": "Renamed"}
    )
    assert refused.status_code == 400
    assert "maximum negative balance" in refused.json()["errors"][0]["message"]
    refused = admin_api.patch_json(f"/admin/entities/{b.entity.pk}", {"maxPositiveBalance": 99.99})
    assert refused.status_code == 400
    assert Account.objects.get(entity=a.entity).max_negative_balance == 50000
    assert Entity.objects.get(pk=a.entity.pk).name == a.entity.name
    assert (
        admin_api.patch_json(f"/admin/entities/{a.entity.pk}", {"maxNegativeBalance": 100}).status_code == 200
    )


def test_entity_delete_without_history(admin_api, admin, member, new_entries):
    number = member.entity.account.number
    response = admin_api.delete_json(f"/admin/entities/{member.entity.pk}")
    assert response.status_code == 200
    assert response.json()["data"]["id"] == str(member.entity.pk)
    assert not Entity.objects.filter(pk=member.entity.pk).exists()
    assert not Account.objects.filter(number=number).exists()
    [entry] = new_entries(action="entity.delete")
    assert entry.changes == {
        "name": [member.entity.name, None],
        "email": [member.email, None],
        "status": ["pending", None],
        "accountNumber": [number, None],
        "users": [[str(member.user.pk)], None],
    }


def test_entity_delete_with_history_is_refused(admin_api, trader, new_entries):
    a, b = trader(), trader()
    a.api.post_json(
        "/transfers",
        {
            "transfer": "out",
            "initiator": a.entity.account.number,
            "receiver": b.entity.account.number,
            "amount": 5,
        },
    )
    for m in (a, b):  # even a pending transfer is history
        response = admin_api.delete_json(f"/admin/entities/{m.entity.pk}")
        assert response.status_code == 400
        assert "cannot be deleted" in response.json()["errors"][0]["message"]
        assert Entity.objects.filter(pk=m.entity.pk).exists()
    assert new_entries(action="entity.delete") == []
