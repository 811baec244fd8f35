"""Languages of the web UI: the browser's, the picker's, and the member's own (issue 12, item 8)."""

from __future__ import annotations

import pytest
from django.test import Client

from mccs.directory.models import EntityStatus
from mccs.users.models import User
from tests.conftest import PASSWORD
from tests.ledger.conftest import act, propose

pytestmark = pytest.mark.django_db

GREETING = {
    "en": "Mutual credit for your community",
    "es": "Crédito mutuo para tu comunidad",
    "fr": "Du crédit mutuel pour votre communauté",
    "de": "Gegenseitiger Kredit für Ihre Gemeinschaft",
}


@pytest.mark.parametrize("code", ["en", "es", "fr", "de"])
def test_the_browser_language_chooses_the_page_language_and_it_is_declared(code):
    response = Client().get("/", HTTP_ACCEPT_LANGUAGE=f"{code}-XX;q=0.9, pt;q=0.8")
    page = response.content.decode()
    assert response["Content-Language"] == code
    assert f'<html lang="{code}">' in page
    assert GREETING[code] in page
    assert "Accept-Language" in response["Vary"]


def test_the_picker_is_on_every_page_and_works_without_javascript():
    client = Client()
    page = client.get("/login").content.decode()
    assert '<form class="language-picker" method="post" action="/language">' in page
    assert '<label for="language-picker">Language</label>' in page
    assert '<option value="de" lang="de">Deutsch</option>' in page
    response = client.post("/language", {"language": "de", "next": "/login"})
    assert response.status_code == 302 and response["Location"] == "/login"
    page = client.get("/login", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert '<html lang="de">' in page and "Anmelden" in page
    assert '<option value="de" lang="de" selected>Deutsch</option>' in page


def test_the_picker_refuses_to_send_a_visitor_elsewhere():
    response = Client().post("/language", {"language": "fr", "next": "https://evil.example/"})
    assert response.status_code == 302 and "evil" not in response["Location"]


def test_a_member_s_language_wins_over_the_browser_after_sign_in(make_member):
    member = make_member("ana@example.org", status=EntityStatus.TRADING_ACCEPTED)
    User.objects.filter(pk=member.user.pk).update(language="fr")
    client = Client()
    client.post("/login", {"email": "ana@example.org", "password": PASSWORD}, HTTP_ACCEPT_LANGUAGE="es")
    response = client.get("/dashboard", HTTP_ACCEPT_LANGUAGE="es")
    assert response["Content-Language"] == "fr"
    assert "Tableau de bord" in response.content.decode()


def test_the_picker_also_sets_a_signed_in_member_s_preference(make_member):
    member = make_member("ben@example.org")
    client = Client()
    client.force_login(member.user)
    client.post("/language", {"language": "es", "next": "/dashboard"})
    member.user.refresh_from_db()
    assert member.user.language == "es"
    assert "Tu cuenta" in client.get("/dashboard").content.decode()


def test_the_profile_page_edits_the_language_and_refuses_an_unknown_one(make_member):
    member = make_member("cleo@example.org")
    client = Client()
    client.force_login(member.user)
    page = client.get("/profile").content.decode()
    assert '<option value="" selected>The language of my browser</option>' in page
    response = client.post("/profile", {"first_name": "Cleo", "language": "de"})
    assert response.status_code == 302
    member.user.refresh_from_db()
    assert member.user.language == "de"
    assert "<h1>Ihr Profil</h1>" in client.get("/profile", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    response = client.post("/profile", {"first_name": "Cleo", "language": "xx"})
    assert response.status_code == 200
    assert "xx" in response.content.decode()  # the choice field names the refused value
    member.user.refresh_from_db()
    assert member.user.language == "de"


def test_signing_up_in_a_language_makes_it_the_member_s_language():
    Client().post(
        "/signup",
        {"email": "dora@example.org", "password": "correct-horse-battery", "entity_name": "Dora's Deli"},
        HTTP_ACCEPT_LANGUAGE="es",
    )
    assert User.objects.get(email="dora@example.org").language == "es"


@pytest.mark.parametrize(
    ("code", "balance", "payer_balance"),
    [
        ("en", "1,234.50 mc", "-1,234.50 mc"),
        ("de", "1.234,50 mc", "-1.234,50 mc"),
        ("fr", "1\xa0234,50 mc", "-1\xa0234,50 mc"),
    ],
)
def test_amounts_are_written_the_way_the_language_writes_numbers(make_member, code, balance, payer_balance):
    payer = make_member("payer@example.org", status=EntityStatus.TRADING_ACCEPTED)
    payee = make_member("payee@example.org", status=EntityStatus.TRADING_ACCEPTED)
    from mccs.ledger.models import Account

    Account.objects.filter(entity=payer.entity).update(max_negative_balance=200_000)
    Account.objects.filter(entity=payee.entity).update(max_positive_balance=150_000)
    act(payee, propose(payer, payee, 1234.5).json()["data"]["id"], "accept")
    client = Client()
    client.force_login(payee.user)
    page = client.get("/dashboard", HTTP_ACCEPT_LANGUAGE=code).content.decode()
    assert f'data-testid="balance">{balance}</strong>' in page
    client.force_login(payer.user)
    page = client.get("/dashboard", HTTP_ACCEPT_LANGUAGE=code).content.decode()
    assert f'data-testid="balance">{payer_balance}</strong>' in page
