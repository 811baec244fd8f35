"""Request guards and security headers that apply to the web UI and the API alike."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponseBadRequest, JsonResponse

from mccs.core.text_guard import NUL_MESSAGE, contains_nul

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class RejectNulMiddleware:
    """A NUL character in the path, the query string or a submitted form gets a 400, not a database error.
    (JSON bodies are checked by the API's parser.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        suspicious = "\x00" in request.path or contains_nul(dict(request.GET.lists()))
        # The API reads no forms (its parser answers 415 to them), so their bodies stay unread here.
        is_form = request.content_type in FORM_TYPES and not request.path.startswith("/api/")
        if not suspicious and request.method == "POST" and is_form:
            suspicious = contains_nul(dict(request.POST.lists()))
        if suspicious:
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {"errors": [{"message": NUL_MESSAGE, "code": "nul_character"}]}, status=400
                )
            return HttpResponseBadRequest(NUL_MESSAGE, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


class SecurityHeadersMiddleware:
    """Content-Security-Policy and Permissions-Policy on every response (ADR 0051).

    The policy is ``SECURE_CSP``, in the shape of Django 6.0's setting of that name (a directive → list of sources),
    so that moving to Django 6.0 means deleting this class and adding Django's own middleware. The policy is the same
    for every page: no page has an inline script or style, so no nonce is needed. A view that sets its own
    ``Content-Security-Policy`` keeps it."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.csp = "; ".join(
            f"{name} {' '.join(sources)}".strip() for name, sources in settings.SECURE_CSP.items()
        )
        self.permissions = ", ".join(
            f"{name}=({' '.join(allow)})" for name, allow in settings.PERMISSIONS_POLICY.items()
        )

    def __call__(self, request):
        response = self.get_response(request)
        if self.csp:
            response.headers.setdefault("Content-Security-Policy", self.csp)
        if self.permissions:
            response.headers.setdefault("Permissions-Policy", self.permissions)
        return response
