from django.contrib import admin

from mccs.audit.admin_readonly import ReadOnlyAdmin
from mccs.ledger.models import Account, Posting, Transfer


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    """Limits are changed at /admin/entities/<id> (or the admin API), which checks them against the balance."""

    list_display = ("number", "entity", "balance", "max_positive_balance", "max_negative_balance")
    search_fields = ("number", "entity__name")


@admin.register(Transfer)
class TransferAdmin(ReadOnlyAdmin):
    list_display = ("id", "kind", "payer", "payee", "amount", "state", "created_at")
    list_filter = ("state", "kind")
    search_fields = ("id", "payer__number", "payee__number", "description")


@admin.register(Posting)
class PostingAdmin(ReadOnlyAdmin):
    list_display = ("transfer", "account", "amount", "created_at")
    search_fields = ("account__number",)
