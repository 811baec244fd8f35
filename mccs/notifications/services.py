"""Queue emails in the outbox. Call inside the transaction of the change that causes the email."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.conf import settings
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string

from mccs.core.clock import now
from mccs.notifications.models import OutboxEmail


def email_enqueue(
    *,
    to: str | Iterable[str],
    template: str,
    context: Mapping[str, object] | None = None,
    reply_to: Iterable[str] = (),
    dedupe_key: str | None = None,
) -> OutboxEmail | None:
    """Render ``email/<template>_subject.txt`` and ``email/<template>.txt`` and queue the message.

    With a ``dedupe_key`` that was queued before, nothing is queued and None is returned.
    """
    recipients = [to] if isinstance(to, str) else list(to)
    ctx = {"base_url": settings.BASE_URL, **(context or {})}
    subject = " ".join(render_to_string(f"email/{template}_subject.txt", ctx).split())
    body = render_to_string(f"email/{template}.txt", ctx)
    email = OutboxEmail(
        to=recipients,
        subject=subject[:255],
        body=body,
        reply_to=list(reply_to),
        dedupe_key=dedupe_key,
        next_attempt_at=now(),
    )
    if dedupe_key is None:
        email.save()
        return email
    try:
        # Savepoint: a duplicate email (same dedupe key) is skipped inside the caller's transaction.
        with transaction.atomic():
            email.save()
    except IntegrityError:
        return None
    return email
