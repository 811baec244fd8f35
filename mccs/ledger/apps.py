from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "mccs.ledger"
    label = "ledger"
