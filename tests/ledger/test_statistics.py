"""Figures for the pictures (mccs.ledger.statistics), on SQLite and PostgreSQL: balance history from the postings,
the network's weeks, and the accounts near their limits — each checked against what the ledger recorded."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mccs.core.amount import Amount
from mccs.directory.models import EntityStatus
from mccs.ledger import administration, selectors, statistics
from tests.ledger.conftest import account, act, propose

START = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)  # a Monday


class Time:
    """The time the ledger and the statistics see, moved by the test."""

    def __init__(self, monkeypatch):
        self.at = START
        monkeypatch.setattr("mccs.ledger.services.now", lambda: self.at)
        monkeypatch.setattr("mccs.core.clock.now", lambda: self.at)

    def advance(self, **kwargs) -> None:
        self.at += datetime.timedelta(**kwargs)


@pytest.fixture
def time(monkeypatch):
    return Time(monkeypatch)


def pay(payer, payee, amount) -> None:
    act(payee, propose(payer, payee, amount).json()["data"]["id"], "accept")


def test_history_is_the_running_balance_after_each_posting_ending_at_the_balance(alice, bob, time):
    pay(alice, bob, 10)
    time.advance(days=1)
    pay(bob, alice, 2.5)
    time.advance(days=1)
    pay(alice, bob, 4)
    time.advance(days=3)
    history = statistics.balance_history(account=account(alice), days=30)
    assert history.opening == 0 and not history.truncated
    assert [(p.at, p.balance) for p in history.points] == [
        (START, -1000),
        (START + datetime.timedelta(days=1), -750),
        (START + datetime.timedelta(days=2), -1150),
    ]
    assert history.balance == account(alice).balance == -1150
    assert (history.lowest, history.highest) == (-1150, 0)
    # The same running balances as the statement.
    statement = list(selectors.statement_lines(account=account(alice)))
    assert [line.balance for line in statement] == [p.balance for p in history.points]


def test_history_starts_from_the_balance_before_the_period(alice, bob, time):
    pay(alice, bob, 10)
    time.advance(days=40)
    pay(bob, alice, 3)
    history = statistics.balance_history(account=account(alice), days=30)
    assert history.opening == -1000
    assert [p.balance for p in history.points] == [-700]
    assert history.since == time.at - datetime.timedelta(days=30)


def test_history_is_bounded_and_says_so(alice, bob, time):
    for cents in range(1, 8):
        pay(alice, bob, cents / 100)
        time.advance(minutes=5)
    alices = account(alice)
    with CaptureQueriesContext(connection) as queries:
        history = statistics.balance_history(account=alices, days=30, limit=3)
    assert len(queries) == 2  # the account row, and at most limit + 1 postings
    assert history.truncated
    assert [p.balance for p in history.points] == [-15, -21, -28]
    assert history.opening == -10 and history.since == history.points[0].at


def test_history_of_an_account_without_postings_is_empty(alice):
    history = statistics.balance_history(account=account(alice))
    assert (history.points, history.opening, history.balance) == ([], 0, 0)


def test_network_weeks_count_transfers_volume_and_traders_per_week(alice, bob, carol, time):
    pay(alice, bob, 10)
    pay(bob, alice, 2.5)
    propose(carol, alice, 99)  # pending: not counted
    time.advance(weeks=1, days=2)
    pay(carol, bob, 7)
    time.advance(weeks=1)
    weeks = statistics.network_weeks(weeks=4)
    assert [w.starts for w in weeks] == [
        datetime.date(2026, 2, 23),
        datetime.date(2026, 3, 2),
        datetime.date(2026, 3, 9),
        datetime.date(2026, 3, 16),
    ]
    assert [(w.transfers, w.volume, w.traders) for w in weeks] == [
        (0, 0, 0),
        (2, 1250, 2),
        (1, 700, 2),
        (0, 0, 0),
    ]


def test_network_weeks_is_one_query(alice, bob, time):
    pay(alice, bob, 1)
    with CaptureQueriesContext(connection) as queries:
        statistics.network_weeks(weeks=12)
    assert len(queries) == 1


@pytest.fixture
def limited(make_member, admin):
    """Members with limits of 100 either way, spread over the bands."""

    def member(name: str, **limits):
        created = make_member(f"{name}@example.org", name=name.title(), status=EntityStatus.TRADING_ACCEPTED)
        administration.admin_entity_update(
            actor=admin,
            entity=created.entity,
            changes={
                "max_positive_balance": limits.get("pos", 100),
                "max_negative_balance": limits.get("neg", 100),
            },
        )
        return created

    return member


def test_accounts_near_their_limits_closest_first(limited, admin, make_member):
    near_low, near_high, middle, spender = (limited(n) for n in ("lowe", "hyde", "midd", "spender"))
    make_member("newcomer@example.org", name="Newcomer")  # not trading, balance zero: left out
    for payer, payee, amount in ((near_low, near_high, 95), (spender, middle, 81), (near_low, middle, 1)):
        administration.admin_transfer_create(
            actor=admin, payer=account(payer).number, payee=account(payee).number, amount=Amount(amount * 100)
        )
    near, count = statistics.accounts_near_limits()
    assert [(n.account.entity.name, n.use) for n in near] == [
        ("Lowe", -960),
        ("Hyde", 950),
        ("Midd", 820),
        ("Spender", -810),
    ]
    assert count == 4
    assert statistics.accounts_near_limits(limit=1)[1] == 4
    # Bands of 20 %: Lowe and Spender in the lowest, Hyde in the highest, Midd (82 of 100) too.
    assert statistics.limit_use_bands() == [2, 0, 0, 0, 0, 0, 0, 0, 0, 2]


def test_limit_bands_put_zero_just_above_it_and_count_in_one_query(limited, admin):
    members = [limited(n) for n in ("ann", "ben", "cat")]
    administration.admin_transfer_create(
        actor=admin, payer=account(members[0]).number, payee=account(members[1]).number, amount=Amount(3000)
    )
    with CaptureQueriesContext(connection) as queries:
        bands = statistics.limit_use_bands()
    assert len(queries) == 1
    assert bands == [0, 0, 0, 1, 0, 1, 1, 0, 0, 0]  # -30 %, 0 (cat), +30 %
