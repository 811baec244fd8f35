"""Queue emails in the outbox. Call inside the transaction of the change that causes the email."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import cast

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.template import Context
from django.template.backends.django import Template as DjangoBackendTemplate
from django.template.loader import get_template, render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from mccs.core.clock import now
from mccs.core.errors import Conflict, PermissionDenied
from mccs.notifications.models import OutboxEmail


def _render_plain(name: str, context: Mapping[str, object]) -> str:
    """A plain-text template rendered without HTML escaping: a subject is not HTML, so "Ann's" stays "Ann's"
    (not "Ann&#x27;s"), whatever the template says."""
    # The engine's own Template, which takes a Context (the node's one engine is DjangoTemplates).
    template = cast(DjangoBackendTemplate, get_template(name)).template
    return template.render(Context(dict(context), autoescape=False))


def _render(template: str, context: Mapping[str, object], language: str) -> tuple[str, str]:
    """Subject and body of ``email/<template>``, in the recipient's ``language`` (empty: the node's default)."""
    ctx = {"base_url": settings.BASE_URL, **context}
    chosen = language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
    with translation.override(chosen):
        subject = " ".join(_render_plain(f"email/{template}_subject.txt", ctx).split())[:255]
        return subject, render_to_string(f"email/{template}.txt", ctx)


def email_render(email: OutboxEmail) -> tuple[str, str]:
    """The subject and body to send: as stored, or rendered now from the stored template and context, in the
    recipient's language."""
    if not email.template:
        return email.subject, email.body
    return _render(email.template, email.context or {}, email.language)


def email_subject_shown(email: OutboxEmail) -> str:
    """The subject to show an administrator: as sent or rendered now; for an email whose template cannot render
    (one reason an email fails), what is known of it."""
    try:
        return email_render(email)[0]
    except Exception:
        return email.subject or email.template


def emails_deferred_queue(template: str, rows: Iterable[tuple[str, str, str, str]]) -> None:
    """Queue emails of one ``template``, rendered by the worker (ADR 0090), from rows of (recipients as JSON text,
    context as JSON text, dedupe key, language), in one ``executemany`` on a plain cursor (pipelined on
    PostgreSQL); an email whose dedupe key was queued before is skipped, without a savepoint per email. The context
    must be JSON: plain text, numbers, lists and dicts — what the template shows, copied now, so the email says what
    was true when it was queued. The one way to queue emails that the worker renders: for the daily digest, tens of
    thousands at once, which joins each context from pieces it encoded once (Django's bulk insert on PostgreSQL
    sends each column as one array, whose text form escapes every quote of every JSON context with a regular
    expression — that alone was most of a 100,000-entity digest run); for a transfer's two emails, with none of
    the ORM's cost of building an insert (ADR 0165)."""
    table = connection.ops.quote_name(OutboxEmail._meta.db_table)
    columns = ", ".join(
        connection.ops.quote_name(name)  # each field's column has its name
        for name in (
            "to",
            "context",
            "dedupe_key",
            "language",
            "template",
            "created_at",
            "next_attempt_at",
            "subject",
            "body",
            "html_body",
            "reply_to",
            "attempts",
            "last_error",
        )
    )
    moment = connection.ops.adapt_datetimefield_value(now())
    params = [(to, context, key, language, template, moment, moment) for to, context, key, language in rows]
    if not params:
        return
    json = "%s::jsonb" if connection.vendor == "postgresql" else "%s"
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} ({columns}) "  # noqa: S608 — names and placeholders only
            f"VALUES ({json}, {json}, %s, %s, %s, %s, %s, '', '', '', '[]', 0, '') ON CONFLICT DO NOTHING",
            params,
        )


def email_enqueue(
    *,
    to: str | Iterable[str],
    template: str,
    context: Mapping[str, object] | None = None,
    reply_to: Iterable[str] = (),
    dedupe_key: str | None = None,
    language: str = "",
) -> OutboxEmail | None:
    """Render ``email/<template>_subject.txt`` and ``email/<template>.txt`` and queue the message.

    With a ``dedupe_key`` that was queued before, nothing is queued and None is returned. ``language`` is the
    recipient's (``settings.LANGUAGES``; empty: the node's default), never the language of whoever caused it.
    """
    recipients = [to] if isinstance(to, str) else list(to)
    subject, body = _render(template, context or {}, language)
    email = OutboxEmail(
        to=recipients,
        subject=subject,
        body=body,
        language=language,
        reply_to=list(reply_to),
        dedupe_key=dedupe_key,
        next_attempt_at=now(),
    )
    if dedupe_key is None:
        email.save()
        return email
    try:
        # Savepoint: a duplicate email (same dedupe key) is skipped inside the caller's transaction.
        with transaction.atomic():
            email.save()
    except IntegrityError:
        return None
    return email


def outbox_email_retry(*, actor, email_id: int) -> None:
    """An administrator sends a failed email again: it is due now, with a fresh count of attempts. Compare-and-set,
    so two administrators retrying at once queue it once."""
    if not getattr(actor, "is_staff", False):
        raise PermissionDenied(_("Only an administrator can send a failed email again."))
    retried = OutboxEmail.objects.filter(pk=email_id, failed_at__isnull=False, sent_at__isnull=True).update(
        failed_at=None, attempts=0, claimed_until=None, next_attempt_at=now()
    )
    if not retried:
        raise Conflict(_("This email is not failed (any more): it is waiting to be sent, or already sent."))
