"""The ledger's errors. Messages are whole sentences a member understands."""

from __future__ import annotations

from mccs.core.errors import Conflict, InvalidRequest, NotFound, PermissionDenied


class LimitExceeded(InvalidRequest):
    code = "limit_exceeded"


class TradingNotAllowed(InvalidRequest):
    code = "trading_not_allowed"


class TransferNotPending(Conflict):
    code = "transfer_not_pending"


class NotAParty(PermissionDenied):
    code = "not_a_party"


class TransferNotFound(NotFound):
    code = "transfer_not_found"


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"


class CrossesNodes(InvalidRequest):
    """The transfer crosses to another node: only the federation may change it (``mccs.federation.routing`` catches
    this and answers through the Credit Commons instead; the code stays "invalid" for any other caller)."""


class CounterpartyAmbiguous(InvalidRequest):
    """Several members match what was typed: ``matches`` are the accounts to choose from."""

    code = "counterparty_ambiguous"

    def __init__(self, message, *, matches: list, field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.matches = matches


ERROR_KINDS: dict[str, type[InvalidRequest] | type[Conflict]] = {
    "limit_exceeded": LimitExceeded,
}
