"""Ledger details shown on a user's own entity. The ledger issue fills this in."""

from __future__ import annotations


def pending_transfers_for(entity) -> list[dict]:
    return []
