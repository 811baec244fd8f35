"""Fixtures for ledger tests: members accepted for trading, and helpers that go through the real API."""

from __future__ import annotations

import pytest

from mccs.directory.models import EntityStatus
from mccs.ledger.models import Account

TRADING = EntityStatus.TRADING_ACCEPTED


def number(member) -> str:
    return Account.objects.get(entity=member.entity).number


def account(member) -> Account:
    return Account.objects.get(entity=member.entity)


def propose(payer_or_initiator, receiver, amount, *, direction="out", description="", key=None, expect=200):
    extra = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    response = payer_or_initiator.api.post_json(
        "/transfers",
        {
            "transfer": direction,
            "initiator": number(payer_or_initiator),
            "receiver": number(receiver),
            "amount": amount,
            "description": description,
        },
        **extra,
    )
    assert response.status_code == expect, response.content
    return response


def act(member, transfer_id, action, *, reason=None, key=None, expect=200):
    body = {"action": action}
    if reason is not None:
        body["cancellationReason"] = reason
    extra = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    response = member.api.patch_json(f"/transfers/{transfer_id}", body, **extra)
    assert response.status_code == expect, response.content
    return response


@pytest.fixture
def alice(make_member):
    return make_member("alice@example.org", name="Alice's Bakery", status=TRADING)


@pytest.fixture
def bob(make_member):
    return make_member("bob@example.org", name="Bob's Farm", status=TRADING)


@pytest.fixture
def carol(make_member):
    return make_member("carol@example.org", name="Carol Repairs", status=TRADING)
