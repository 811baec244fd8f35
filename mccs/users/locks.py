"""Every row lock on users lives here. A user is locked before anything else a use-case locks (docs/ledger.md,
"Lock order")."""

from __future__ import annotations

import uuid

from mccs.users.models import User


def user_lock(user_id: uuid.UUID) -> bool:
    """Lock one user's row (without loading it); False when the user is gone. Call inside a transaction.

    The contact relay locks the sender, so one member's sends queue behind each other and parallel requests
    cannot all pass the hourly count."""
    return (
        User.objects.select_for_update().filter(pk=user_id).values_list("pk", flat=True).first() is not None
    )
