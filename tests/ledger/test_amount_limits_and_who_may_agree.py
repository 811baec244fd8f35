"""Absurd amounts, who may agree to a transfer, and what the log records of it."""

from __future__ import annotations

import pytest
from django.test import Client

from mccs.audit.models import AuditEntry
from mccs.core.amount import Amount
from mccs.core.errors import InvalidRequest
from mccs.ledger.errors import NotAParty
from mccs.ledger.models import Transfer
from mccs.ledger.services import account_limits_set, transfer_accept
from tests.ledger.conftest import act, number, propose


@pytest.mark.parametrize("raw", ["1e999999", "1e999990", "-1e999999", "1E+400000"])
def test_astronomical_amounts_are_refused_before_any_arithmetic(raw):
    with pytest.raises(InvalidRequest, match="too large"):
        Amount.parse(raw)


def test_astronomical_amount_through_the_api_is_a_400(alice, bob):
    body = f'{{"transfer": "out", "initiator": "{number(alice)}", "receiver": "{number(bob)}", "amount": 1e999999}}'
    response = alice.api.call("post", "/transfers", body)
    assert response.status_code == 400
    assert "too large" in response.json()["errors"][0]["message"]


def test_an_administrator_may_cancel_but_not_accept_a_members_transfer(alice, bob, admin):
    transfer_id = propose(alice, bob, 5).json()["data"]["id"]
    with pytest.raises(NotAParty):
        transfer_accept(actor=admin, transfer_id=transfer_id)
    web = Client()
    web.force_login(admin)
    web.post(f"/transfers/{transfer_id}/act", {"action": "accept"})
    assert Transfer.objects.get(pk=transfer_id).state == "pending"


def test_a_cancellation_at_acceptance_is_logged_as_the_receivers_failed_accept(alice, bob, carol):
    first = propose(alice, bob, 300).json()["data"]["id"]
    second = propose(alice, carol, 300).json()["data"]["id"]  # each fits on its own
    act(bob, first, "accept")
    act(carol, second, "accept", expect=400)
    entry = AuditEntry.objects.get(object_id=second, action="transfer.accept_failed")
    assert entry.actor_id == carol.user.pk
    assert entry.entity_id == str(carol.entity.pk)
    assert not AuditEntry.objects.filter(object_id=second, action="transfer.cancel").exists()


def test_setting_limits_to_what_they_are_records_nothing(alice, admin):
    before = AuditEntry.objects.count()
    account_limits_set(
        actor=admin, entity=alice.entity, max_positive_balance="500", max_negative_balance="500"
    )
    assert AuditEntry.objects.count() == before
