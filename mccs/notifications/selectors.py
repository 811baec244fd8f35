"""Reading the outbox, for monitoring."""

from __future__ import annotations

from django.db.models import Count, Min, Q

from mccs.core.clock import now
from mccs.notifications.models import OutboxEmail

WAITING = Q(sent_at__isnull=True, failed_at__isnull=True)


def outbox_figures() -> dict[str, float]:
    """Emails waiting to be sent, those among them that failed at least once, those given up (failed), those sent,
    and the age in seconds of the oldest one waiting (0 when none waits)."""
    figures = OutboxEmail.objects.aggregate(
        pending=Count("pk", filter=WAITING),
        retrying=Count("pk", filter=WAITING & Q(attempts__gt=0)),
        failed=Count("pk", filter=Q(failed_at__isnull=False)),
        sent=Count("pk", filter=Q(sent_at__isnull=False)),
        oldest=Min("created_at", filter=WAITING),
    )
    oldest = figures.pop("oldest")
    figures["oldest_pending_seconds"] = max((now() - oldest).total_seconds(), 0.0) if oldest else 0.0
    return figures


def outbox_failed_list():
    """Emails the worker gave up on, most recent first (the administrators' /admin/emails page)."""
    return OutboxEmail.objects.filter(failed_at__isnull=False).order_by("-failed_at", "-id")


def outbox_retrying_list():
    """Emails still waiting after at least one failed attempt, oldest first."""
    return OutboxEmail.objects.filter(WAITING, attempts__gt=0).order_by("created_at", "id")
