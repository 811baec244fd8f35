"""API operations for the admin domain (filled in by its issue)."""

from ninja import Router

router = Router()
