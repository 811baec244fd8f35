"""What members could not see before: rejected and cancelled transfers with their reason, a statement newest
first, a clear message when paying themselves, a picker when a name matches several members, an honest contact
form, and a clear message for a reversed date range."""

from __future__ import annotations

from django.test import Client

from mccs.ledger.models import Transfer
from tests.ledger.conftest import account, act, number, propose


def signed_in(member) -> Client:
    client = Client()
    client.force_login(member.user)
    return client


def test_rejected_and_cancelled_transfers_stay_visible_with_their_reason(alice, bob):
    rejected = propose(alice, bob, 5, description="Cake").json()["data"]["id"]
    act(bob, rejected, "reject", reason="We never ordered cake")
    cancelled = propose(alice, bob, 7).json()["data"]["id"]
    act(alice, cancelled, "cancel", reason="Typed the wrong amount")
    page = signed_in(alice).get("/transfers").content.decode()
    closed = page.split('id="closed-title"')[1]
    assert "rejected by Bob&#x27;s Farm" in closed and "We never ordered cake" in closed and "Cake" in closed
    assert "cancelled" in closed and "Typed the wrong amount" in closed
    assert closed.index("Typed the wrong amount") < closed.index("We never ordered cake")  # newest first
    bobs = signed_in(bob).get("/transfers").content.decode().split('id="closed-title"')[1]
    assert "rejected by you" in bobs and "Payment from Alice&#x27;s Bakery" in bobs


def test_paying_yourself_says_so(alice, bob):
    client = signed_in(alice)
    for query in ("Alice's Bakery", number(alice)):
        page = client.post("/transfers/new", {"direction": "out", "counterparty": query, "amount": "5"})
        assert "That is your own account" in page.content.decode()
    assert not Transfer.objects.exists()


def test_an_ambiguous_name_offers_a_picker_and_the_choice_is_paid(alice, bob, make_member):
    other = make_member(name="Bob's Bikes", status="tradingAccepted")
    client = signed_in(alice)
    form = {"direction": "out", "counterparty": "bob", "amount": "5"}
    page = client.post("/transfers/new", form).content.decode()
    assert "Which member did you mean?" in page
    assert f'value="{number(bob)}"' in page and f'value="{number(other)}"' in page
    assert 'value="bob"' in page and 'value="5"' in page  # what was typed is kept
    response = client.post("/transfers/new", {**form, "choice": number(other)})
    assert response.status_code == 302
    assert Transfer.objects.get().payee == account(other)


def test_a_choice_that_does_not_match_the_name_is_not_used(alice, bob, carol, make_member):
    make_member(name="Bob's Bikes", status="tradingAccepted")
    page = signed_in(alice).post(
        "/transfers/new", {"direction": "out", "counterparty": "bob", "amount": "5", "choice": number(carol)}
    )
    assert "Which member did you mean?" in page.content.decode()
    assert not Transfer.objects.exists()


def test_a_reversed_date_range_is_explained(alice):
    response = signed_in(alice).get("/transfers?date_from=2026-05-01&date_to=2026-04-01")
    assert response.status_code == 400
    assert "The period starts (2026-05-01) after it ends (2026-04-01)" in response.content.decode()
    assert (
        signed_in(alice).get("/transfers?date_from=2026-05-01&date_to=2026-04-01&format=csv").status_code
        == 400
    )


def test_the_contact_form_does_not_claim_a_visible_email_is_hidden(alice, bob):
    page = signed_in(alice).get(f"/directory/entities/{bob.entity.pk}").content.decode()
    assert "mailto:bob@example.org" in page
    assert "you do not see theirs" not in page
