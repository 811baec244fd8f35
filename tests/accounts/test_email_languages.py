"""Every email is written in its recipient's language — never in the language of whoever caused it."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client

from mccs.directory.models import EntityStatus
from mccs.users.models import User
from tests.conftest import deliver_outbox
from tests.ledger.conftest import propose

pytestmark = pytest.mark.django_db


def sent_to(address: str):
    deliver_outbox()
    found = [m for m in mail.outbox if address in m.to]
    assert found, [(m.to, m.subject) for m in mail.outbox]
    return found[-1]


def test_signing_up_in_spanish_brings_a_spanish_welcome():
    Client().post(
        "/signup",
        {"email": "eva@example.org", "password": "correct-horse-battery", "entity_name": "Eva's Eggs"},
        HTTP_ACCEPT_LANGUAGE="es",
    )
    welcome = sent_to("eva@example.org")
    # Nothing the signer typed goes to the address they gave (issue 8, item 5): no entity name.
    assert welcome.subject == "Te damos la bienvenida a MCCS"
    assert "Tu entidad se ha creado con el número de cuenta" in welcome.body
    assert "Eva" not in welcome.body


def test_a_transfer_email_rendered_by_the_worker_is_in_the_receiver_s_language(make_member):
    payer = make_member("finn@example.org", name="Finn's Fish", status=EntityStatus.TRADING_ACCEPTED)
    payee = make_member("greta@example.org", name="Greta's Garden", status=EntityStatus.TRADING_ACCEPTED)
    User.objects.filter(pk=payee.user.pk).update(language="de")
    mail.outbox.clear()
    propose(payer, payee, 12.5, description="Fisch")
    notice = sent_to("greta@example.org")
    assert notice.subject == "Finn's Fish möchte Ihnen 12.50 mc zahlen"
    assert "Hallo Greta's Garden," in notice.body
    assert "Beschreibung: Fisch" in notice.body


def test_the_recipient_s_language_wins_over_the_language_of_the_request(make_member):
    member = make_member("hugo@example.org")
    User.objects.filter(pk=member.user.pk).update(language="fr")
    Client().post("/password-reset", {"email": "hugo@example.org"}, HTTP_ACCEPT_LANGUAGE="de")
    reset = sent_to("hugo@example.org")
    assert reset.subject == "Réinitialisez votre mot de passe MCCS"
    assert "Ouvrez ce lien pour choisir un nouveau mot de passe." in reset.body


def test_without_a_chosen_language_emails_are_in_the_node_s_language(make_member):
    make_member("ines@example.org")
    Client().post("/password-reset", {"email": "ines@example.org"}, HTTP_ACCEPT_LANGUAGE="es")
    assert sent_to("ines@example.org").subject == "Reset your MCCS password"
