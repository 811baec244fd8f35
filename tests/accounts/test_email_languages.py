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
    assert (
        notice.subject == "Finn's Fish möchte Ihnen 12,50 mc zahlen"
    )  # and the amount written the German way
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


@pytest.mark.parametrize(
    ("language", "subject", "line"),
    [
        (
            "",
            "Transfer completed: Finn's Fish paid you 1,234.50 mc",
            "The transfer of 1,234.50 mc from Finn's Fish",
        ),
        ("de", "Überweisung ausgeführt: Finn's Fish hat Ihnen 1.234,50 mc gezahlt", "1.234,50 mc"),
        # (a subject's whitespace is folded to plain spaces, the body keeps the no-break space)
        ("fr", "Transfert effectué : Finn's Fish vous a payé 1 234,50 mc", "1\xa0234,50 mc"),
        ("es", "Transferencia completada: Finn's Fish te ha pagado 1 234,50 mc", "1\xa0234,50 mc"),
    ],
)
def test_amounts_in_emails_are_written_the_recipient_s_way(make_member, language, subject, line):
    from mccs.ledger.models import Account

    payer = make_member("finn@example.org", name="Finn's Fish", status=EntityStatus.TRADING_ACCEPTED)
    payee = make_member("greta@example.org", name="Greta's Garden", status=EntityStatus.TRADING_ACCEPTED)
    Account.objects.filter(entity=payer.entity).update(max_negative_balance=200_000)
    Account.objects.filter(entity=payee.entity).update(max_positive_balance=200_000)
    User.objects.filter(pk=payee.user.pk).update(language=language)
    transfer_id = propose(payer, payee, 1234.5).json()["data"]["id"]
    # accepted by a request in German: the email still follows the recipient's own language
    response = payee.api.patch_json(
        f"/transfers/{transfer_id}", {"action": "accept"}, HTTP_ACCEPT_LANGUAGE="de"
    )
    assert response.status_code == 200
    mail.outbox.clear()
    notice = sent_to("greta@example.org")
    assert notice.subject == subject
    assert line in notice.body


def test_a_status_email_names_the_statuses_in_words_of_the_recipient_s_language(admin_api, make_member):
    member = make_member("jon@example.org", name="Jon's Jams")
    User.objects.filter(pk=member.user.pk).update(language="es")
    admin_api.patch_json(f"/admin/entities/{member.entity.pk}", {"status": "tradingPending"})
    body = sent_to("jon@example.org").body
    assert (
        "Tu estado de membresía ha pasado de Esperando a aparecer en el directorio a En el directorio, "
        "ha pedido comerciar." in body
    )
    assert "tradingPending" not in body and "pending" not in body
