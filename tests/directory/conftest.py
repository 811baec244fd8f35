"""Fixtures for directory tests: members with offers and wants, built through sign-up like real ones."""

from __future__ import annotations

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
