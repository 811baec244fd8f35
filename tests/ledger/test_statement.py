"""Statements of long histories: pages newest first, a streamed CSV, and both agreeing with the ledger."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.test import Client

from mccs.core.amount import Amount
from mccs.ledger import selectors
from mccs.ledger.models import Account
from mccs.ledger.services import transfer_accept, transfer_propose
from tests.ledger.conftest import account, number

DAY = datetime.timedelta(days=1)
START = datetime.datetime(2026, 3, 1, 12, tzinfo=datetime.UTC)


def pay(payer, payee, cents: int) -> None:
    transfer = transfer_propose(
        actor=payer.user,
        initiator=number(payer),
        receiver=number(payee),
        direction="out",
        amount=Amount(cents),
    )
    transfer_accept(actor=payee.user, transfer_id=transfer.pk)


@pytest.fixture
def history(alice, bob, monkeypatch):
    """Twelve transfers between Alice and Bob, one a day from 1 March 2026, in both directions."""
    from mccs.ledger import services

    amounts = [500, -125, 300, -1000, 75, 60, -45, 2000, -330, 10, -5, 90]
    for day, cents in enumerate(amounts):
        monkeypatch.setattr(services, "now", lambda day=day: START + day * DAY)
        if cents > 0:
            pay(bob, alice, cents)  # Alice receives
        else:
            pay(alice, bob, -cents)
    return amounts


def running(amounts: list[int], opening: int = 0) -> list[int]:
    out, balance = [], opening
    for cents in amounts:
        balance += cents
        out.append(balance)
    return out


def test_pages_run_newest_first_and_carry_the_running_balance_across_pages(history, alice):
    mine = account(alice)
    pages = [selectors.statement_page(account=mine, page=n, page_size=5) for n in (1, 2, 3)]
    assert [len(p.lines) for p in pages] == [5, 5, 2]
    assert [(p.has_newer, p.has_older) for p in pages] == [(False, True), (True, True), (True, False)]
    lines = [line for p in pages for line in p.lines]
    assert [line.amount for line in lines] == history[::-1]
    assert [line.balance for line in lines] == running(history)[::-1]
    assert lines[0].balance == mine.balance == sum(history)
    assert all(p.opening_balance == 0 and p.closing_balance == sum(history) for p in pages)
    beyond = selectors.statement_page(account=mine, page=4, page_size=5)
    assert beyond.lines == [] and beyond.has_newer and not beyond.has_older


def test_a_period_has_its_own_opening_and_closing_balance(history, alice):
    mine = account(alice)
    # 3 to 8 March: the 3rd to the 8th transfer
    page = selectors.statement_page(
        account=mine,
        date_from=datetime.date(2026, 3, 3),
        date_to=datetime.date(2026, 3, 8),
        page=2,
        page_size=4,
    )
    inside = history[2:8]
    assert page.opening_balance == sum(history[:2])
    assert page.closing_balance == sum(history[:8])
    assert [line.amount for line in page.lines] == inside[::-1][4:]
    assert [line.balance for line in page.lines] == running(inside, sum(history[:2]))[::-1][4:]


def test_a_page_agrees_with_the_balance_read_with_it_while_transfers_complete(history, alice, bob):
    before = account(alice)
    pay(bob, alice, 700)  # completes after the account was read
    page = selectors.statement_page(account=before, page=1, page_size=3)
    assert page.lines[0].balance == before.balance == page.closing_balance
    assert [line.amount for line in page.lines] == history[::-1][:3]


def test_the_csv_streams_every_line_in_chunks_oldest_first(history, alice, monkeypatch):
    monkeypatch.setattr(selectors, "STATEMENT_CHUNK", 5)  # 12 lines: three chunks, the last one short
    client = Client()
    client.force_login(alice.user)
    response = client.get("/transfers?format=csv")
    assert response.status_code == 200 and response.streaming
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == 1 + len(history)
    assert [Amount(round(float(r[5]) * 100)) for r in rows[1:]] == [Amount(c) for c in history]
    assert [Amount(round(float(r[6]) * 100)) for r in rows[1:]] == [Amount(c) for c in running(history)]
    assert len({r[1] for r in rows[1:]}) == len(history)  # each transfer once, none lost at a chunk boundary

    period = client.get("/transfers?format=csv&date_from=2026-03-06&date_to=2026-03-12")
    rows = list(csv.reader(io.StringIO(b"".join(period.streaming_content).decode())))
    assert [round(float(r[6]) * 100) for r in rows[1:]] == running(history[5:], sum(history[:5]))


def test_the_statement_page_links_older_and_newer_pages_and_refuses_a_bad_page(history, alice, monkeypatch):
    monkeypatch.setattr(selectors, "STATEMENT_PAGE_SIZE", 5)
    client = Client()
    client.force_login(alice.user)
    first = client.get("/transfers?date_from=2026-03-01").content.decode()
    assert first.count('data-testid="running-balance"') == 5
    assert 'rel="next" href="?date_from=2026-03-01&amp;page=2"' in first and 'rel="prev"' not in first
    third = client.get("/transfers?date_from=2026-03-01&page=3").content.decode()
    assert third.count('data-testid="running-balance"') == 2
    assert 'rel="prev" href="?date_from=2026-03-01&amp;page=2"' in third and 'rel="next"' not in third
    bad = client.get("/transfers?page=two")
    assert bad.status_code == 400 and "The page must be a whole number from 1" in bad.content.decode()
    assert Account.objects.get(pk=account(alice).pk).balance == sum(history)
