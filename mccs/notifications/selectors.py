"""Reading the outbox, for monitoring."""

from __future__ import annotations

from django.db.models import Count, Min, Q

from mccs.core.clock import now
from mccs.notifications.models import OutboxEmail


def outbox_figures() -> dict[str, float]:
    """Emails waiting to be sent, those among them that failed at least once, those sent, and the age in seconds of
    the oldest one waiting (0 when none waits)."""
    figures = OutboxEmail.objects.aggregate(
        pending=Count("pk", filter=Q(sent_at__isnull=True)),
        retrying=Count("pk", filter=Q(sent_at__isnull=True, attempts__gt=0)),
        sent=Count("pk", filter=Q(sent_at__isnull=False)),
        oldest=Min("created_at", filter=Q(sent_at__isnull=True)),
    )
    oldest = figures.pop("oldest")
    figures["oldest_pending_seconds"] = max((now() - oldest).total_seconds(), 0.0) if oldest else 0.0
    return figures
