"""The member app in Spanish and in German: a whole journey in each (sign in, dashboard, pay with an amount typed
the local way, the other member accepts, both statements), and the language picker (issue 12, item 8)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from mccs.directory.models import EntityStatus
from mccs.users.models import User
from tests.browser.test_every_page_browser import OVERFLOW_JS
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

# What each language calls things, as a member reads them; the amounts are typed and shown the local way.
JOURNEYS = {
    "es-ES": {
        "lang": "es",
        "email": "Correo",
        "password": "Contraseña",
        "log_in": "Entrar",
        "log_out": "Salir",
        "dashboard": "Inicio",
        "pay_link": "Pagar o pedir un pago",
        "member": "Miembro (nombre o número de cuenta)",
        "amount": "Importe",
        "description": "Descripción (opcional)",
        "send": "Enviar",
        "typed": "1.234,50",
        # Spanish groups thousands with a (non-breaking) space.
        "proposed": "Has ofrecido pagar 1 234,50 mc a Bea's Bakery. No se mueve nada hasta que lo acepte.",
        "incoming": "Ana's Apples quiere pagarte 1 234,50 mc",
        "accept": "Aceptar",
        "accepted": "Transferencia aceptada: el crédito se ha movido.",
        "balance": "1 234,50 mc",
        "statement": "Extracto",
        "running": "1 234,50",
        "payer_running": "-1 234,50",
    },
    "de-DE": {
        "lang": "de",
        "email": "E-Mail",
        "password": "Passwort",
        "log_in": "Anmelden",
        "log_out": "Abmelden",
        "dashboard": "Übersicht",
        "pay_link": "Zahlen oder Zahlung anfordern",
        "member": "Mitglied (Name oder Kontonummer)",
        "amount": "Betrag",
        "description": "Beschreibung (optional)",
        "send": "Senden",
        "typed": "1.234,50",
        "proposed": "Sie haben angeboten, Bea's Bakery 1.234,50 mc zu zahlen. Es bewegt sich nichts, bis angenommen wird.",
        "incoming": "Ana's Apples möchte Ihnen 1.234,50 mc zahlen",
        "accept": "Annehmen",
        "accepted": "Überweisung angenommen: Der Kredit wurde bewegt.",
        "balance": "1.234,50 mc",
        "statement": "Kontoauszug",
        "running": "1.234,50",
        "payer_running": "-1.234,50",
    },
}


def running_balances(page) -> list[str]:
    return [c.replace("\xa0", " ").strip() for c in page.get_by_test_id("running-balance").all_inner_texts()]


def sign_in(page, words: dict, email: str) -> None:
    # The live server's first request sets up its middleware (WhiteNoise scans the static files): allow for it.
    page.goto("/login", timeout=30_000)
    page.get_by_label(words["email"], exact=True).fill(email)
    page.get_by_label(words["password"], exact=True).fill(PASSWORD)
    page.locator("main").get_by_role("button", name=words["log_in"]).click()
    page.wait_for_url(re.compile(r"/dashboard$"))


@pytest.mark.parametrize("locale", list(JOURNEYS))
def test_a_member_journey_in_the_browser_s_language(page, make_member, settings, locale):
    words = JOURNEYS[locale]
    settings.MCCS_DEFAULT_MAX_POSITIVE_BALANCE = "2000"
    settings.MCCS_DEFAULT_MAX_NEGATIVE_BALANCE = "2000"
    make_member("ana@example.org", name="Ana's Apples", status=EntityStatus.TRADING_ACCEPTED)
    make_member("bea@example.org", name="Bea's Bakery", status=EntityStatus.TRADING_ACCEPTED)

    sign_in(page, words, "ana@example.org")
    expect(page.locator("html")).to_have_attribute("lang", words["lang"])
    expect(page.get_by_role("heading", level=1)).to_have_text(words["dashboard"])
    page.get_by_role("link", name=words["pay_link"]).click()
    page.get_by_label(words["member"]).fill("Bea's")
    page.get_by_label(words["amount"]).fill(words["typed"])  # a thousand and more, the local way
    page.get_by_label(words["description"]).fill("Pan")
    page.locator("#pay-form").get_by_role("button", name=words["send"]).click()
    page.wait_for_url(re.compile(r"/dashboard$"))
    expect(page.locator(".messages")).to_contain_text(words["proposed"])
    page.get_by_role("button", name=words["log_out"]).click()
    page.wait_for_url(re.compile(r"/login$"))

    sign_in(page, words, "bea@example.org")
    panel = page.locator("#ledger-panel")
    expect(panel).to_contain_text(words["incoming"])
    panel.get_by_role("button", name=words["accept"]).click()
    expect(panel).to_contain_text(words["accepted"])
    expect(page.get_by_test_id("balance")).to_have_text(words["balance"])
    page.get_by_role("link", name=words["statement"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(words["statement"])
    expect(page.get_by_role("cell", name="Pan")).to_be_visible()
    assert running_balances(page) == [words["running"]]
    page.get_by_role("button", name=words["log_out"]).click()
    page.wait_for_url(re.compile(r"/login$"))

    sign_in(page, words, "ana@example.org")
    page.goto("/transfers")
    assert running_balances(page) == [words["payer_running"]]
    assert page.evaluate(OVERFLOW_JS)["scroll"] <= 390


def test_the_picker_changes_the_language_on_a_phone_and_a_member_keeps_it(
    page, make_member, browser, live_server
):
    make_member("carla@example.org", name="Carla's Cargo", status=EntityStatus.TRADING_ACCEPTED)
    page.goto("/login", timeout=30_000)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    picker = page.get_by_label("Language", exact=True)
    expect(picker).to_be_visible()
    assert page.evaluate(OVERFLOW_JS)["scroll"] <= 390
    picker.select_option("de")
    page.get_by_role("button", name="Change").click()
    page.wait_for_url(re.compile(r"/login$"))
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.get_by_role("heading", level=1)).to_have_text("Anmelden")

    # Signed in, the picker also sets the member's own language, which follows them to another browser.
    sign_in(page, JOURNEYS["de-DE"], "carla@example.org")
    page.get_by_label("Sprache", exact=True).select_option("es")
    page.get_by_role("button", name="Ändern").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Inicio")
    assert User.objects.get(email="carla@example.org").language == "es"
    other = browser.new_context(base_url=live_server.url, locale="en-GB")
    try:
        elsewhere = other.new_page()
        elsewhere.goto("/login")
        expect(elsewhere.locator("html")).to_have_attribute("lang", "en")
        elsewhere.locator("#id_email").fill("carla@example.org")
        elsewhere.locator("#id_password").fill(PASSWORD)
        elsewhere.locator("main").get_by_role("button", name="Log in").click()
        elsewhere.wait_for_url(re.compile(r"/dashboard$"))
        expect(elsewhere.locator("html")).to_have_attribute("lang", "es")
        expect(elsewhere.get_by_role("heading", level=1)).to_have_text("Inicio")
    finally:
        other.close()
