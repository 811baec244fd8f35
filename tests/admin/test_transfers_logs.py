"""Admin transfers (with and without a limit override), cancelling, the ledger audit, and the log search."""

from __future__ import annotations

import pytest

from mccs.audit.models import AuditEntry
from mccs.ledger.audit import ledger_audit
from mccs.ledger.models import Account, Transfer


def numbers(*members):
    return [m.entity.account.number for m in members]


def test_admin_transfer_completes_at_once_as_the_administrator(admin_api, admin, trader, new_entries):
    a, b = trader(name="Payer"), trader(name="Payee")
    response = admin_api.post_json(
        "/admin/transfers",
        {"payer": numbers(a)[0], "payee": numbers(b)[0], "amount": 12.5, "description": "Invoice 7"},
    )
    assert response.status_code == 200, response.content
    data = response.json()["data"]
    assert data["type"] == "adminTransfer" and data["status"] == "transferCompleted"
    assert (data["fromEntityName"], data["toEntityName"], data["amount"]) == ("Payer", "Payee", 12.5)
    assert data["initiatedBy"] == admin.email and data["dateCompleted"]
    assert Account.objects.get(entity=a.entity).balance == -1250
    assert Account.objects.get(entity=b.entity).balance == 1250
    [entry] = new_entries(action="transfer.admin_create")
    assert entry.actor_id == admin.pk and entry.actor_is_admin and entry.object_id == data["id"]
    assert entry.changes == {
        "state": [None, "completed"],
        "payer": [None, numbers(a)[0]],
        "payee": [None, numbers(b)[0]],
        "amount": [None, "12.50"],
        "description": [None, "Invoice 7"],
    }
    assert ledger_audit() == []


def test_admin_transfer_respects_limits(admin_api, trader):
    a, b = trader(), trader()
    response = admin_api.post_json(
        "/admin/transfers", {"payer": numbers(a)[0], "payee": numbers(b)[0], "amount": 500.01}
    )
    assert response.status_code == 400
    assert "limit" in response.json()["errors"][0]["message"]
    assert Transfer.objects.count() == 0


def test_limit_override_raises_limits_in_the_same_transaction_and_is_logged(
    admin_api, admin, trader, new_entries
):
    a, b = trader(), trader()
    response = admin_api.post_json(
        "/admin/transfers",
        {"payer": numbers(a)[0], "payee": numbers(b)[0], "amount": 700, "overrideLimits": True},
    )
    assert response.status_code == 200, response.content
    payer, payee = Account.objects.get(entity=a.entity), Account.objects.get(entity=b.entity)
    assert (payer.balance, payer.max_negative_balance) == (-70000, 70000)
    assert (payee.balance, payee.max_positive_balance) == (70000, 70000)
    overrides = new_entries(action="account.limits_override")
    assert [(e.object_id, e.entity_id, e.changes, e.actor_id) for e in overrides] == [
        (payer.number, str(a.entity.pk), {"maxNegativeBalance": ["500.00", "700.00"]}, admin.pk),
        (payee.number, str(b.entity.pk), {"maxPositiveBalance": ["500.00", "700.00"]}, admin.pk),
    ]
    [created] = new_entries(action="transfer.admin_create")
    assert created.changes["limitOverride"] == [None, ["maxNegativeBalance", "maxPositiveBalance"]]
    assert ledger_audit() == []


def test_override_within_limits_changes_no_limit(admin_api, trader, new_entries):
    a, b = trader(), trader()
    assert (
        admin_api.post_json(
            "/admin/transfers",
            {"payer": numbers(a)[0], "payee": numbers(b)[0], "amount": 1, "overrideLimits": True},
        ).status_code
        == 200
    )
    assert new_entries(action="account.limits_override") == []
    assert new_entries(action="transfer.admin_create")[0].changes["limitOverride"] == [None, []]


def test_admin_transfer_bad_input(admin_api, trader):
    a, b = trader(), trader()
    pa, pb = numbers(a, b)
    for body in (
        {"payer": pa, "payee": pb},
        {"payer": pa, "payee": pb, "amount": 0},
        {"payer": pa, "payee": pb, "amount": "5"},
        {"payer": pa, "payee": pb, "amount": 1.001},
        {"payer": pa, "payee": pa, "amount": 1},
        {"payer": "1234", "payee": pb, "amount": 1},
        {"payer": pa, "payee": pb, "amount": 1, "overrideLimits": "yes"},
    ):
        response = admin_api.post_json("/admin/transfers", body)
        assert response.status_code == 400, (body, response.content)
    assert Transfer.objects.count() == 0


def test_transfer_list_get_and_cancel(admin_api, admin, trader, new_entries):
    a, b = trader(), trader()
    pending = a.api.post_json(
        "/transfers", {"transfer": "out", "initiator": numbers(a)[0], "receiver": numbers(b)[0], "amount": 3}
    ).json()["data"]
    admin_api.post_json("/admin/transfers", {"payer": numbers(b)[0], "payee": numbers(a)[0], "amount": 1})
    listed = admin_api.get_json("/admin/transfers").json()
    assert listed["meta"]["numberOfResults"] == 2
    initiated = admin_api.get_json("/admin/transfers?status=initiated").json()["data"]
    assert [t["id"] for t in initiated] == [pending["id"]] and initiated[0]["type"] == "transfer"
    assert admin_api.get_json("/admin/transfers?status=bogus").status_code == 400
    assert (
        admin_api.get_json(f"/admin/transfers/{pending['id']}").json()["data"]["status"]
        == "transferInitiated"
    )

    assert admin_api.patch_json(f"/admin/transfers/{pending['id']}", {"action": "accept"}).status_code == 400
    response = admin_api.patch_json(
        f"/admin/transfers/{pending['id']}", {"action": "cancel", "cancellationReason": "Entered twice"}
    )
    assert response.status_code == 200, response.content
    data = response.json()["data"]
    assert data["status"] == "transferCancelled" and data["cancellationReason"] == "Entered twice"
    [entry] = new_entries(action="transfer.cancel")
    assert entry.actor_id == admin.pk and entry.actor_is_admin
    assert entry.entity_id == str(a.entity.pk)
    assert entry.changes == {
        "state": ["pending", "cancelled"],
        "cancellationReason": [None, "Entered twice"],
        "counterparty": [None, numbers(b)[0]],
    }
    again = admin_api.patch_json(f"/admin/transfers/{pending['id']}", {"action": "cancel"})
    assert again.status_code == 409
    assert ledger_audit() == []


# --- logs -------------------------------------------------------------------------------------------------------


def test_logs_search_by_user_entity_action_category_and_date(admin_api, admin, make_member):
    m = make_member("logged@example.org")
    m.api.patch_json("/user", {"firstName": "Lou"})
    admin_api.patch_json(f"/admin/entities/{m.entity.pk}", {"status": "accepted"})

    def search(query):
        response = admin_api.get_json(f"/admin/logs{query}")
        assert response.status_code == 200, response.content
        return response.json()

    by_email = search("?email=logged@example.org")["data"]
    assert [e["action"] for e in by_email] == ["user.update", "user.signup"]
    first = by_email[0]
    assert first["userID"] == str(m.user.pk) and first["category"] == "user"
    assert first["changes"] == {"first_name": ["", "Lou"]}
    assert "first_name: — → Lou" in first["detail"] and first["createdAt"].endswith("Z")
    assert first["ip"] == "127.0.0.1"

    about = [e["action"] for e in search(f"?userID={m.user.pk}")["data"]]
    assert about == ["user.update", "user.signup"]
    by_entity = [e["action"] for e in search(f"?entityID={m.entity.pk}")["data"]]
    assert by_entity == ["entity.status_change", "user.signup"]
    status = search("?action=entity.status_change")["data"]
    assert len(status) == 1 and status[0]["category"] == "admin" and status[0]["email"] == admin.email
    assert {e["action"] for e in search("?action=login")["data"]} == {"admin.login"}
    assert {e["category"] for e in search("?category=admin")["data"]} == {"admin"}
    assert {e["category"] for e in search("?category=user")["data"]} == {"user"}
    today = AuditEntry.objects.first().at.date().isoformat()
    everything = search(f"?date_from={today}&date_to={today}")["meta"]["numberOfResults"]
    assert everything == AuditEntry.objects.count()
    assert search("?date_to=2000-01-01")["meta"]["numberOfResults"] == 0
    paged = search("?page_size=2&page=1")
    assert len(paged["data"]) == 2 and paged["meta"]["numberOfResults"] == AuditEntry.objects.count()


def test_logs_bad_filters_are_400(admin_api):
    for query in ("?category=robots", "?date_from=yesterday", "?page_size=500"):
        assert admin_api.get_json(f"/admin/logs{query}").status_code == 400, query


def test_mccs_ledger_audit_command_stays_clean_after_admin_work(admin_api, trader, capsys):
    from mccs.cli import main

    a, b = trader(), trader()
    pa, pb = numbers(a, b)
    admin_api.post_json("/admin/transfers", {"payer": pa, "payee": pb, "amount": 400})
    admin_api.post_json("/admin/transfers", {"payer": pa, "payee": pb, "amount": 300, "overrideLimits": True})
    admin_api.patch_json(
        f"/admin/entities/{a.entity.pk}", {"maxNegativeBalance": 700, "maxPositiveBalance": 0}
    )
    admin_api.patch_json(
        f"/admin/entities/{b.entity.pk}", {"maxPositiveBalance": 700, "maxNegativeBalance": 0}
    )
    assert Account.objects.get(entity=a.entity).balance == -70000
    assert main(["ledger-audit"]) == 0
    assert "VIOLATION" not in capsys.readouterr().out


@pytest.mark.parametrize("value", ["2024-02-30", "2024-05-31T25:00"])
def test_impossible_dates_in_the_log_search_are_a_400(admin_api, value):
    response = admin_api.get_json(f"/admin/logs?date_from={value}")
    assert response.status_code == 400, response.content
