"""Refusals in the member's language (issue 12, item 8): the API's error messages follow ``Accept-Language`` and the
web pay form shows a refusal in the member's language. The ``code`` and ``field`` never change with the language."""

from __future__ import annotations

import pytest
from django.test import Client

from mccs.ledger.models import Transfer
from mccs.users.models import User
from tests.ledger.conftest import number

pytestmark = pytest.mark.django_db


def _propose(member, body, language=None):
    extra = {"HTTP_ACCEPT_LANGUAGE": language} if language else {}
    return member.api.post_json(
        "/transfers", {"transfer": "out", "initiator": number(member), **body}, **extra
    )


def _error(response, status):
    assert response.status_code == status, response.content
    (error,) = response.json()["errors"]
    return error


OVER_THE_LIMIT = {
    None: "Paying 900.00 mc would take Alice's Bakery below its limit of -500.00 mc; it can pay at most 500.00 mc now.",
    "es": "Pagar 900,00 mc dejaría a Alice's Bakery por debajo de su límite de -500,00 mc; ahora puede pagar como "
    "máximo 500,00 mc.",
    "de": "Eine Zahlung von 900,00 mc würde Alice's Bakery unter die Grenze von -500,00 mc bringen; derzeit sind "
    "höchstens 500,00 mc möglich.",
}


@pytest.mark.parametrize("language", [None, "es", "de"])
def test_a_transfer_over_the_limit_is_refused_in_the_request_s_language(alice, bob, language):
    response = _propose(alice, {"receiver": number(bob), "amount": 900}, language)
    error = _error(response, 400)
    assert error == {"message": OVER_THE_LIMIT[language], "code": "limit_exceeded", "field": "amount"}
    assert response["Content-Language"] == (language or "en")
    assert not Transfer.objects.exists()


SELF = {
    None: "You cannot make a transfer to your own account.",
    "es": "No puedes hacer una transferencia a tu propia cuenta.",
    "de": "Sie können keine Überweisung auf Ihr eigenes Konto machen.",
}


@pytest.mark.parametrize("language", [None, "es", "de"])
def test_a_transfer_to_oneself_is_refused_in_the_request_s_language(alice, language):
    error = _error(_propose(alice, {"receiver": number(alice), "amount": 5}, language), 400)
    assert error == {"message": SELF[language], "code": "invalid", "field": "receiver"}


UNKNOWN = {
    None: "No account has the number {}.",
    "es": "Ninguna cuenta tiene el número {}.",
    "de": "Kein Konto hat die Nummer {}.",
}


@pytest.mark.parametrize("language", [None, "es", "de"])
def test_an_unknown_account_is_refused_in_the_request_s_language(alice, language):
    unknown = "0000000000000000"
    error = _error(_propose(alice, {"receiver": unknown, "amount": 5}, language), 404)
    assert error == {"message": UNKNOWN[language].format(unknown), "code": "not_found", "field": "receiver"}


def test_the_api_s_own_refusals_follow_accept_language_too(alice):
    response = alice.api.post_json("/transfers", {"transfer": "out"}, HTTP_ACCEPT_LANGUAGE="de")
    assert {
        "message": "initiator ist erforderlich.",
        "code": "required",
        "field": "initiator",
    } in response.json()["errors"]
    response = Client().get("/api/v1/transfers", HTTP_ACCEPT_LANGUAGE="es")
    assert _error(response, 401) == {
        "message": "No se ha podido autenticarte. Vuelve a entrar.",
        "code": "not_authenticated",
    }
    unknown = "/transfers/6f1c1b1e-0000-4000-8000-000000000000"
    response = alice.api.patch_json(unknown, {"action": "accept"}, HTTP_ACCEPT_LANGUAGE="es")
    assert _error(response, 404) == {"message": "Transferencia no encontrada.", "code": "transfer_not_found"}


def test_the_web_pay_form_shows_the_refusal_in_the_member_s_language(alice, bob):
    User.objects.filter(pk=alice.user.pk).update(language="es")
    client = Client()
    client.force_login(alice.user)
    page = client.post(
        "/transfers/new", {"direction": "out", "counterparty": "Bob's Farm", "amount": "900"}
    ).content.decode()
    assert OVER_THE_LIMIT["es"].replace("'", "&#x27;") in page
    assert "below its limit" not in page
    assert not Transfer.objects.exists()


def test_a_limit_breach_at_acceptance_answers_in_the_accepting_language_and_stores_the_node_s(alice, bob):
    from mccs.ledger.models import Account

    transfer_id = _propose(alice, {"receiver": number(bob), "amount": 400}).json()["data"]["id"]
    Account.objects.filter(entity=bob.entity).update(max_positive_balance=100)
    response = bob.api.patch_json(
        f"/transfers/{transfer_id}", {"action": "accept"}, HTTP_ACCEPT_LANGUAGE="es"
    )
    error = _error(response, 400)
    assert error["code"] == "limit_exceeded"
    assert error["message"].startswith(
        "La transferencia no se ha podido completar y se ha cancelado. Recibir 400,00"
    )
    reason = Transfer.objects.get().cancellation_reason
    assert reason.startswith("Cancelled by the system when it was accepted: Receiving 400.00 mc")


def test_refusals_of_the_directory_and_of_sign_in_follow_accept_language(api, alice, bob):
    body = {
        "addToEntityID": str(alice.entity.id),
        "favoriteEntityID": str(alice.entity.id),
        "isFavorite": True,
    }
    response = alice.api.post_json("/favorites", body, HTTP_ACCEPT_LANGUAGE="fr")
    assert _error(response, 400) == {
        "message": "Une entité ne peut pas être son propre favori.",
        "code": "invalid",
        "field": "favoriteEntityID",
    }
    response = api.post_json("/login", {"email": alice.email, "password": "wrong"}, HTTP_ACCEPT_LANGUAGE="de")
    assert _error(response, 400) == {
        "message": "E-Mail-Adresse oder Passwort ist falsch.",
        "code": "bad_credentials",
    }
    response = api.post_json("/login", {"email": alice.email, "password": "wrong"})
    assert _error(response, 400)["message"] == "The email address or password is incorrect."
    response = api.get_json("/categories?page=0", HTTP_ACCEPT_LANGUAGE="es")
    assert _error(response, 400) == {
        "message": "page debe estar entre 1 y 1\xa0000\xa0000.",
        "code": "invalid",
        "field": "page",
    }


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (None, "description: must be text"),
        ("es", "description: debe ser texto"),
        ("fr", "description: doit être du texte"),
    ],
)
def test_a_wrong_type_is_named_in_the_request_s_language(alice, bob, language, expected):
    """pydantic describes a wrong type in English; the most common kinds are said in the request's language."""
    body = {"receiver": number(bob), "amount": 5, "description": 42}
    error = _error(_propose(alice, body, language), 400)
    assert error == {"message": expected, "code": "invalid", "field": "description"}
    assert not Transfer.objects.exists()
