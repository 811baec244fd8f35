"""The one exception tree. Services raise these; the API and the web map them to responses and form errors.

Messages are whole sentences a member understands. Each app subclasses the kind that fits, e.g.
``class LimitExceeded(InvalidRequest)``; the interfaces only need to know the kinds below.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class ApplicationError(Exception):
    """Base of every error a member or client may see. ``code`` is a stable machine-readable name."""

    code = "error"

    def __init__(self, message: StrOrPromise, *, code: str | None = None, field: str | None = None) -> None:
        # A gettext_lazy constant becomes text here, in the language active when the error is raised: the
        # request's (Accept-Language for the API, the member's choice on the web).
        text = str(message)
        super().__init__(text)
        self.message = text
        self.field = field
        if code:
            self.code = code


class InvalidRequest(ApplicationError):
    """The input is wrong or the action is not allowed in the current state (HTTP 400)."""

    code = "invalid"


class TooManyItems(InvalidRequest):
    """A client's list is longer than the node reads: offers, wants, a synonym group, an entity's categories."""

    code = "too_many_items"


class NotAuthenticated(ApplicationError):
    """No valid credentials (HTTP 401)."""

    code = "not_authenticated"


class PermissionDenied(ApplicationError):
    """Authenticated but not allowed (HTTP 403)."""

    code = "permission_denied"


class NotFound(ApplicationError):
    """The object does not exist or is not visible to the actor (HTTP 404)."""

    code = "not_found"


class Conflict(ApplicationError):
    """Someone else changed the object first, or a retry does not match the original (HTTP 409)."""

    code = "conflict"


class UnsupportedMediaType(ApplicationError):
    """The request body is in a format the interface does not read (HTTP 415)."""

    code = "unsupported_media_type"


class PayloadTooLarge(ApplicationError):
    """The request body is larger than the node reads (HTTP 413)."""

    code = "too_large"


class TooManyRequests(ApplicationError):
    """A rate limit was reached (HTTP 429)."""

    code = "throttled"

    def __init__(self, message: StrOrPromise, *, retry_after: int | None = None, **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class Unavailable(ApplicationError):
    """Something this request needs is out of reach just now, e.g. another node of the tree (HTTP 503)."""

    code = "unavailable"
