"""The pay form reads amounts the way members write them, shows the unit, and refuses what it cannot be sure of."""

from __future__ import annotations

import pytest
from django.test import Client

from mccs.ledger.models import Transfer


def signed_in(member) -> Client:
    client = Client()
    client.force_login(member.user)
    return client


def pay(member, amount: str, *, language: str = "en"):
    return signed_in(member).post(
        "/transfers/new",
        {"direction": "out", "counterparty": "Bob's Farm", "amount": amount},
        HTTP_ACCEPT_LANGUAGE=language,
    )


@pytest.mark.parametrize(
    ("typed", "language"), [("10.50", "en"), ("10,50", "en"), ("10,50", "de"), ("10,50", "es")]
)
def test_ten_and_a_half_is_ten_and_a_half(alice, bob, typed, language):
    response = pay(alice, typed, language=language)
    assert response.status_code == 302, response.content.decode()
    assert Transfer.objects.get().amount == 1050


def test_a_european_thousand_is_not_a_hundred_times_smaller(alice, bob):
    response = pay(alice, "1.234,50", language="de")
    # read as 1234.50, so the 500 limit refuses it (in German, the page's language)
    assert "Eine Zahlung von 1.234,50 mc würde" in response.content.decode()
    assert not Transfer.objects.exists()
    response = pay(alice, "0,50", language="de")
    assert response.status_code == 302
    assert Transfer.objects.get().amount == 50


@pytest.mark.parametrize("typed", ["1,050", "1.050"])
def test_ambiguous_amounts_are_refused_and_nothing_moves(alice, bob, typed):
    response = pay(alice, typed)
    page = response.content.decode()
    assert response.status_code == 200
    assert "could mean 1050 or 1" in page and "two decimals" in page
    assert f'value="{typed}"' in page  # what the member typed is kept for them to correct
    assert not Transfer.objects.exists()


def test_the_form_and_the_confirmation_show_the_unit(alice, bob, settings):
    settings.MCCS_CURRENCY_UNIT = "hours"
    page = signed_in(alice).get("/transfers/new").content.decode()
    assert 'class="unit" aria-hidden="true">hours<' in page and 'Amount <span class="muted">(hours)' in page
    client = signed_in(alice)
    client.post("/transfers/new", {"direction": "out", "counterparty": "Bob's Farm", "amount": "3"})
    assert "You offered to pay Bob&#x27;s Farm 3.00 hours" in client.get("/dashboard").content.decode()
