from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from mccs.directory.models import Entity


class Account(models.Model):
    """An entity's mutual credit account. ``balance`` caches the sum of its postings (in hundredths).

    Limits are stored as non-negative magnitudes in hundredths: the balance must stay within
    ``-max_negative_balance <= balance <= max_positive_balance`` — the database itself refuses anything else.
    """

    entity = models.OneToOneField(Entity, on_delete=models.PROTECT, related_name="account")
    number = models.CharField(max_length=16, unique=True)
    balance = models.BigIntegerField(default=0)
    max_positive_balance = models.BigIntegerField()
    max_negative_balance = models.BigIntegerField()
    # The last posting applied to ``balance``. Only the database moves it (with the balance), one posting at a time:
    # see migration 0005 and docs/ledger.md ("Double entry in the database").
    last_posting = models.ForeignKey(
        "Posting", null=True, blank=True, editable=False, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(max_positive_balance__gte=0), name="account_max_positive_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(max_negative_balance__gte=0), name="account_max_negative_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(balance__lte=F("max_positive_balance")),
                name="account_balance_within_positive_limit",
            ),
            models.CheckConstraint(
                condition=Q(balance__gte=-F("max_negative_balance")),
                name="account_balance_within_negative_limit",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def available_to_spend(self) -> int:
        """How much this account can still pay, in hundredths."""
        return self.balance + self.max_negative_balance

    @property
    def available_to_receive(self) -> int:
        return self.max_positive_balance - self.balance


class TransferState(models.TextChoices):
    """Named after the Credit Commons states: pending → completed, or cancelled (never erased here)."""

    PENDING = "pending"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class TransferKind(models.TextChoices):
    TRANSFER = "transfer"  # two-step, between members
    ADMIN = "adminTransfer"  # made by an administrator on behalf of members, completed at once


class Transfer(models.Model):
    """A movement of credit from ``payer`` to ``payee``. ``initiator`` is the account whose user proposed it;
    the other party is the receiver, who accepts or rejects it. Only a completed transfer has postings."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=16, choices=TransferKind.choices, default=TransferKind.TRANSFER)
    payer = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="transfers_paid")
    payee = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="transfers_received")
    initiator = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="transfers_initiated")
    amount = models.BigIntegerField()
    description = models.CharField(max_length=500, blank=True)
    state = models.CharField(max_length=16, choices=TransferState.choices, default=TransferState.PENDING)
    cancellation_reason = models.CharField(max_length=500, blank=True)
    initiated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(db_index=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["payer", "state", "created_at"], name="transfer_payer_state"),
            models.Index(fields=["payee", "state", "created_at"], name="transfer_payee_state"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="transfer_amount_gt_0"),
            models.CheckConstraint(condition=~Q(payer=F("payee")), name="transfer_not_to_self"),
            models.CheckConstraint(
                condition=Q(initiator=F("payer")) | Q(initiator=F("payee")),
                name="transfer_initiator_is_a_party",
            ),
            models.CheckConstraint(condition=Q(state__in=TransferState.values), name="transfer_state_valid"),
            models.CheckConstraint(condition=Q(kind__in=TransferKind.values), name="transfer_kind_valid"),
            models.CheckConstraint(
                condition=(
                    Q(state=TransferState.PENDING, completed_at__isnull=True, cancelled_at__isnull=True)
                    | Q(state=TransferState.COMPLETED, completed_at__isnull=False, cancelled_at__isnull=True)
                    | Q(state=TransferState.CANCELLED, completed_at__isnull=True, cancelled_at__isnull=False)
                ),
                name="transfer_dates_match_state",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.id} {self.payer_id}→{self.payee_id} {self.amount} {self.state}"

    @property
    def receiver_id(self) -> int:
        return self.payee_id if self.initiator_id == self.payer_id else self.payer_id

    @property
    def receiver(self) -> Account:
        return self.payee if self.initiator_id == self.payer_id else self.payer

    @property
    def initiator_pays(self) -> bool:
        return self.initiator_id == self.payer_id


class AppendOnly(Exception):
    """Postings are never changed or removed: a correction is a new transfer."""


class PostingQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnly("Postings are never updated; record a correcting transfer instead.")

    def delete(self):
        raise AppendOnly("Postings are never deleted; record a correcting transfer instead.")


class Posting(models.Model):
    """One side of a completed transfer: ``amount`` is added to the account's balance (negative for the payer).
    Append-only, here and in the database (triggers refuse UPDATE and DELETE)."""

    transfer = models.ForeignKey(Transfer, on_delete=models.PROTECT, related_name="postings")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="postings")
    amount = models.BigIntegerField()
    created_at = models.DateTimeField()

    objects = PostingQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["account", "created_at"], name="posting_account_created"),
            # The administrators' overview reads the network's recent weeks (statistics.network_weeks).
            models.Index(fields=["created_at"], name="posting_created"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="posting_amount_not_0"),
            models.UniqueConstraint(fields=["transfer", "account"], name="posting_one_per_account"),
        ]

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnly("Postings are never updated; record a correcting transfer instead.")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly("Postings are never deleted; record a correcting transfer instead.")


class IdempotencyRecord(models.Model):
    """The answer given to a request that carried an ``Idempotency-Key``: a retry gets it again, unchanged."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    transfer = models.ForeignKey(Transfer, on_delete=models.CASCADE, null=True, related_name="+")
    response = models.TextField(blank=True)  # the JSON body of the answer, exactly as first sent
    error_kind = models.CharField(max_length=32, blank=True)
    error_message = models.TextField(blank=True)
    # Records older than MCCS_IDEMPOTENCY_KEY_DAYS are deleted by the worker (idempotency_prune).
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_user_key_unique")]
