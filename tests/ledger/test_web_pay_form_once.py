"""The pay form carries one Idempotency-Key per form: sent twice it is one payment; two forms are two; the key
offline (API) and online (web form) are the same key space, so a queued form sent both ways still pays once."""

from __future__ import annotations

import re

from django.test import Client

from mccs.ledger.models import Transfer
from tests.ledger.conftest import number


def browser_for(member) -> Client:
    client = Client()
    client.force_login(member.user)
    return client


def form_key(page: str) -> str:
    return re.search(r'name="idempotency_key" value="([^"]+)"', page).group(1)


def test_one_form_sent_twice_is_one_payment_two_forms_are_two(alice, bob):
    client = browser_for(alice)
    first, second = form_key(client.get("/transfers/new").content.decode()), None
    second = form_key(client.get("/transfers/new").content.decode())
    assert first != second
    data = {"direction": "out", "counterparty": number(bob), "amount": "12,50", "description": "Bread"}
    for _ in range(2):
        response = client.post("/transfers/new", {**data, "idempotency_key": first})
        assert response.status_code == 302
    assert Transfer.objects.count() == 1
    client.post("/transfers/new", {**data, "idempotency_key": second})
    assert Transfer.objects.count() == 2


def test_a_form_queued_offline_and_then_sent_online_pays_once(alice, bob):
    key = "form-7f3c"
    sent = alice.api.post_json(
        "/transfers",
        {
            "transfer": "out",
            "initiator": number(alice),
            "receiver": number(bob),
            "amount": 12.5,
            "description": "",
        },
        HTTP_IDEMPOTENCY_KEY=key,
    )
    assert sent.status_code == 200
    response = browser_for(alice).post(
        "/transfers/new",
        {"direction": "out", "counterparty": number(bob), "amount": "12.50", "idempotency_key": key},
    )
    assert response.status_code == 302
    assert Transfer.objects.count() == 1


def test_a_form_resent_with_other_details_is_refused_clearly(alice, bob):
    client = browser_for(alice)
    data = {"direction": "out", "counterparty": number(bob), "amount": "5", "idempotency_key": "k-1"}
    assert client.post("/transfers/new", data).status_code == 302
    page = client.post("/transfers/new", {**data, "amount": "6"}).content.decode()
    assert "already sent with other details" in page
    assert Transfer.objects.count() == 1
