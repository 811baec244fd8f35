"""Fixtures for directory tests: members with offers and wants, built through sign-up like real ones."""

from __future__ import annotations

import uuid

import pytest

from mccs.directory.models import Category, EntityStatus


@pytest.fixture
def trader(make_member):
    """A tradingAccepted member whose API calls act for its entity."""
    return make_member(
        "trader@example.org",
        status=EntityStatus.TRADING_ACCEPTED,
        name="Trader",
        offers=["bread"],
        wants=["honey"],
    )


@pytest.fixture
def alice(make_member):
    """A bakery that wants honey and asked for the daily match digest."""
    return make_member(
        "alice@example.org",
        status="tradingAccepted",
        name="Alice Bakery",
        offers=["bread"],
        wants=["honey"],
        receive_daily_match_notification_email=True,
    )


@pytest.fixture
def category(db):
    def make(name: str) -> Category:
        return Category.objects.create(name=name)

    return make


def ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [e["id"] for e in response.json()["data"]]


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [e["name"] for e in response.json()["data"]]


def remote_entry(name: str, *, offers=(), wants=(), node="t/b2", number="1234", **extra) -> dict:
    """An entry of the network directory as a neighbour's feed carries it."""
    return {
        "id": str(extra.pop("id", uuid.uuid4())),
        "node": node,
        "accountPath": f"{node}/{number}",
        "name": name,
        "status": "tradingAccepted",
        "city": "Lyon",
        "offers": list(offers),
        "wants": list(wants),
        "categories": ["Food"],
        **extra,
    }
