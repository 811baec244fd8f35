"""``flush`` wipes every table on purpose, so it is the one command allowed past the append-only triggers of the
audit log and of ledger postings."""

from django.core.management.commands.flush import Command as DjangoFlush

from mccs.audit.guard import audit_maintenance


class Command(DjangoFlush):
    def handle(self, **options):
        with audit_maintenance(options["database"]):
            return super().handle(**options)
