"""API operations for the directory domain (filled in by its issue)."""

from ninja import Router

router = Router()
