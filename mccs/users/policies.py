"""Who is an administrator. Every administrator-only service asks here, whichever interface called it."""

from __future__ import annotations

from mccs.core.errors import PermissionDenied


def is_administrator(actor) -> bool:
    return bool(actor is not None and getattr(actor, "is_authenticated", False) and actor.is_staff)


def require_administrator(actor, *, what: str = "do this") -> None:
    if not is_administrator(actor):
        raise PermissionDenied(f"Only administrators can {what}.")
