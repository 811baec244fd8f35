"""The one NinjaAPI at /api/v1. Errors always use the alpha envelope ``{"errors": [{"message": …}]}``."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import BadRequest, RequestDataTooBig, SuspiciousOperation
from django.http import Http404, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from django.utils import formats
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from mccs.api.auth import INSUFFICIENT_SCOPE
from mccs.api.rendering import ExactJSONParser, ExactJSONRenderer
from mccs.api.routers import (
    accounts,
    admin,
    admin_accounts,
    admin_emails,
    admin_federation,
    admin_synonyms,
    directory,
    ledger,
    session,
)
from mccs.core import errors

log = logging.getLogger(__name__)

STATUS_BY_ERROR = [
    (errors.TooManyRequests, 429),
    (errors.NotAuthenticated, 401),
    (errors.PermissionDenied, 403),
    (errors.NotFound, 404),
    (errors.Conflict, 409),
    (errors.UnsupportedMediaType, 415),
    (errors.PayloadTooLarge, 413),
    (errors.InvalidRequest, 400),
    (errors.Unavailable, 503),
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


def error_item(message: str, *, code: str, field: str | None = None) -> dict[str, str]:
    item = {"message": str(message), "code": code}
    if field:
        item["field"] = field
    return item


def error_response(request, status: int, *items: dict[str, str], headers: dict[str, str] | None = None):
    response = api.create_response(request, {"errors": list(items)}, status=status)
    for key, value in (headers or {}).items():
        response[key] = value
    return response


def api_field_name(request, field: str | None) -> str | None:
    """The name the client used for a field a service names by its model field (``first_name``). Body fields are
    camelCase in the alpha API and query parameters snake_case, so only body fields are translated; an operation
    whose body names differ (sign-up's ``entityName``) lists them in ``request.api_field_names``."""
    if not field:
        return None
    names = getattr(request, "api_field_names", {})
    if field in names:
        return names[field]
    if request.method == "GET" or "_" not in field:
        return field
    head, *rest = field.split("_")
    return head + "".join(part.capitalize() for part in rest)


@api.exception_handler(errors.ApplicationError)
def on_application_error(request, exc: errors.ApplicationError):
    status = next((code for kind, code in STATUS_BY_ERROR if isinstance(exc, kind)), 400)
    headers = {}
    if isinstance(exc, errors.TooManyRequests) and exc.retry_after:
        headers["Retry-After"] = str(exc.retry_after)
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    if exc.code == INSUFFICIENT_SCOPE:
        headers["WWW-Authenticate"] = f'Bearer error="{INSUFFICIENT_SCOPE}"'
    item = error_item(exc.message, code=exc.code, field=api_field_name(request, exc.field))
    return error_response(request, status, item, headers=headers)


def _pydantic_message(error: dict) -> str:
    """The request's language for the type errors a client meets most (pydantic writes English); "" for others,
    which keep pydantic's text."""
    kind = error.get("type", "")
    if kind in ("string_type", "string_unicode"):
        return _("must be text")
    if kind in ("int_type", "int_parsing", "int_from_float", "float_type", "float_parsing", "decimal_type",
                "decimal_parsing", "finite_number"):  # fmt: skip
        return _("must be a number")
    if kind in ("bool_type", "bool_parsing"):
        return _("must be true or false")
    if kind in ("list_type", "tuple_type", "set_type"):
        return _("must be a list")
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return _("must be an object")
    if kind == "string_too_long":
        return _("must be at most %(limit)s characters long") % {
            "limit": error.get("ctx", {}).get("max_length")
        }
    return ""


def _describe(error: dict) -> dict[str, str]:
    location = [
        str(part)
        for part in error.get("loc", ())
        if part not in {"body", "payload", "query", "path", "filters"}
    ]
    field = location[0] if location else None
    message = error.get("msg") or _("is invalid")
    if error.get("type") == "missing":
        if not location:
            return error_item(_("A field is required."), code="required", field=field)
        return error_item(
            _("%(field)s is required.") % {"field": ".".join(location)}, code="required", field=field
        )
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    else:
        message = _pydantic_message(error) or message
    return error_item(
        f"{'.'.join(location)}: {message}" if location else message, code="invalid", field=field
    )


@api.exception_handler(ValidationError)
def on_validation_error(request, exc: ValidationError):
    items = [_describe(e) for e in exc.errors] or [error_item(_("The request is invalid."), code="invalid")]
    return error_response(request, 400, *items)


@api.exception_handler(AuthenticationError)
def on_authentication_error(request, exc):
    item = error_item(_("Could not authenticate you. Please sign in again."), code="not_authenticated")
    return error_response(request, 401, item, headers={"WWW-Authenticate": "Bearer"})


@api.exception_handler(Http404)
def on_not_found(request, exc):
    return error_response(request, 404, error_item(_("Not found."), code="not_found"))


# Django's own refusals of a request it cannot read. Ninja would treat them as unexpected (a 500 with a traceback);
# they are the client's doing, answered in the envelope like every other error and never logged as errors.
@api.exception_handler(RequestDataTooBig)
def on_body_too_large(request, exc):
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return on_application_error(
        request,
        errors.PayloadTooLarge(
            _("The request body is larger than the %(limit)s bytes this node reads.")
            % {"limit": formats.number_format(limit, use_l10n=True, force_grouping=True)}
        ),
    )


@api.exception_handler(SuspiciousOperation)
@api.exception_handler(BadRequest)
@api.exception_handler(MultiPartParserError)
@api.exception_handler(UnreadablePostError)
def on_unreadable_request(request, exc):
    item = error_item(_("The request could not be read."), code="unreadable_request")
    return error_response(request, 400, item)


REQUEST_ERRORS = (
    errors.ApplicationError,
    SuspiciousOperation,
    BadRequest,
    MultiPartParserError,
    UnreadablePostError,
)


@api.exception_handler(HttpError)
def on_http_error(request, exc: HttpError):
    # Ninja wraps the parser's own error ("Cannot parse request body"); ours says what is wrong.
    cause = exc.__cause__
    if isinstance(cause, REQUEST_ERRORS):
        return api.on_exception(request, cause)
    return error_response(request, exc.status_code, error_item(str(exc), code="invalid"))


@api.exception_handler(Exception)
def on_unexpected(request, exc):
    log.exception("unexpected error on %s %s", request.method, request.path)
    return error_response(
        request, 500, error_item(_("Internal server error triggered."), code="internal_error")
    )


api.add_router("", accounts.router)
api.add_router("", session.router)
api.add_router("", directory.router)
api.add_router("", ledger.router)
api.add_router("/admin", admin_accounts.router)
api.add_router("/admin", admin.router)
api.add_router("/admin", admin_federation.router)
api.add_router("/admin", admin_emails.router)
api.add_router("/admin", admin_synonyms.router)
