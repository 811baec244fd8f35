"""The background worker: sends the outbox, then runs the periodic jobs named in settings.

Several workers may run at once (one per app server). Each claims a batch of due emails in one short transaction
(``FOR UPDATE SKIP LOCKED`` on PostgreSQL, see ``mccs.notifications.locks``) by giving them a lease, then sends them
outside any transaction. A worker whose lease runs out mid-batch gives the rest of the batch back unsent.
"""

from __future__ import annotations

import logging
import smtplib
import threading
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import close_old_connections, transaction
from django.utils.module_loading import import_string

from mccs.core.clock import now
from mccs.notifications.locks import outbox_due_lock
from mccs.notifications.models import OutboxEmail
from mccs.notifications.services import email_render

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 60
CLAIM_SECONDS = 120
BATCH = 50


def backoff_seconds(attempts: int) -> int:
    return min(2 ** max(attempts - 1, 0), MAX_BACKOFF_SECONDS)


def is_permanent(exc: BaseException) -> bool:
    """A 5xx answer: the server will refuse the message again. A 4xx answer, a refused, dropped or timed-out
    connection may pass later. An error that is not about the network at all (a template that cannot render) does
    not fix itself either."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return bool(codes) and all(code >= 500 for code in codes)
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500
    return not isinstance(exc, OSError)  # smtplib.SMTPException is an OSError too


def _close_quietly(connection) -> None:
    if connection is not None:
        try:
            connection.close()
        except Exception:  # the server may already be gone
            log.debug("closing the mail connection failed", exc_info=True)


def outbox_claim(*, limit: int = BATCH) -> tuple[list[int], datetime]:
    """Claim up to ``limit`` due emails for this worker: their ids and the lease they now carry. Two workers
    claiming at once get different emails."""
    moment = now()
    lease = moment + timedelta(seconds=CLAIM_SECONDS)
    with transaction.atomic(durable=True):
        ids = list(outbox_due_lock(moment, limit).values_list("id", flat=True))
        if ids:
            OutboxEmail.objects.filter(pk__in=ids).update(claimed_until=lease)
    return ids, lease


def outbox_deliver_due(*, limit: int = BATCH) -> int:
    """Send what is due. Returns the number of emails sent."""
    claimed, lease = outbox_claim(limit=limit)
    sent = 0
    connection = None
    emails = OutboxEmail.objects.in_bulk(claimed)  # the whole batch in one query
    for position, email_id in enumerate(claimed):
        if now() >= lease:
            # The lease ran out while earlier emails of the batch were sent (a slow server): another worker may
            # claim the rest now, so leave them to it rather than risk sending one twice.
            OutboxEmail.objects.filter(pk__in=claimed[position:], claimed_until=lease).update(
                claimed_until=None
            )
            break
        email = emails[email_id]
        try:
            if connection is None:
                # Opened once for the batch: otherwise every message would connect and disconnect on its own.
                connection = get_connection(fail_silently=False)
                connection.open()
            subject, body = email_render(email)  # emails queued by a request are rendered here (ADR 0090)
            message = EmailMessage(
                subject=subject,
                body=body,
                from_email=settings.DEFAULT_FROM_EMAIL,
                to=email.to,
                reply_to=email.reply_to or None,
                connection=connection,
            )
            message.send()
        except Exception as exc:  # keep the email; try again later, or give up on a permanent refusal
            attempts = email.attempts + 1
            give_up = is_permanent(exc) and attempts >= settings.MCCS_EMAIL_MAX_ATTEMPTS
            OutboxEmail.objects.filter(pk=email_id).update(
                attempts=attempts,
                last_error=f"{type(exc).__name__}: {exc}"[:2000],
                claimed_until=None,
                next_attempt_at=now() + timedelta(seconds=backoff_seconds(attempts)),
                failed_at=now() if give_up else None,
            )
            if give_up:
                log.error("email %s failed for good after %s attempts: %s", email_id, attempts, exc)
            else:
                log.warning("email %s not sent (attempt %s): %s", email_id, attempts, exc)
            _close_quietly(connection)
            connection = None
            continue
        OutboxEmail.objects.filter(pk=email_id, sent_at__isnull=True).update(
            sent_at=now(),
            attempts=email.attempts + 1,
            claimed_until=None,
            last_error="",
            subject=subject,
            body=body,
        )
        log.info("email %s sent", email_id)
        sent += 1
    _close_quietly(connection)
    return sent


class Worker:
    """Runs until ``stop`` is set. ``mccs worker`` runs it in the foreground, ``mccs serve`` in a thread."""

    def __init__(self, poll_seconds: float | None = None) -> None:
        self.poll_seconds = poll_seconds if poll_seconds is not None else settings.MCCS_WORKER_POLL_SECONDS
        self.stop = threading.Event()
        self._last_run: dict[str, float] = {}

    def run_periodic(self) -> None:
        for dotted, every_seconds in getattr(settings, "MCCS_PERIODIC_TASKS", []):
            current = now().timestamp()
            if current - self._last_run.get(dotted, 0) >= every_seconds:
                self._last_run[dotted] = current
                try:
                    import_string(dotted)()
                except Exception:
                    log.exception("periodic task %s failed", dotted)

    def run(self) -> None:
        log.info("worker started")
        while not self.stop.is_set():
            close_old_connections()
            try:
                outbox_deliver_due()
                self.run_periodic()
            except Exception:
                log.exception("worker cycle failed")
            self.stop.wait(self.poll_seconds)
        close_old_connections()
        log.info("worker stopped")
