"""The one NinjaAPI at /api/v1. Errors always use the alpha envelope ``{"errors": [{"message": …}]}``."""

from __future__ import annotations

import logging

from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from mccs.api.rendering import ExactJSONParser, ExactJSONRenderer
from mccs.api.routers import accounts, admin, admin_accounts, directory, ledger, session
from mccs.core import errors

log = logging.getLogger(__name__)

STATUS_BY_ERROR = [
    (errors.TooManyRequests, 429),
    (errors.NotAuthenticated, 401),
    (errors.PermissionDenied, 403),
    (errors.NotFound, 404),
    (errors.Conflict, 409),
    (errors.UnsupportedMediaType, 415),
    (errors.InvalidRequest, 400),
]

api = NinjaAPI(
    title="MCCS API",
    version="1",
    description="Mutual Credit Communication System API v1, compatible with the MCCS alpha API. "
    "Amounts are numbers with at most two decimals. See docs/api-compatibility.md for deviations.",
    parser=ExactJSONParser(),
    renderer=ExactJSONRenderer(),
    urls_namespace="api",
)


def error_response(request, status: int, *messages: str, headers: dict[str, str] | None = None):
    response = api.create_response(request, {"errors": [{"message": m} for m in messages]}, status=status)
    for key, value in (headers or {}).items():
        response[key] = value
    return response


@api.exception_handler(errors.ApplicationError)
def on_application_error(request, exc: errors.ApplicationError):
    status = next((code for kind, code in STATUS_BY_ERROR if isinstance(exc, kind)), 400)
    headers = {}
    if isinstance(exc, errors.TooManyRequests) and exc.retry_after:
        headers["Retry-After"] = str(exc.retry_after)
    return error_response(request, status, exc.message, headers=headers)


def _describe(error: dict) -> str:
    location = [
        str(part) for part in error.get("loc", ()) if part not in {"body", "payload", "query", "path"}
    ]
    message = error.get("msg", "is invalid")
    if error.get("type") == "missing":
        return f"{'.'.join(location) or 'A field'} is required."
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    return f"{'.'.join(location)}: {message}" if location else message


@api.exception_handler(ValidationError)
def on_validation_error(request, exc: ValidationError):
    return error_response(request, 400, *[_describe(e) for e in exc.errors] or ["The request is invalid."])


@api.exception_handler(AuthenticationError)
def on_authentication_error(request, exc):
    return error_response(request, 401, "Could not authenticate you. Please sign in again.")


@api.exception_handler(Http404)
def on_not_found(request, exc):
    return error_response(request, 404, "Not found.")


@api.exception_handler(HttpError)
def on_http_error(request, exc: HttpError):
    # Ninja wraps the parser's own error ("Cannot parse request body"); ours says what is wrong.
    cause = exc.__cause__
    if isinstance(cause, errors.ApplicationError):
        return on_application_error(request, cause)
    return error_response(request, exc.status_code, str(exc))


@api.exception_handler(Exception)
def on_unexpected(request, exc):
    log.exception("unexpected error on %s %s", request.method, request.path)
    return error_response(request, 500, "Internal server error triggered.")


api.add_router("", accounts.router)
api.add_router("", session.router)
api.add_router("", directory.router)
api.add_router("", ledger.router)
api.add_router("/admin", admin_accounts.router)
api.add_router("/admin", admin.router)
