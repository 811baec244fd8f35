"""Where the web may send a visitor back to: only addresses on this site, and never from https down to http."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def is_safe_redirect(request: HttpRequest, target: str | None) -> bool:
    """``target`` is on this site (same host), and https when the request came over https."""
    return bool(target) and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )


def safe_next(request: HttpRequest, default: str = "web:dashboard") -> str:
    """The ``next`` address sent with the form or the link, when it is safe; else ``default``."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    return target if is_safe_redirect(request, target) else default
