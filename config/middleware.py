"""Request guards that apply to the web UI and the API alike."""

from __future__ import annotations

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
