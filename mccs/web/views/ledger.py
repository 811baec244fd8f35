"""Web pages for the ledger domain."""
