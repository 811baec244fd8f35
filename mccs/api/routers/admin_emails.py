"""Admin API for the email outbox (an MCCS addition, not in the alpha): emails given up after permanent SMTP
refusals and emails still being retried, and sending a failed one again. The same services as /admin/emails."""

from __future__ import annotations

from typing import Literal

from ninja import Query, Router, Schema

from mccs.api.auth import admin_auth
from mccs.api.pagination import paginate
from mccs.api.rendering import iso_utc
from mccs.api.routers.sign_in import ok
from mccs.api.schemas import PARAMS, TOKEN, PageOut, errors
from mccs.notifications.selectors import outbox_failed_list, outbox_retrying_list
from mccs.notifications.services import email_subject_shown, outbox_email_retry

router = Router(tags=["Admin: Emails"], auth=admin_auth)


class EmailFilters(Schema):
    status: Literal["failed", "retrying"] = "failed"
    page: int = 1
    page_size: int = 10


class OutboxEmailOut(Schema):
    id: int
    to: list[str]
    subject: str
    attempts: int
    lastError: str
    createdAt: str
    nextAttemptAt: str | None
    failedAt: str | None


def email_out(email) -> dict:
    return {
        "id": email.pk,
        "to": list(email.to),
        "subject": email_subject_shown(email),
        "attempts": email.attempts,
        "lastError": email.last_error,
        "createdAt": iso_utc(email.created_at),
        "nextAttemptAt": None if email.failed_at else iso_utc(email.next_attempt_at),
        "failedAt": iso_utc(email.failed_at) if email.failed_at else None,
    }


@router.get("/emails", response={200: PageOut[OutboxEmailOut], **errors(*PARAMS, *TOKEN)})
def emails(request, filters: Query[EmailFilters]):
    """``status=failed`` (the default): emails given up after ``MCCS_EMAIL_MAX_ATTEMPTS`` permanent refusals (5xx),
    most recent first; ``status=retrying``: emails still waiting after a failed attempt, oldest first.
    ``lastError`` is the mail server's last answer."""
    listed = outbox_failed_list() if filters.status == "failed" else outbox_retrying_list()
    page, meta = paginate(listed, filters.page, filters.page_size)
    return {"data": [email_out(e) for e in page], "meta": meta}


@router.post("/emails/{email_id}/retry", response={200: None, **errors(*PARAMS, *TOKEN, 409)})
def email_retry(request, email_id: int):
    """Send a failed email again: it is due at once, with a fresh count of attempts. 409 when the email is not
    failed (waiting to be sent, already sent, or unknown)."""
    outbox_email_retry(actor=request.auth, email_id=email_id)
    return ok()
