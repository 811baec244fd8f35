from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "mccs.ledger"
    label = "ledger"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created
        from django.db.models.signals import post_migrate

        from mccs.ledger import sqlite_guard

        connection_created.connect(sqlite_guard.register_functions, dispatch_uid="mccs-ledger-sqlite-guard")
        post_migrate.connect(
            sqlite_guard.reinstall_triggers, sender=self, dispatch_uid="mccs-ledger-triggers"
        )
