"""Who is an administrator. Every administrator-only service asks here, whichever interface called it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from mccs.core.errors import PermissionDenied

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser
    from django_stubs_ext import StrOrPromise

    from mccs.users.models import User


def is_administrator(actor: User | AnonymousUser | None) -> bool:
    return bool(actor is not None and getattr(actor, "is_authenticated", False) and actor.is_staff)


def require_administrator(actor: User | AnonymousUser | None, *, what: StrOrPromise = "") -> None:
    """``what`` completes "Only administrators can …" (marked for translation where it is written)."""
    if not is_administrator(actor):
        raise PermissionDenied(_("Only administrators can %(what)s.") % {"what": what or _("do this")})
