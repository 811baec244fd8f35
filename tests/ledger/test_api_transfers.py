"""The transfer API end to end: propose, accept, reject, cancel, list, balance — and every refusal."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core import mail

from mccs.audit.models import AuditEntry
from mccs.directory.models import EntityStatus
from mccs.ledger.audit import ledger_audit
from mccs.ledger.models import Posting, Transfer
from tests.conftest import deliver_outbox
from tests.ledger.conftest import account, act, number, propose


def balance(member) -> Decimal:
    response = member.api.get_json(f"/balance?querying_entity_id={member.entity.id}")
    assert response.status_code == 200, response.content
    return Decimal(str(response.json()["data"]["balance"]))


def test_pay_then_accept_moves_credit_exactly(alice, bob):
    created = propose(alice, bob, 12.5, description="Bread for the week").json()["data"]
    assert created["status"] == "transferInitiated"
    assert created["from"] == number(alice) and created["to"] == number(bob)
    assert created["amount"] == 12.5
    assert balance(alice) == 0 and balance(bob) == 0, "nothing moves before acceptance"

    done = act(bob, created["id"], "accept").json()["data"]
    assert done["status"] == "transferCompleted"
    assert done["transfer"] == "in" and done["isInitiator"] is False
    assert done["accountNumber"] == number(alice) and done["entityName"] == "Alice's Bakery"
    assert "dateCompleted" in done
    assert balance(alice) == Decimal("-12.50") and balance(bob) == Decimal("12.50")
    assert sorted(Posting.objects.values_list("amount", flat=True)) == [-1250, 1250]
    assert ledger_audit() == []
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"transfer.propose", "transfer.accept"} <= actions


def test_ten_transfers_of_a_tenth_make_exactly_one(alice, bob):
    for _ in range(10):
        act(bob, propose(alice, bob, 0.1).json()["data"]["id"], "accept")
    response = bob.api.get_json(f"/balance?querying_entity_id={bob.entity.id}")
    assert response.content.count(b'"balance": 1.00') == 1
    assert account(bob).balance == 100


def test_request_payment_is_paid_by_the_receiver(alice, bob):
    created = propose(alice, bob, 7, direction="in").json()["data"]
    assert created["from"] == number(bob) and created["to"] == number(alice)
    listed = bob.api.get_json(f"/transfers?querying_entity_id={bob.entity.id}&status=initiated").json()
    assert listed["meta"] == {"numberOfResults": 1, "totalPages": 1}
    assert listed["data"][0]["transfer"] == "out" and listed["data"][0]["isInitiator"] is False
    act(bob, created["id"], "accept")
    assert balance(alice) == 7 and balance(bob) == -7


@pytest.mark.parametrize(
    "amount, message",
    [
        (0, "greater than zero"),
        (-5, "must not be negative"),
        (1.234, "at most two decimals"),
        ("10", "must be a number"),
        (True, "must be a number"),
        (None, "must be a number"),
        (10**20, "too large"),
        ("NaN", "must be a number"),
    ],
)
def test_bad_amounts_are_refused(alice, bob, amount, message):
    response = propose(alice, bob, amount, expect=400)
    assert message in response.json()["errors"][0]["message"]
    assert not Transfer.objects.exists()


@pytest.mark.parametrize("literal", [b"NaN", b"Infinity", b"-Infinity", b"1e400"])
def test_non_finite_json_numbers_are_refused(alice, bob, literal):
    body = b'{"transfer":"out","initiator":"%s","receiver":"%s","amount":%s}' % (
        number(alice).encode(),
        number(bob).encode(),
        literal,
    )
    response = alice.api.post(
        "/api/v1/transfers",
        data=body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {alice.token}",
    )
    assert response.status_code == 400, response.content
    assert not Transfer.objects.exists()


def test_refusals_when_proposing(alice, bob, make_member):
    assert (
        "own account"
        in alice.api.post_json(
            "/transfers",
            {"transfer": "out", "initiator": number(alice), "receiver": number(alice), "amount": 1},
        ).json()["errors"][0]["message"]
    )
    # the initiator must be the caller's own account
    response = alice.api.post_json(
        "/transfers", {"transfer": "out", "initiator": number(bob), "receiver": number(alice), "amount": 1}
    )
    assert response.status_code == 403
    # an account number with a wrong check digit
    bad = number(bob)[:-1] + str((int(number(bob)[-1]) + 1) % 10)
    response = alice.api.post_json(
        "/transfers", {"transfer": "out", "initiator": number(alice), "receiver": bad, "amount": 1}
    )
    assert (
        response.status_code == 400
        and "not a valid account number" in response.json()["errors"][0]["message"]
    )
    # both must be accepted for trading
    newcomer = make_member(status=EntityStatus.ACCEPTED, name="Newcomer")
    response = propose(alice, newcomer, 1, expect=400)
    assert "not accepted for trading" in response.json()["errors"][0]["message"]
    response = propose(newcomer, alice, 1, expect=400)
    assert "Newcomer is not accepted for trading" in response.json()["errors"][0]["message"]
    # limits are checked when proposing (default limits: 500 each way)
    response = propose(alice, bob, 500.01, expect=400)
    assert "below its limit" in response.json()["errors"][0]["message"]
    assert not Transfer.objects.exists()
    # unauthenticated
    assert bob.api.__class__().post_json("/transfers", {}).status_code == 401


def test_only_the_receiver_accepts_or_rejects_and_only_the_initiator_cancels(alice, bob, carol):
    transfer_id = propose(alice, bob, 5).json()["data"]["id"]
    assert (
        act(alice, transfer_id, "accept", expect=403)
        .json()["errors"][0]["message"]
        .startswith("Only the receiver")
    )
    act(alice, transfer_id, "reject", expect=403)
    act(bob, transfer_id, "cancel", expect=403)
    act(carol, transfer_id, "accept", expect=404)  # not a party: the transfer is not even visible
    act(carol, "not-a-uuid", "accept", expect=404)
    assert Transfer.objects.get().state == "pending"


def test_reject_and_cancel_carry_the_reason_and_move_nothing(alice, bob, smtp_server):
    first = propose(alice, bob, 5).json()["data"]["id"]
    rejected = act(bob, first, "reject", reason="Wrong amount").json()["data"]
    assert rejected["status"] == "transferCancelled" and rejected["cancellationReason"] == "Wrong amount"
    second = propose(alice, bob, 6).json()["data"]["id"]
    cancelled = act(alice, second, "cancel", reason="Sent twice").json()["data"]
    assert cancelled["status"] == "transferCancelled" and cancelled["isInitiator"] is True
    assert balance(alice) == 0 and balance(bob) == 0
    # a finished transfer cannot change any more: 409 with a clear message
    message = act(bob, first, "accept", expect=409).json()["errors"][0]["message"]
    assert message == "This transfer is already cancelled, so it cannot be changed any more."
    listed = alice.api.get_json(f"/transfers?querying_entity_id={alice.entity.id}&status=cancelled").json()
    assert {t["cancellationReason"] for t in listed["data"]} == {"Wrong amount", "Sent twice"}

    deliver_outbox()
    received = smtp_server.received
    by_subject = {(m.subject, tuple(m.envelope_to)) for m in received}
    assert ("Alice's Bakery wants to pay you 5.00 mc", ("bob@example.org",)) in by_subject
    rejections = [m for m in received if m.subject.startswith("Transfer rejected")]
    assert sorted(m.envelope_to[0] for m in rejections) == ["alice@example.org", "bob@example.org"]
    assert all("Reason: Wrong amount" in m.text for m in rejections)
    cancellations = [m for m in received if m.subject.startswith("Transfer cancelled")]
    assert sorted(m.envelope_to[0] for m in cancellations) == ["alice@example.org", "bob@example.org"]
    assert all("Reason: Sent twice" in m.text for m in cancellations)
    assert (
        len([m for m in received if "Welcome" not in m.subject]) == 6
    )  # 2 proposals, 2 rejections, 2 cancellations


def test_completion_emails_both_parties(alice, bob):
    act(bob, propose(alice, bob, 3).json()["data"]["id"], "accept")
    deliver_outbox()
    completed = {m.to[0]: m for m in mail.outbox if m.subject.startswith("Transfer completed")}
    assert completed["alice@example.org"].subject == "Transfer completed: you paid Bob's Farm 3.00 mc"
    assert completed["bob@example.org"].subject == "Transfer completed: Alice's Bakery paid you 3.00 mc"


def test_limit_breach_at_acceptance_cancels_with_a_reason(alice, bob, carol):
    first = propose(alice, bob, 300).json()["data"]["id"]
    second = propose(alice, carol, 300).json()["data"]["id"]  # each fits on its own
    act(bob, first, "accept")
    message = act(carol, second, "accept", expect=400).json()["errors"][0]["message"]
    assert message.startswith("The transfer could not be completed and has been cancelled.")
    assert "Alice's Bakery below its limit of -500.00 mc" in message
    transfer = Transfer.objects.get(pk=second)
    assert transfer.state == "cancelled" and "below its limit" in transfer.cancellation_reason
    assert balance(alice) == -300 and balance(carol) == 0
    assert ledger_audit() == []


def test_transfer_list_filters_and_paginates(alice, bob):
    ids = [propose(alice, bob, n + 1).json()["data"]["id"] for n in range(3)]
    act(bob, ids[0], "accept")
    act(bob, ids[1], "reject")
    url = f"/transfers?querying_entity_id={alice.entity.id}"
    assert alice.api.get_json(url).json()["meta"]["numberOfResults"] == 3
    for status, expected in [("initiated", {ids[2]}), ("completed", {ids[0]}), ("cancelled", {ids[1]})]:
        assert {t["id"] for t in alice.api.get_json(f"{url}&status={status}").json()["data"]} == expected
    page = alice.api.get_json(f"{url}&page=2&page_size=2").json()
    assert page["meta"] == {"numberOfResults": 3, "totalPages": 2} and len(page["data"]) == 1
    assert alice.api.get_json(f"{url}&status=bogus").status_code == 400
    assert alice.api.get_json(f"{url}&page_size=101").status_code == 400
    # someone else's entity: refused, as querying_entity_id is everywhere in the API (and nothing of it shown)
    for path in ("/transfers", "/balance"):
        refused = alice.api.get_json(f"{path}?querying_entity_id={bob.entity.id}")
        assert refused.status_code == 403, refused.content
        assert refused.json()["errors"][0]["field"] == "querying_entity_id"
        assert str(bob.entity.account.number) not in refused.content.decode()
        assert alice.api.get_json(f"{path}?querying_entity_id=not-an-id").status_code == 400
    assert alice.api.get_json("/transfers").status_code == 400


def test_pending_transfers_appear_on_the_own_entity(alice, bob):
    transfer_id = propose(alice, bob, 4, description="Eggs").json()["data"]["id"]
    entity = bob.api.get_json(f"/user/entities/{bob.entity.id}").json()["data"]
    assert [(t["id"], t["transfer"], t["isInitiator"], t["status"]) for t in entity["pendingTransfers"]] == [
        (transfer_id, "in", False, "transferInitiated")
    ]
    act(bob, transfer_id, "accept")
    entity = bob.api.get_json(f"/user/entities/{bob.entity.id}").json()["data"]
    assert entity["pendingTransfers"] == [] and entity["balance"] == 4


def test_balance_shape(alice):
    data = alice.api.get_json(f"/balance?querying_entity_id={alice.entity.id}").json()["data"]
    assert data == {"unit": "mc", "balance": 0, "maxPositiveBalance": 500, "maxNegativeBalance": 500}
