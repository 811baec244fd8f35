"""Fixtures for the accounts tests."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail

from mccs.core.clock import now as real_now
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


class Clock:
    """Moves the time the code sees (mccs.core.clock.now, as imported by each module) forward."""

    MODULES = (
        "mccs.users.tokens",
        "mccs.users.throttling",
        "mccs.users.services",
        "mccs.notifications.worker",
        "mccs.notifications.services",
    )

    def __init__(self, monkeypatch):
        self.offset = timedelta()
        for module in self.MODULES:
            monkeypatch.setattr(f"{module}.now", self.now)

    def now(self):
        return real_now() + self.offset

    def advance(self, **kwargs) -> None:
        self.offset += timedelta(**kwargs)


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)
