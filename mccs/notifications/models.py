from django.db import models


class OutboxEmail(models.Model):
    """An email waiting to be sent, written in the same transaction as the change that caused it.

    The worker sends it after commit and retries with back-off, so an SMTP outage delays mail but loses none.
    """

    to = models.JSONField(help_text="List of recipient addresses.")
    subject = models.CharField(max_length=255)
    body = models.TextField()
    html_body = models.TextField(blank=True)
    reply_to = models.JSONField(default=list, blank=True)
    # Rendered by the worker, not in the request (ADR 0090): when ``template`` is set, subject and body are empty
    # until sent, and ``context`` holds the plain values (text, numbers, lists) the template needs.
    template = models.CharField(max_length=100, blank=True, default="")
    context = models.JSONField(null=True, blank=True)
    # The recipient's language (a code of settings.LANGUAGES; empty: the node's default): the subject and body are
    # rendered in it, whoever caused the email and in whatever language they were reading.
    language = models.CharField(max_length=10, blank=True, default="")
    # Set for emails that must never be sent twice (e.g. one digest per entity and match set).
    dedupe_key = models.CharField(max_length=200, unique=True, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    next_attempt_at = models.DateTimeField(db_index=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # Given up: the SMTP server refused it permanently (5xx) MCCS_EMAIL_MAX_ATTEMPTS times, or it could not be
    # rendered. The worker leaves it alone until an administrator retries it (/admin/emails, ADR 0054).
    failed_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["sent_at", "next_attempt_at"], name="outbox_due_idx")]

    def __str__(self) -> str:
        return f"{self.subject} → {', '.join(self.to)}"
