"""A real SMTP server on loopback (aiosmtpd) that tests can start, stop and restart on the same port."""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import time
from dataclasses import dataclass, field

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Received:
    envelope_from: str
    envelope_to: list[str]
    message: email.message.EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain",)) or self.message
        return part.get_content()


@dataclass
class _Handler:
    received: list[Received] = field(default_factory=list)
    # When set, the server answers RCPT TO (``refuse_recipients``) or DATA (``refuse_data``) with this line instead
    # of accepting: "550 5.1.1 No such user" is a permanent refusal, "451 4.3.0 Try again later" a temporary one.
    refuse_recipients: str | None = None
    refuse_data: str | None = None
    # Seconds to wait before answering DATA: a slow server, so that several senders overlap.
    delay: float = 0.0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse_recipients:
            return self.refuse_recipients
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.refuse_data:
            return self.refuse_data
        message = email.message_from_bytes(
            envelope.original_content or envelope.content, policy=email.policy.default
        )
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 OK"


class SMTPServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.handler = _Handler()
        self.controller: Controller | None = None

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    def start(self) -> None:
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller:
            self.controller.stop()
            self.controller = None

    def wait_for(self, predicate=lambda r: True, timeout: float = 10.0) -> Received:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for item in self.received:
                if predicate(item):
                    return item
            time.sleep(0.05)
        raise AssertionError(
            f"no matching email within {timeout}s; received: {[r.subject for r in self.received]}"
        )

    def settings(self) -> dict[str, object]:
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": self.port,
            "EMAIL_USE_TLS": False,
            "EMAIL_USE_SSL": False,
            "EMAIL_HOST_USER": "",
            "EMAIL_HOST_PASSWORD": "",
            "EMAIL_TIMEOUT": 5,
        }
