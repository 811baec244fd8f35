"""API operations for the ledger domain (filled in by its issue)."""

from ninja import Router

router = Router()
