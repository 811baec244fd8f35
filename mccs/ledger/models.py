from __future__ import annotations

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
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(max_positive_balance__gte=0), name="account_max_positive_gte_0"),
            models.CheckConstraint(condition=Q(max_negative_balance__gte=0), name="account_max_negative_gte_0"),
            models.CheckConstraint(condition=Q(balance__lte=F("max_positive_balance")),
                                   name="account_balance_within_positive_limit"),
            models.CheckConstraint(condition=Q(balance__gte=-F("max_negative_balance")),
                                   name="account_balance_within_negative_limit"),
        ]

    def __str__(self) -> str:
        return self.number
