"""URLs of the ledger web pages (included by mccs/web/urls.py)."""

from django.urls import path

from mccs.web.views import ledger

urlpatterns = [
    path("transfers", ledger.statement, name="statement"),
    path("transfers/new", ledger.transfer_new, name="transfer_new"),
    path("transfers/payees", ledger.payee_options, name="payee_options"),
    path("get-paid", ledger.get_paid, name="get_paid"),
    path("transfers/<uuid:transfer_id>/act", ledger.transfer_act, name="transfer_act"),
]
