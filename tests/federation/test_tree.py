"""A trunk and two branches, each a real `mccs serve` with its own database: payments and payment requests across
the tree, accepted and rejected, limits, a conversion rate, hash chains and the ledger audit on every node."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.federation.cluster import http, settled

pytestmark = pytest.mark.slow


def test_pay_and_request_across_the_tree(nodes):
    alice = nodes["b1"].member("alice")
    bob = nodes["b2"].member("bob")
    bob_path = f"t/b2/{bob.number}"

    # alice pays bob 10: pending on every node with one id, until bob accepts on his node.
    status, body = alice.pay(bob_path, 10, description="apples")
    assert status == 200, body
    transfer_id = body["data"]["id"]
    assert body["data"]["to"] == bob_path
    assert body["data"]["status"] == "transferInitiated"
    seen = bob.transfer(transfer_id)
    assert seen is not None and seen["status"] == "transferInitiated" and seen["amount"] == Decimal(10)
    assert seen["transfer"] == "in" and seen["accountNumber"] == f"t/b1/{alice.number}"
    assert seen["isInitiator"] is False

    status, body = bob.act(transfer_id, "accept")
    assert status == 200, body
    assert body["data"]["status"] == "transferCompleted"
    assert alice.transfer(transfer_id)["status"] == "transferCompleted"
    assert alice.balance() == Decimal(-10)
    assert bob.balance() == Decimal(10)

    # bob asks alice for 4 (a bill); alice rejects it, then he asks again and she accepts.
    alice_path = f"t/b1/{alice.number}"
    status, body = bob.pay(alice_path, 4, direction="in", description="pears")
    assert status == 200, body
    request_id = body["data"]["id"]
    assert alice.transfer(request_id)["transfer"] == "out"
    status, body = alice.act(request_id, "reject", reason="not mine")
    assert status == 200, body
    assert body["data"]["status"] == "transferCancelled"
    assert bob.transfer(request_id)["status"] == "transferCancelled"

    status, body = bob.pay(alice_path, 4, direction="in", description="pears, again")
    second = body["data"]["id"]
    status, body = alice.act(second, "accept")
    assert status == 200, body
    assert body["data"]["status"] == "transferCompleted"
    assert bob.transfer(second)["status"] == "transferCompleted"
    assert alice.balance() == Decimal(-14)
    assert bob.balance() == Decimal(14)

    statuses = settled(nodes)
    assert all(n["lastHash"] for n in statuses["t"]["neighbours"])


def test_limit_refuses_at_proposal_and_pending_counts(nodes):
    alice = nodes["b1"].member("alice")
    bob = nodes["b2"].member("bob")
    # The trunk lets b1 go 1000 below zero; pending amounts count, so two proposals of 600 cannot both stand.
    status, body = alice.pay(f"t/b2/{bob.number}", 600)
    assert status == 400, body  # alice's own limit is 500
    assert "limit" in body["errors"][0]["message"]
    nodes["b1"].admin("PATCH", f"/entities/{alice.entity_id}", {"maxNegativeBalance": 5000})
    nodes["b2"].admin("PATCH", f"/entities/{bob.entity_id}", {"maxPositiveBalance": 5000})
    status, body = alice.pay(f"t/b2/{bob.number}", 600)
    assert status == 200, body
    status, body = alice.pay(f"t/b2/{bob.number}", 600)
    assert status == 400, body
    # Refused at b1 already: the trunk's account here would exceed 1000 counting the pending 600.
    assert "account t above its limit" in body["errors"][0]["message"]
    assert len(alice.transfers()) == 1  # the refused proposal left nothing behind
    statuses = settled(nodes)
    b1_at_trunk = next(n for n in statuses["t"]["neighbours"] if n["name"] == "b1")
    assert b1_at_trunk["pending"] == -600 and b1_at_trunk["balance"] == 0
    t_at_b1 = next(n for n in statuses["b1"]["neighbours"] if n["name"] == "t")
    assert t_at_b1["pending"] == 600


def test_limit_at_the_trunk_refuses_with_the_trunks_reason(nodes):
    alice = nodes["b1"].member("alice")
    bob = nodes["b2"].member("bob")
    nodes["t"].cli(
        "federation", "add-branch", "--name", "b1", "--url", nodes["b1"].cc, "--max-negative", "50"
    )
    status, body = alice.pay(f"t/b2/{bob.number}", 60)
    assert status == 400, body
    assert body["errors"][0]["message"] == "Node t refused: account b1 would go below its limit of -50."
    assert alice.transfers() == []
    settled(nodes)


def test_a_retried_proposal_with_its_idempotency_key_crosses_the_tree_once(nodes):
    alice = nodes["b1"].member("alice")
    bob = nodes["b2"].member("bob")
    url = f"{nodes['b1'].base}/api/v1/transfers"
    body = {"transfer": "out", "initiator": alice.number, "receiver": f"t/b2/{bob.number}", "amount": 7}
    headers = {"Authorization": f"Bearer {alice.token}", "Idempotency-Key": "market-stall-1"}
    first = http("POST", url, {**body, "description": "bread"}, headers)
    assert first[0] == 200, first
    # The client did not see the answer and sends the same request again: the same answer, one transfer.
    again = http("POST", url, {**body, "description": "bread"}, headers)
    assert again == first
    transfer_id = first[1]["data"]["id"]
    assert [t["id"] for t in bob.transfers()] == [transfer_id]
    assert [t["id"] for t in alice.transfers()] == [transfer_id]
    # The same key for another request is refused, and nothing is sent.
    other = http("POST", url, {**body, "description": "cakes"}, headers)
    assert other[0] == 409, other
    assert [t["id"] for t in bob.transfers()] == [transfer_id]
    # Once bob has accepted, the retry still gets the first answer, and still moves nothing more.
    status, answer = bob.act(transfer_id, "accept")
    assert status == 200, answer
    assert http("POST", url, {**body, "description": "bread"}, headers) == first
    assert alice.balance() == Decimal(-7) and bob.balance() == Decimal(7)
    settled(nodes)
