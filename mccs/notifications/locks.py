"""Every row lock the outbox takes lives here.

Several background workers may send the outbox at once (one per application server). Each claims a batch of due
emails in one short transaction: on PostgreSQL the due rows are read ``FOR UPDATE SKIP LOCKED``, so a second worker
claiming at the same moment passes over the rows the first one is claiming instead of waiting for them, and takes
the next ones; on SQLite the IMMEDIATE transaction holds the single write lock, so claims are serialised anyway.
A claim is a lease (``claimed_until``): no transaction stays open while a message is sent.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet

from mccs.notifications.models import OutboxEmail


def outbox_due_lock(moment: datetime, limit: int) -> QuerySet[OutboxEmail]:
    """The first ``limit`` emails due at ``moment`` and claimed by nobody, locked (skipping rows that another
    worker is claiming right now). Call inside a transaction."""
    return (
        OutboxEmail.objects.filter(sent_at__isnull=True, failed_at__isnull=True, next_attempt_at__lte=moment)
        .exclude(claimed_until__gt=moment)
        .order_by("next_attempt_at", "id")
        .select_for_update(skip_locked=True)[:limit]
    )
