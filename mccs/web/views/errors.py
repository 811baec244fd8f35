"""What a failed CSRF check means for a person: usually that their session ended. (The branded 404 and 500
pages are the templates ``404.html`` and ``500.html``, which Django's own handlers render.)"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils.translation import gettext as _

from mccs.web.middleware import htmx_sign_in_redirect, sign_in_url


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form posted without a valid CSRF token. Signed out (cookies cleared or the session expired): go to the
    sign-in page and come back. Signed in: the page was open too long or in another tab — say so, lose nothing."""
    user = getattr(request, "user", None)
    if not (user and user.is_authenticated):
        if getattr(request, "htmx", False) or request.headers.get("HX-Request"):
            return htmx_sign_in_redirect(request)
        if request.path == resolve_url("web:login"):
            messages.info(request, _("The sign-in form had expired. Please try again."))
            return redirect(request.get_full_path())
        messages.info(request, _("Your session has ended. Please sign in again; you will be taken back."))
        return redirect(sign_in_url(request))
    return render(request, "403_csrf.html", status=403)
