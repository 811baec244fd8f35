"""Who is an administrator. Every administrator-only service asks here, whichever interface called it."""

from __future__ import annotations

from django.utils.translation import gettext as _

from mccs.core.errors import PermissionDenied


def is_administrator(actor) -> bool:
    return bool(actor is not None and getattr(actor, "is_authenticated", False) and actor.is_staff)


def require_administrator(actor, *, what: str = "") -> None:
    """``what`` completes "Only administrators can …" (marked for translation where it is written)."""
    if not is_administrator(actor):
        raise PermissionDenied(_("Only administrators can %(what)s.") % {"what": what or _("do this")})
