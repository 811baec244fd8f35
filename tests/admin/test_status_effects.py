"""What an administrator's status decision changes for the member, across the directory and the ledger."""

from __future__ import annotations

import pytest

from mccs.directory.models import EntityStatus


def listed_ids(api):
    response = api.get_json("/entities?page_size=100")
    assert response.status_code == 200
    return {e["id"] for e in response.json()["data"]}


@pytest.mark.parametrize(
    ("status", "listed"),
    [
        ("pending", False),
        ("rejected", False),
        ("accepted", True),
        ("tradingPending", True),
        ("tradingRejected", True),
        ("tradingAccepted", True),
    ],
)
def test_listing_follows_the_status(admin_api, api, member, status, listed):
    if status != "pending":
        assert (
            admin_api.patch_json(f"/admin/entities/{member.entity.pk}", {"status": status}).status_code == 200
        )
    assert (str(member.entity.pk) in listed_ids(api)) is listed
    assert (api.get_json(f"/entities/{member.entity.pk}").status_code == 200) is listed


@pytest.mark.parametrize("status", ["pending", "accepted", "tradingPending", "tradingRejected", "rejected"])
def test_only_trading_accepted_members_trade_and_only_with_each_other(admin_api, make_member, status):
    trader = make_member(status=EntityStatus.TRADING_ACCEPTED)
    other = make_member()
    admin_api.patch_json(f"/admin/entities/{other.entity.pk}", {"status": status})
    a, b = trader.entity.account.number, other.entity.account.number
    refused = trader.api.post_json(
        "/transfers", {"transfer": "out", "initiator": a, "receiver": b, "amount": 1}
    )
    assert refused.status_code == 400
    assert "not accepted for trading" in refused.json()["errors"][0]["message"]
    refused = other.api.post_json(
        "/transfers", {"transfer": "out", "initiator": b, "receiver": a, "amount": 1}
    )
    assert refused.status_code == 400

    admin_api.patch_json(f"/admin/entities/{other.entity.pk}", {"status": "tradingAccepted"})
    ok = trader.api.post_json("/transfers", {"transfer": "out", "initiator": a, "receiver": b, "amount": 1})
    assert ok.status_code == 200, ok.content
