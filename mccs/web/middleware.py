"""When a session ends in the middle of an htmx action, send the whole page to the sign-in page (and back after).

Without this, htmx follows the redirect to /login and swaps the whole sign-in page into a dashboard panel or a
button. Any htmx request answered with a redirect to the sign-in page, or with 401/403 for a visitor who is not
signed in, is answered with ``HX-Redirect`` instead, which htmx turns into a full navigation.
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url
from django.utils import translation

from mccs.web.redirects import is_safe_redirect


def page_to_come_back_to(request: HttpRequest) -> str:
    """The page the visitor was looking at: htmx's ``HX-Current-URL``, else the Referer, else the request itself
    when it can be loaded again (a GET). Only addresses on this site."""
    for candidate in (request.headers.get("HX-Current-URL"), request.headers.get("Referer")):
        if candidate and is_safe_redirect(request, candidate):
            parts = urlsplit(candidate)
            return parts.path + (f"?{parts.query}" if parts.query else "")
    return request.get_full_path() if request.method == "GET" else ""


def sign_in_url(request: HttpRequest) -> str:
    login = resolve_url("web:login")
    back = page_to_come_back_to(request)
    return f"{login}?{urlencode({'next': back})}" if back and urlsplit(back).path != login else login


def htmx_sign_in_redirect(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(status=200)
    response["HX-Redirect"] = sign_in_url(request)
    return response


class HtmxSessionEndedMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not getattr(request, "htmx", False) or "HX-Redirect" in response:
            return response
        login = resolve_url("web:login")
        redirected_to_login = response.status_code in (301, 302, 303) and (
            urlsplit(response.get("Location", "")).path == login
        )
        user = getattr(request, "user", None)
        refused_signed_out = response.status_code in (401, 403) and not (user and user.is_authenticated)
        if redirected_to_login or refused_signed_out:
            return htmx_sign_in_redirect(request)
        return response


class MemberLanguageMiddleware:
    """A signed-in member's chosen language wins over the browser's: pages (and ``Content-Language``, which
    ``LocaleMiddleware`` sets from the active language) follow ``user.language`` once they have chosen one.
    The API is left alone: it answers in the language of each request's ``Accept-Language``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        chosen = getattr(user, "language", "") if user is not None and user.is_authenticated else ""
        if chosen and chosen in dict(settings.LANGUAGES) and not request.path.startswith("/api/"):
            translation.activate(chosen)
            request.LANGUAGE_CODE = chosen
        return self.get_response(request)
