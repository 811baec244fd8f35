"""The administrators' email page (/admin/emails): emails the worker gave up on after permanent SMTP refusals, each
with the server's last answer and a button to send it again, and the emails still being retried."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mccs.core.errors import ApplicationError
from mccs.notifications.selectors import outbox_failed_list, outbox_retrying_list
from mccs.notifications.services import email_subject_shown, outbox_email_retry
from mccs.web.request_types import AuthenticatedHttpRequest
from mccs.web.views.admin import staff_required

SHOWN = 100


def _rows(emails) -> list[dict]:
    return [{"email": email, "subject": email_subject_shown(email)} for email in emails[:SHOWN]]


@staff_required
def emails(request: AuthenticatedHttpRequest) -> HttpResponse:
    failed = outbox_failed_list()
    retrying = outbox_retrying_list()
    context = {
        "failed": _rows(failed),
        "failed_count": failed.count(),
        "retrying": _rows(retrying),
        "retrying_count": retrying.count(),
    }
    return render(request, "web/admin/emails.html", context)


@staff_required
@require_POST
def email_retry(request: AuthenticatedHttpRequest, email_id: int) -> HttpResponse:
    try:
        outbox_email_retry(actor=request.user, email_id=email_id)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The email will be sent again within a few seconds."))
    return redirect("web:admin_emails")
