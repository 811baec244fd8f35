"""Fixtures for the accounts tests."""

from __future__ import annotations

import re

from django.core import mail

from tests.conftest import deliver_outbox

SIGNUP = {
    "userEmail": "ada@example.org",
    "password": "correct-horse-battery",
    "firstName": "Ada",
    "lastName": "Lovelace",
    "entityName": "Analytical Engines",
    "offers": ["Engine design"],
    "wants": ["brass gears"],
}


def reset_token_from(text: str) -> str:
    """The token is the last path segment of the link in the reset email."""
    match = re.search(r"https?://\S+/password-reset/(\S+)", text)
    assert match, f"no reset link in: {text!r}"
    return match.group(1)


def sent_reset_token(email: str) -> str:
    deliver_outbox()
    messages = [m for m in mail.outbox if email in m.to and "password" in m.subject.lower()]
    assert messages, f"no reset email to {email}; outbox: {[(m.to, m.subject) for m in mail.outbox]}"
    return reset_token_from(messages[-1].body)
