"""Federation use-cases: the node's place in the tree, relaying transactions, and state changes across links.

How a state change crosses the tree without being lost or doubled (docs/federation.md, ADR 0100):

* A change owed to a neighbour is first written as an ``Intent`` (committed), then sent. The node applies the
  change to its own ledger only once the neighbour has accepted it, so nothing is ever completed here while the
  far side has not heard of it; a change the neighbour refuses is applied nowhere.
* One change at a time crosses a link, in either direction: a short lease on the neighbour row. A node that
  holds the lease answers a neighbour's change with ``UnavailableNodeFailure`` (retry later).
* A change that gets no answer (neighbour down, timeout, busy) stays queued; the worker retries it with
  back-off until the neighbour accepts or refuses it. A neighbour that already applied it recognises the repeat
  (its link hash is the hash of exactly this change on top of the one presented) and answers as the first time.
* An intermediate node relays a change onwards before it answers; while the far side cannot be reached it
  answers "retry later", and both the sender and the intermediate node keep retrying.
"""

from __future__ import annotations

import logging
import time
import uuid as uuid_lib
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from types import SimpleNamespace
from typing import Unpack

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mccs.audit.services import audit_record
from mccs.core import rows
from mccs.core.amount import Amount
from mccs.core.amount import money as money_text
from mccs.core.clock import now
from mccs.core.crashpoints import crashpoint
from mccs.core.errors import ApplicationError, Conflict, InvalidRequest, NotFound, PermissionDenied
from mccs.directory.models import Entity, EntityStatus
from mccs.directory.services import entity_language, entity_recipients
from mccs.federation import client, money
from mccs.federation.hashchain import link_hash
from mccs.federation.locks import federated_transfer_lock, neighbour_lock, neighbours_lock, node_lock
from mccs.federation.models import (
    CCState,
    Direction,
    FederatedTransfer,
    Intent,
    LinkHash,
    Neighbour,
    Node,
)
from mccs.federation.paths import NAME_RE, SEGMENT_RE, Topology
from mccs.ledger import policies
from mccs.ledger.accounts import account_open, default_limits
from mccs.ledger.errors import IdempotencyKeyReused
from mccs.ledger.idempotency import (
    Idempotency,
    fingerprint,
    idempotency_find,
    idempotency_replay,
    idempotency_save,
)
from mccs.ledger.lock_objects import accounts_lock
from mccs.ledger.models import Account, Transfer, TransferKind, TransferState
from mccs.ledger.selectors import transfer_for_actor
from mccs.ledger.services import (
    TransferProposal,
    initiator_account,
    limit_raise,
    proposal_clean,
    transfer_record,
)
from mccs.notifications.services import email_enqueue
from mccs.users.models import User

log = logging.getLogger(__name__)

LEASE_SECONDS = 15
VALIDATED_TTL = timedelta(minutes=10)
MAX_BACKOFF = 8
# A relay refused because a change crossed the link at the same moment is tried again after these pauses (s).
RELAY_RETRY_PAUSES = (0.05, 0.2, 0.5)
WORKFLOWS = {"credit", "bill"}


class CCError(ApplicationError):
    """A Credit Commons error: ``cc_class`` and ``fields`` go on the wire in the reference's shape."""

    def __init__(
        self,
        message: str,
        *,
        cc_class: str,
        status: int = 400,
        fields: dict | None = None,
        retry: bool = False,
        origin: str = "",
    ) -> None:
        super().__init__(message)
        self.origin = origin
        self.cc_class = cc_class
        self.status = status
        self.fields = fields or {}
        self.retry = retry


def _unavailable(node: str, why: str) -> CCError:
    return CCError(
        f"Node {node} cannot be reached just now ({why}); the change is queued and will be retried.",
        cc_class="UnavailableNodeFailure",
        status=503,
        fields={"node": node},
        retry=True,
    )


# --- configuration ------------------------------------------------------------------------------------------------


def node_get() -> Node | None:
    return Node.objects.filter(pk=1).first()


def node_name() -> str:
    node = node_get()
    if node is None:
        raise InvalidRequest(
            _("Federation is not set up on this node: name it first (`mccs federation init --name NAME`).")
        )
    return node.name


def topology() -> Topology:
    node = node_get()
    name = node.name if node else ""
    trunk = Neighbour.objects.filter(direction=Direction.TRUNKWARD).values_list("name", flat=True).first()
    children = set(Neighbour.objects.filter(direction=Direction.LEAFWARD).values_list("name", flat=True))
    return Topology(name=name, trunk=trunk, children=children)


def _clean_name(name: object, *, field: str = "name") -> str:
    if not isinstance(name, str) or not NAME_RE.match(name.strip()):
        raise InvalidRequest(
            _("%(name)s is not a valid node name: use 1-50 lower-case letters, digits, '-' or '_'.")
            % {"name": name},
            field=field,
        )
    return name.strip()


def _clean_url(url: object) -> str:
    if not isinstance(url, str) or not url.strip().startswith(("http://", "https://")):
        raise InvalidRequest(_("%(url)s is not an http:// or https:// URL.") % {"url": url}, field="url")
    return url.strip().rstrip("/")


def federation_init(*, name: object) -> Node:
    clean = _clean_name(name)
    with transaction.atomic(durable=True):
        node = node_lock()
        if node is None:
            node = Node.objects.create(pk=1, name=clean)
        elif node.name != clean:
            if FederatedTransfer.objects.exists():
                raise InvalidRequest(
                    _(
                        "This node is already named %(name)s and has traded under that name; it cannot be renamed."
                    )
                    % {"name": node.name},
                    field="name",
                )
            node.name = clean
            node.save(update_fields=["name"])
        audit_record(actor=None, action="federation.init", object_type="node", object_id=clean)
    return node


def _limit_cents(value: object, field: str, default: int) -> int:
    if value is None:
        return default
    return Amount.parse(str(value), field=field, allow_zero=True).cents


def _rate(value: object) -> Decimal:
    try:
        rate = Decimal(str(value))
    except InvalidOperation:
        rate = Decimal(0)
    if not rate.is_finite() or rate <= 0 or rate != rate.quantize(Decimal("1e-12")) or rate >= 10**12:
        raise InvalidRequest(
            _("%(rate)s is not a valid rate: a positive number with at most 12 decimals.") % {"rate": value},
            field="rate",
        )
    return rate


def _neighbour_create(
    *,
    name: str,
    url: str,
    direction: str,
    rate: Decimal,
    max_negative: object,
    max_positive: object,
    actor: User | None = None,
) -> Neighbour:
    positive_default, negative_default = default_limits()
    negative = _limit_cents(max_negative, "max-negative", negative_default)
    positive = _limit_cents(max_positive, "max-positive", positive_default)
    if node_get() is None:
        node_name()
    if name == node_name():
        raise InvalidRequest(_("%(name)s is this node's own name.") % {"name": name}, field="name")
    with transaction.atomic(durable=True):
        existing = neighbour_lock(name)
        if existing is not None:
            if existing.direction != direction:
                raise InvalidRequest(
                    (
                        _("%(name)s is already the trunk of this node.")
                        if existing.direction == Direction.TRUNKWARD
                        else _("%(name)s is already a branch of this node.")
                    )
                    % {"name": name},
                    field="name",
                )
            existing.url = url
            existing.rate = rate
            existing.save(update_fields=["url", "rate"])
            account = accounts_lock(existing.account_id)[existing.account_id]
            _limits_apply(account, negative=negative, positive=positive)
            return existing
        if direction == Direction.TRUNKWARD and Neighbour.objects.filter(direction=direction).exists():
            trunk = Neighbour.objects.get(direction=direction)
            raise InvalidRequest(
                _("This node already has a trunk (%(name)s); a node has one trunk at most.")
                % {"name": trunk.name},
                field="name",
            )
        entity = Entity.objects.create(name=f"Credit Commons node {name}", status=EntityStatus.PENDING)
        account = account_open(entity=entity)
        _limits_apply(account, negative=negative, positive=positive)
        neighbour = Neighbour.objects.create(
            name=name, url=url, direction=direction, rate=rate, account=account
        )
        link_audit(
            neighbour,
            actor=actor,
            action="federation.neighbour_add",
            changes={"direction": (None, direction), "url": (None, url), "rate": (None, str(rate))},
        )
    return neighbour


def link_audit(neighbour: Neighbour, *, actor: User | None, action: str, changes: dict) -> None:
    """An audit entry about a link, recorded against the entity that holds the neighbour's account."""
    audit_record(
        actor=actor,
        action=action,
        object_type="neighbour",
        object_id=neighbour.name,
        entity_id=neighbour.account.entity_id,
        changes=changes,
    )


def _limits_apply(account: Account, *, negative: int, positive: int) -> None:
    if account.balance > positive or -account.balance > negative:
        raise InvalidRequest(
            _("The limits cannot be set below what the balance (%(balance)s) already uses.")
            % {"balance": money_text(account.balance)}
        )
    account.max_negative_balance = negative
    account.max_positive_balance = positive
    account.save(update_fields=["max_negative_balance", "max_positive_balance"])


def branch_add(
    *,
    name: object,
    url: object,
    max_negative: object = None,
    max_positive: object = None,
    actor: User | None = None,
) -> Neighbour:
    """Let node ``name``, served at ``url``, join as a leaf of this node (``mccs federation add-branch``, the admin
    page and API). ``actor`` is the administrator, for the audit log (None: the command line)."""
    return _neighbour_create(
        actor=actor,
        name=_clean_name(name),
        url=_clean_url(url),
        direction=Direction.LEAFWARD,
        rate=Decimal(1),
        max_negative=max_negative,
        max_positive=max_positive,
    )


def trunk_join(
    *,
    name: object,
    url: object,
    rate: object = "1",
    max_negative: object = None,
    max_positive: object = None,
    actor: User | None = None,
) -> tuple[Neighbour, str]:
    """Make this node a leaf of the trunk; answers the neighbour and the handshake's result ("ok" or why not)."""
    neighbour = _neighbour_create(
        actor=actor,
        name=_clean_name(name),
        url=_clean_url(url),
        direction=Direction.TRUNKWARD,
        rate=_rate(rate if rate is not None else "1"),
        max_negative=max_negative,
        max_positive=max_positive,
    )
    return neighbour, handshake(neighbour)


def neighbour_limits_set(
    *, actor: User, name: str, max_negative: object = None, max_positive: object = None
) -> Neighbour:
    if not policies.can_change_limits(actor):
        raise PermissionDenied(_("Only administrators can change a neighbour's limits."))
    neighbour = Neighbour.objects.filter(name=name).first()
    if neighbour is None:
        raise NotFound(_("No neighbour is called %(name)s.") % {"name": name})
    with transaction.atomic(durable=True):
        account = accounts_lock(neighbour.account_id)[neighbour.account_id]
        before = (account.max_negative_balance, account.max_positive_balance)
        _limits_apply(
            account,
            negative=_limit_cents(max_negative, "maxNegativeBalance", account.max_negative_balance),
            positive=_limit_cents(max_positive, "maxPositiveBalance", account.max_positive_balance),
        )
        neighbour.account = account
        link_audit(
            neighbour,
            actor=actor,
            action="federation.neighbour_limits",
            changes={
                "maxNegativeBalance": (str(Amount(before[0])), str(Amount(account.max_negative_balance))),
                "maxPositiveBalance": (str(Amount(before[1])), str(Amount(account.max_positive_balance))),
            },
        )
    return neighbour


def sharing_set(*, actor: User | None, on: bool) -> Node:
    """Turn sharing of this node's public directory with its neighbours on or off (``mccs federation share``)."""
    if actor is not None and not policies.can_change_limits(actor):
        raise PermissionDenied(_("Only administrators can change what this node shares."))
    if not isinstance(on, bool):
        raise InvalidRequest(_("sharing must be true or false."), field="sharing")
    with transaction.atomic(durable=True):
        node = node_lock()
        if node is None:
            raise InvalidRequest(
                _("This node is not part of a Credit Commons tree yet: run mccs federation init."),
                field="sharing",
            )
        if node.sharing != on:
            audit_record(
                actor=actor,
                action="federation.sharing",
                object_type="node",
                object_id=node.name,
                changes={"sharing": (node.sharing, on)},
            )
            node.sharing = on
            node.save(update_fields=["sharing"])
    return node


def handshake(neighbour: Neighbour) -> str:
    try:
        answer = client.call(
            neighbour.url, "GET", "/handshake", node=node_name(), auth=neighbour.last_hash, timeout=5
        )
    except client.Unreachable as exc:
        return f"unreachable: {exc}"
    if answer.ok:
        return "ok"
    return f"refused ({answer.status}): {answer.message()}"


def _pending_of(account_id: int) -> int:
    """Signed like a balance: what pending federated transfers would add to this account."""
    open_ = FederatedTransfer.objects.filter(state=CCState.PENDING)
    incoming = open_.filter(payee_id=account_id).aggregate(s=Sum("amount"))["s"] or 0
    outgoing = open_.filter(payer_id=account_id).aggregate(s=Sum("amount"))["s"] or 0
    return incoming - outgoing


def federation_status(*, live: bool = True) -> dict:
    node = node_get()
    neighbours = []
    for neighbour in Neighbour.objects.select_related("account").order_by("direction", "name"):
        account = neighbour.account
        neighbours.append(
            {
                "name": neighbour.name,
                "url": neighbour.url,
                "direction": neighbour.direction,
                "rate": neighbour.rate.normalize() if neighbour.is_trunk else Decimal(1),
                "balance": Amount(account.balance).to_decimal(),
                "pending": Amount(_pending_of(account.pk)).to_decimal(),
                "maxNegativeBalance": Amount(account.max_negative_balance).to_decimal(),
                "maxPositiveBalance": Amount(account.max_positive_balance).to_decimal(),
                "lastHash": neighbour.last_hash,
                "handshake": handshake(neighbour) if live else "",
                "queued": Intent.objects.filter(neighbour=neighbour, done_at__isnull=True).count(),
            }
        )
    return {
        "node": node.name if node else "",
        "sharing": bool(node and node.sharing),
        "neighbours": neighbours,
    }


# --- leases -------------------------------------------------------------------------------------------------------


def _lease(neighbour_id: int) -> str | None:
    token = uuid_lib.uuid4().hex
    moment = now()
    taken = (
        Neighbour.objects.filter(pk=neighbour_id)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=moment))
        .update(lease_owner=token, lease_until=moment + timedelta(seconds=LEASE_SECONDS))
    )
    return token if taken else None


def _release(neighbour_id: int, token: str) -> None:
    Neighbour.objects.filter(pk=neighbour_id, lease_owner=token).update(lease_owner="", lease_until=None)


# --- authentication of nodes --------------------------------------------------------------------------------------


def node_authenticate(user: str, presented: str, *, allow_repeat: bool = False) -> Neighbour:
    """The caller names itself and presents the last hash of our link. A wrong hash is refused without saying
    which hash was expected. ``allow_repeat`` lets a state change through for the repeat check."""
    neighbour = Neighbour.objects.filter(name=user).first()
    if neighbour is None:
        raise CCError(
            f"{user} is not a neighbour of this node.",
            cc_class="DoesNotExistViolation",
            status=403,
            fields={"type": "node", "id": user},
        )
    if presented != neighbour.last_hash and not allow_repeat:
        raise hash_mismatch(neighbour, presented)
    return neighbour


def hash_mismatch(neighbour: Neighbour, presented: str) -> CCError:
    return CCError(
        f"The hash from node {neighbour.name} does not match this node's hash for that link.",
        cc_class="HashMismatchFailure",
        status=403,
        fields={"remoteNode": neighbour.name, "remoteHash": presented},
        retry=True,
    )


# --- limits -------------------------------------------------------------------------------------------------------


def _reserved(account_id: int) -> tuple[int, int]:
    """Amounts held by open federated transfers: (paying out, receiving), in hundredths."""
    recent = Q(state=CCState.PENDING) | Q(state=CCState.VALIDATED, written__gte=now() - VALIDATED_TTL)
    open_ = FederatedTransfer.objects.filter(recent).filter(Q(payer_id=account_id) | Q(payee_id=account_id))
    out = open_.filter(payer_id=account_id).aggregate(s=Sum("amount"))["s"] or 0
    in_ = open_.filter(payee_id=account_id).aggregate(s=Sum("amount"))["s"] or 0
    return out, in_


def _limits_check(
    payer: Account, payee: Account, amount: int, *, exclude: FederatedTransfer | None = None
) -> None:
    """Balance, minus what open federated transfers already hold, must stay within the limits."""
    out, _unused_in = _reserved(payer.pk)
    _unused_out, in_ = _reserved(payee.pk)
    if exclude is not None:
        out -= exclude.amount if exclude.payer_id == payer.pk else 0
        in_ -= exclude.amount if exclude.payee_id == payee.pk else 0
    projected = payer.balance - out - amount
    if projected < -payer.max_negative_balance:
        raise _limit_violation(
            _(
                "Paying %(amount)s would take account %(account)s below its limit of -%(limit)s (counting "
                "transfers still pending)."
            ),
            "MinLimitViolation",
            payer,
            amount=amount,
            limit=-payer.max_negative_balance,
            projected=projected,
        )
    projected = payee.balance + in_ + amount
    if projected > payee.max_positive_balance:
        raise _limit_violation(
            _(
                "Receiving %(amount)s would take account %(account)s above its limit of %(limit)s (counting "
                "transfers still pending)."
            ),
            "MaxLimitViolation",
            payee,
            amount=amount,
            limit=payee.max_positive_balance,
            projected=projected,
        )


def _limit_violation(
    message: str, cc_class: str, account: Account, *, amount: int, limit: int, projected: int
):
    """The refusal of a transfer that would take ``account`` past its (signed) ``limit``: the member's sentence
    (``%(limit)s`` is the limit's magnitude) and the reference's fields."""
    label = _label(account)
    return CCError(
        message % {"amount": money_text(amount), "account": label, "limit": money_text(abs(limit))},
        cc_class=cc_class,
        fields={
            "limit": Amount(limit).to_decimal(),
            "projected": Amount(projected).to_decimal(),
            "accId": label,
        },
    )


def _label(account: Account) -> str:
    neighbour = Neighbour.objects.filter(account=account).values_list("name", flat=True).first()
    return neighbour or account.number


# --- wire forms ---------------------------------------------------------------------------------------------------


def _link_rate(neighbour: Neighbour) -> Decimal:
    return neighbour.rate if neighbour.is_trunk else Decimal(1)


def _involves(entry: dict, neighbour: Neighbour, top: Topology) -> bool:
    return neighbour.name in (top.route(entry["payer"]), top.route(entry["payee"]))


def wire_entries(ft: FederatedTransfer, neighbour: Neighbour, top: Topology, *, only=None) -> list[dict]:
    rate = _link_rate(neighbour)
    entries = ft.entries if only is None else only
    return [
        {
            "payee": top.to_wire(e["payee"], neighbour.name),
            "payer": top.to_wire(e["payer"], neighbour.name),
            "quant": money.to_wire(e["cents"], rate),
            "description": e["description"],
            "metadata": e.get("metadata") or {},
        }
        for e in entries
    ]


def _hash_entries(ft: FederatedTransfer, neighbour: Neighbour, top: Topology) -> list[tuple[Decimal, str]]:
    rate = _link_rate(neighbour)
    return [
        (money.to_wire(e["cents"], rate), e["description"])
        for e in ft.entries
        if _involves(e, neighbour, top)
    ]


def wire_transaction(ft: FederatedTransfer, *, viewer: Neighbour | None = None) -> dict:
    top = topology()
    target = viewer or ft.upstream or ft.downstream
    entries = wire_entries(ft, target, top) if target else []
    return {
        "uuid": str(ft.uuid),
        "written": ft.written.strftime("%Y-%m-%d %H:%M:%S"),
        "state": ft.state,
        "type": ft.workflow,
        "version": ft.version,
        "entries": entries,
    }


def _entries_from_wire(raw: list, neighbour: Neighbour, top: Topology) -> list[dict]:
    entries = []
    for item in raw:
        if not isinstance(item, dict):
            raise CCError("Each entry must be an object.", cc_class="CCViolation")
        try:
            payer = top.from_wire(str(item.get("payer", "")), neighbour.name)
            payee = top.from_wire(str(item.get("payee", "")), neighbour.name)
        except ValueError as exc:
            raise CCError(
                str(exc), cc_class="DoesNotExistViolation", fields={"type": "account", "id": ""}
            ) from None
        try:
            cents = money.from_wire(item.get("quant"), _link_rate(neighbour), neighbour=neighbour.name)
        except InvalidRequest as exc:
            raise CCError(exc.message, cc_class="CCViolation") from None
        description = item.get("description") or ""
        if not isinstance(description, str) or len(description) > 500:
            raise CCError("The description must be text of at most 500 characters.", cc_class="CCViolation")
        metadata = item.get("metadata") if isinstance(item.get("metadata"), dict) else {}
        entries.append(
            {"payer": payer, "payee": payee, "cents": cents, "description": description, "metadata": metadata}
        )
    return entries


# --- relay (validate) ---------------------------------------------------------------------------------------------


@dataclass
class Party:
    account: Account
    neighbour: Neighbour | None


def _party(path: str, top: Topology) -> Party:
    route = top.route(path)
    if route is None:
        account = Account.objects.select_related("entity").filter(number=path).first()
        if account is None or hasattr(account, "neighbour"):
            raise CCError(
                f"No account {path} on node {top.name}.",
                cc_class="DoesNotExistViolation",
                fields={"type": "account", "id": path},
            )
        return Party(account, None)
    if route is None or route == "":
        raise CCError(
            f"No route to {path}.", cc_class="DoesNotExistViolation", fields={"type": "node", "id": path}
        )
    neighbour = Neighbour.objects.select_related("account").filter(name=route).first()
    if neighbour is None:
        raise CCError(
            f"No node on the way to {path}.",
            cc_class="DoesNotExistViolation",
            fields={"type": "node", "id": path.split("/")[0]},
        )
    return Party(neighbour.account, neighbour)


def _check_member_trading(party: Party) -> None:
    if party.neighbour is None and party.account.entity.status != EntityStatus.TRADING_ACCEPTED:
        raise CCError(
            _("Account %(number)s is not accepted for trading.") % {"number": party.account.number},
            cc_class="DoesNotExistViolation",
            fields={"type": "account", "id": party.account.number},
        )


def relay_receive(*, neighbour: Neighbour, body: object) -> list[dict]:
    """A neighbour proposes a transaction (``POST /transaction/relay``): check it, hold it against the limits,
    pass it on if it is not for us, and answer the extra entries for the caller (none of our own)."""
    top = topology()
    if not isinstance(body, dict):
        raise CCError("The body must be a transaction object.", cc_class="CCViolation")
    try:
        uuid = uuid_lib.UUID(str(body.get("uuid", "")))
    except ValueError:
        raise CCError("uuid must be a UUID.", cc_class="CCViolation") from None
    workflow = body.get("type")
    if workflow not in WORKFLOWS:
        raise CCError(
            f"Unknown workflow {workflow!s}: this node knows credit and bill.",
            cc_class="DoesNotExistViolation",
            fields={"type": "workflow", "id": str(workflow)},
        )
    raw = body.get("entries")
    if not isinstance(raw, list) or not raw:
        raise CCError("A transaction needs at least one entry.", cc_class="CCViolation")
    existing = FederatedTransfer.objects.filter(uuid=uuid).first()
    if existing is not None:
        if existing.upstream_id == neighbour.pk:
            # The same relay again: one effect, the same answer.
            appended = [e for e in existing.entries[1:] if e.get("from") == "downstream"]
            return wire_entries(existing, neighbour, top, only=appended)
        raise CCError(f"Transaction {uuid} already exists here.", cc_class="CCViolation", status=400)
    entries = _entries_from_wire(raw, neighbour, top)
    primary = entries[0]
    payer, payee = _party(primary["payer"], top), _party(primary["payee"], top)
    sides = [p.neighbour.pk if p.neighbour else None for p in (payer, payee)]
    if neighbour.pk not in sides or sides[0] == sides[1]:
        raise CCError(
            f"Neither the payer nor the payee of this transaction is reached through {neighbour.name}.",
            cc_class="SameAccountViolation" if sides[0] == sides[1] else "CCViolation",
            fields={"wrongId": neighbour.name} if sides[0] == sides[1] else {},
        )
    other = payee if payer.neighbour and payer.neighbour.pk == neighbour.pk else payer
    _check_member_trading(other)
    for entry in entries:
        entry["from"] = "upstream"
    ft = _validated_create(
        uuid=uuid,
        workflow=workflow,
        payer=payer.account,
        payee=payee.account,
        entries=entries,
        upstream=neighbour,
        downstream=other.neighbour,
        author=neighbour.name,
    )
    if other.neighbour is None:
        return []
    try:
        appended = _relay_send(ft, other.neighbour, top)
    except CCError:
        FederatedTransfer.objects.filter(pk=ft.pk, transfer__isnull=True).delete()
        raise
    crashpoint("relay.before_answer")
    return wire_entries(ft, neighbour, top, only=appended)


def _validated_create(
    *, uuid, workflow, payer: Account, payee: Account, entries, upstream, downstream, author
) -> FederatedTransfer:
    amount = entries[0]["cents"]
    with transaction.atomic(durable=True):
        locked = accounts_lock(payer.pk, payee.pk)
        _limits_check(locked[payer.pk], locked[payee.pk], amount)
        try:
            # Savepoint: a duplicate uuid is answered as a Credit Commons error, not a broken transaction.
            with transaction.atomic():
                return FederatedTransfer.objects.create(
                    uuid=uuid,
                    workflow=workflow,
                    state=CCState.VALIDATED,
                    payer=payer,
                    payee=payee,
                    amount=amount,
                    description=entries[0]["description"],
                    entries=entries,
                    upstream=upstream,
                    downstream=downstream,
                    author=author,
                    written=now(),
                )
        except IntegrityError:
            raise CCError(f"Transaction {uuid} already exists here.", cc_class="CCViolation") from None


def _relay_send(ft: FederatedTransfer, neighbour: Neighbour, top: Topology) -> list[dict]:
    """Pass a validated transaction on; keep the extra entries the neighbour answers (e.g. a PHP trunk's fees)."""
    body = {
        "uuid": str(ft.uuid),
        "written": "",
        "type": ft.workflow,
        "entries": wire_entries(ft, neighbour, top),
    }
    for pause in (*RELAY_RETRY_PAUSES, None):
        # The link's hash moves with every state change that crosses it: read it afresh for each attempt.
        auth = Neighbour.objects.filter(pk=neighbour.pk).values_list("last_hash", flat=True).first() or ""
        try:
            answer = client.call(
                neighbour.url, "POST", "/transaction/relay", node=top.name, auth=auth, body=body
            )
        except client.Unreachable as exc:
            raise _unavailable(neighbour.name, str(exc)) from None
        if answer.ok:
            break
        error = _error_from(answer, neighbour)
        if not error.retry or pause is None:
            raise error
        # A change crossed the link meanwhile (stale hash) or the neighbour was busy: try again shortly.
        time.sleep(pause)
    data = answer.body.get("data") if isinstance(answer.body, dict) else None
    extra = data if isinstance(data, list) else []
    appended = _entries_from_wire(extra, neighbour, top) if extra else []
    for entry in appended:
        entry["from"] = "downstream"
    if appended:
        ft.entries = [*ft.entries, *appended]
        ft.save(update_fields=["entries"])
    return appended


def _error_from(answer: client.Answer, neighbour: Neighbour) -> CCError:
    errors = answer.errors()
    first = errors[0] if errors else {}
    cc_class = str(first.get("class") or "CCFailure")
    fields = {
        k: v
        for k, v in first.items()
        if k not in {"class", "node", "method", "path", "user", "trace", "localHash"}
    }
    retry = cc_class in {"HashMismatchFailure", "UnavailableNodeFailure"} or answer.status >= 500
    return CCError(
        _describe(cc_class, first, neighbour),
        cc_class=cc_class,
        status=answer.status if 400 <= answer.status < 600 else 502,
        fields=fields,
        retry=retry,
        origin=str(first.get("node") or ""),
    )


def _describe(cc_class: str, error: dict, neighbour: Neighbour) -> str:
    where = error.get("node") or neighbour.name
    if error.get("message"):
        return str(error["message"])
    if cc_class == "MinLimitViolation":
        return f"Node {where} refused: account {error.get('accId')} would go below its limit of {error.get('limit')}."
    if cc_class == "MaxLimitViolation":
        return f"Node {where} refused: account {error.get('accId')} would go above its limit of {error.get('limit')}."
    if cc_class in {"DoesNotExistViolation", "SameAccountViolation"}:
        what = error.get("id") or error.get("wrongId") or ""
        return f"Node {where} refused: no such account or node {what}."
    if cc_class == "HashMismatchFailure":
        return f"The link with {neighbour.name} is out of step just now; the change will be retried."
    return f"Node {where} refused ({cc_class})."


# --- applying a change here ---------------------------------------------------------------------------------------

TRANSITIONS = {
    (CCState.VALIDATED, CCState.PENDING),
    (CCState.PENDING, CCState.COMPLETED),
    (CCState.PENDING, CCState.ERASED),
    (CCState.VALIDATED, CCState.ERASED),
}


def _initiator(ft: FederatedTransfer) -> Account:
    """The side the transaction came from: the upstream neighbour's account, or our own member's."""
    if ft.upstream is not None:
        return ft.upstream.account
    return ft.payer if ft.workflow == "credit" else ft.payee


def _transfer_ensure(ft: FederatedTransfer) -> Transfer:
    transfer = Transfer.objects.filter(pk=ft.uuid).first()
    if transfer is None:
        transfer = Transfer.objects.create(
            id=ft.uuid,
            kind=TransferKind.TRANSFER,
            payer=ft.payer,
            payee=ft.payee,
            initiator=_initiator(ft),
            amount=ft.amount,
            description=ft.description,
            state=TransferState.PENDING,
            created_at=now(),
        )
        FederatedTransfer.objects.filter(pk=ft.pk).update(transfer=transfer)
        ft.transfer = transfer
    return transfer


def _apply(ft_id, state: str, *, reason: str = "", actor: User | None = None) -> FederatedTransfer:
    """Save the change here, in one transaction: ledger state, postings, version and the hash of every link."""
    top = topology()
    with transaction.atomic(durable=True):
        ft = federated_transfer_lock(ft_id)
        if ft.state == state:
            return ft
        if (ft.state, state) not in TRANSITIONS:
            raise CCError(
                f"This transaction is {ft.state}; it cannot become {state}.",
                cc_class="WorkflowViolation",
                fields={"type": ft.workflow, "from": ft.state, "to": state},
            )
        # The links before the accounts that completing locks (docs/ledger.md, "Lock order").
        links = neighbours_lock(ft.upstream_id, ft.downstream_id)
        at = now()
        transfer: Transfer | None
        if state == CCState.PENDING:
            transfer = _transfer_ensure(ft)
            _notify(ft, transfer, "proposed")
        elif state == CCState.COMPLETED:
            transfer = _transfer_ensure(ft)
            _complete(transfer, at=at, actor=actor)
            _notify(ft, transfer, "completed")
        else:
            transfer = Transfer.objects.filter(pk=ft.uuid).first()
            if transfer is not None and transfer.state == TransferState.PENDING:
                Transfer.objects.filter(pk=transfer.pk, state=TransferState.PENDING).update(
                    state=TransferState.CANCELLED, cancelled_at=at, cancellation_reason=reason[:500]
                )
                transfer.refresh_from_db()
                _notify(ft, transfer, "rejected" if reason.startswith("Rejected") else "cancelled")
        ft.state = state
        ft.version += 1
        for neighbour in links:
            new = link_hash(
                neighbour.last_hash, str(ft.uuid), state, _hash_entries(ft, neighbour, top), ft.version
            )
            LinkHash.objects.create(
                neighbour=neighbour,
                uuid=ft.uuid,
                version=ft.version,
                state=state,
                previous=neighbour.last_hash,
                hash=new,
                created_at=at,
            )
            Neighbour.objects.filter(pk=neighbour.pk).update(last_hash=new)
        ft.save(update_fields=["state", "version"])
        audit_record(
            actor=actor,
            action=f"federation.{state}",
            object_type="transfer",
            object_id=ft.uuid,
            changes={"state": (None, state), "version": (ft.version - 1, ft.version)},
        )
    return ft


def _complete(transfer: Transfer, *, at, actor: User | None) -> None:
    """Complete a transfer: the database writes its two postings and moves both balances (ledger migration 0005).
    Limits were held while it was pending; if a member's local trading used that room meanwhile, the limit is raised
    just enough first (audited): the far side has already completed, so it must stick."""
    locked = accounts_lock(transfer.payer_id, transfer.payee_id)
    payer, payee = locked[transfer.payer_id], locked[transfer.payee_id]
    for account, delta in ((payer, -transfer.amount), (payee, transfer.amount)):
        after = account.balance + delta
        if after < -account.max_negative_balance:
            limit_raise(account, "max_negative_balance", -after, actor=None)
        if after > account.max_positive_balance:
            limit_raise(account, "max_positive_balance", after, actor=None)
    updated = Transfer.objects.filter(pk=transfer.pk, state=TransferState.PENDING).update(
        state=TransferState.COMPLETED, completed_at=at
    )
    if updated != 1:
        raise CCError("This transfer is no longer pending.", cc_class="WorkflowViolation")
    transfer.state = TransferState.COMPLETED
    transfer.completed_at = at


def _counterparty_path(ft: FederatedTransfer, account_id: int) -> str:
    """The Credit Commons path of the other party, seen from the member whose account is ``account_id``."""
    top = topology()
    primary = ft.entries[0] if ft.entries else {}
    path = primary.get("payee") if ft.payer_id == account_id else primary.get("payer")
    return top.normalise(path) if path else ""


def counterparty(transfer: Transfer, account: Account) -> str | None:
    ft = FederatedTransfer.objects.filter(pk=transfer.pk).first()
    if ft is None:
        return None
    return _counterparty_path(ft, account.pk)


def _notify(ft: FederatedTransfer, transfer: Transfer, event: str) -> None:
    for account in (ft.payer, ft.payee):
        if hasattr(account, "neighbour") or Neighbour.objects.filter(account_id=account.pk).exists():
            continue
        if event == "proposed" and account.pk == transfer.initiator_id:
            continue
        recipients = entity_recipients(account.entity)
        if not recipients:
            continue
        path = _counterparty_path(ft, account.pk)
        email_enqueue(
            to=recipients,
            template=f"transfer_{event}",
            context={
                "transfer": transfer,
                "entity": account.entity,
                "other": SimpleNamespace(name=path),
                "other_account": SimpleNamespace(number=path),
                "amount_cents": transfer.amount,
                "pays": account.pk == transfer.payer_id,
                "is_initiator": account.pk == transfer.initiator_id,
                "reason": transfer.cancellation_reason,
            },
            dedupe_key=f"transfer:{transfer.pk}:{event}:{account.pk}",
            language=entity_language(account.entity),
        )


# --- sending a change ---------------------------------------------------------------------------------------------


def _intent_open(
    ft: FederatedTransfer, neighbour: Neighbour, state: str, *, reason: str = "", actor: User | None = None
) -> Intent:
    existing = Intent.objects.filter(
        federated=ft, neighbour=neighbour, state=state, done_at__isnull=True
    ).first()
    if existing is not None:
        return existing
    moment = now()
    return Intent.objects.create(
        federated=ft,
        neighbour=neighbour,
        state=state,
        reason=reason[:500],
        actor_id=str(actor.pk) if actor is not None and actor.pk else "",
        created_at=moment,
        next_at=moment,
    )


def _reschedule(intent: Intent, why: str) -> None:
    attempts = intent.attempts + 1
    delay = min(2 ** min(attempts - 1, 3), MAX_BACKOFF)
    Intent.objects.filter(pk=intent.pk, done_at__isnull=True).update(
        attempts=attempts, next_at=now() + timedelta(seconds=delay), outcome=why[:500]
    )


def _close_intent(intent: Intent, outcome: str) -> None:
    Intent.objects.filter(pk=intent.pk).update(done_at=now(), outcome=outcome[:500])


def _drive(intent: Intent, *, held: frozenset[int] = frozenset()) -> str:
    """Send one owed change and, once the neighbour has it, apply it here. "done" or "queued"; raises CCError
    when the neighbour refuses (the intent is then closed and nothing changes here)."""
    ft = FederatedTransfer.objects.select_related("upstream", "downstream").get(pk=intent.federated_id)
    if ft.state == intent.state or ft.state == CCState.ERASED and intent.state != CCState.ERASED:
        _close_intent(intent, f"already {ft.state}")
        return "done"
    top = topology()
    tokens: dict[int, str] = {}
    try:
        for neighbour in ft.neighbours():
            if neighbour.pk in held:
                continue
            token = _lease(neighbour.pk)
            if token is None:
                _reschedule(intent, f"link with {neighbour.name} busy")
                return "queued"
            tokens[neighbour.pk] = token
        neighbour = Neighbour.objects.get(pk=intent.neighbour_id)
        crashpoint("drive.before_send", intent.state)
        try:
            answer = client.call(
                neighbour.url,
                "PATCH",
                f"/transaction/{ft.uuid}/{intent.state}",
                node=top.name,
                auth=neighbour.last_hash,
            )
        except client.Unreachable as exc:
            _reschedule(intent, f"unreachable: {exc}")
            return "queued"
        if not answer.ok:
            error = _error_from(answer, neighbour)
            if error.retry:
                _reschedule(intent, error.message)
                return "queued"
            _close_intent(intent, f"refused: {error.message}")
            raise error
        crashpoint("drive.after_answer", intent.state)
        _apply(ft.pk, intent.state, reason=intent.reason, actor=_actor(intent))
        _close_intent(intent, "done")
        return "done"
    finally:
        for pk, token in tokens.items():
            _release(pk, token)


def _actor(intent: Intent):
    if not intent.actor_id:
        return None
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(pk=intent.actor_id).first()


def state_receive(*, neighbour: Neighbour, presented: str, uuid: str, state: str) -> int:
    """A neighbour changes the state of a transaction (``PATCH /transaction/{uuid}/{state}``). Answers the HTTP
    status (201, or 200 for deleting a validated transaction)."""
    try:
        key = uuid_lib.UUID(str(uuid))
    except ValueError:
        raise CCError(
            "No such transaction.",
            cc_class="DoesNotExistViolation",
            fields={"type": "transaction", "id": uuid},
            status=404,
        ) from None
    ft = FederatedTransfer.objects.select_related("upstream", "downstream").filter(pk=key).first()
    if ft is None or neighbour.pk not in (ft.upstream_id, ft.downstream_id):
        raise CCError(
            "No such transaction.",
            cc_class="DoesNotExistViolation",
            fields={"type": "transaction", "id": str(uuid)},
            status=404,
        )
    if state == "null":
        state = CCState.ERASED
        deleting = True
    else:
        deleting = False
    if state not in {CCState.PENDING, CCState.COMPLETED, CCState.ERASED}:
        raise CCError(
            f"Unknown state {state}.",
            cc_class="WorkflowViolation",
            fields={"type": ft.workflow, "from": ft.state, "to": state},
        )
    top = topology()
    if presented != neighbour.last_hash:
        # Only the exact repeat of the last change on this link passes with the previous hash.
        repeat = ft.state == state and neighbour.last_hash == link_hash(
            presented, str(ft.uuid), state, _hash_entries(ft, neighbour, top), ft.version
        )
        if repeat:
            return 200 if deleting else 201
        raise hash_mismatch(neighbour, presented)
    if ft.state == state:
        return 200 if deleting else 201
    if (ft.state, state) not in TRANSITIONS:
        raise CCError(
            f"This transaction is {ft.state}; it cannot become {state}.",
            cc_class="WorkflowViolation",
            fields={"type": ft.workflow, "from": ft.state, "to": state},
        )
    if state == CCState.PENDING and neighbour.pk != ft.upstream_id:
        raise CCError(
            "Only the side that proposed a transaction can make it pending.",
            cc_class="WorkflowViolation",
            fields={"type": ft.workflow, "from": ft.state, "to": state},
        )
    if state == CCState.COMPLETED and neighbour.pk != ft.downstream_id:
        raise CCError(
            "Only the side that was asked can complete a transaction.",
            cc_class="WorkflowViolation",
            fields={"type": ft.workflow, "from": ft.state, "to": state},
        )
    token = _lease(neighbour.pk)
    if token is None:
        raise _unavailable(top.name, "another change is crossing this link")
    try:
        other = ft.downstream if neighbour.pk == ft.upstream_id else ft.upstream
        reason = f"Cancelled on another node ({neighbour.name})."
        if other is None:
            if state == CCState.COMPLETED:
                _precheck_completion(ft)
            _apply(ft.pk, state, reason=reason)
        else:
            intent = _intent_open(ft, other, state, reason=reason)
            if _drive(intent, held=frozenset({neighbour.pk})) == "queued":
                raise _unavailable(other.name, intent_outcome(intent))
    finally:
        _release(neighbour.pk, token)
    crashpoint("receive.after_apply", state)
    return 200 if deleting else 201


def intent_outcome(intent: Intent) -> str:
    return Intent.objects.filter(pk=intent.pk).values_list("outcome", flat=True).first() or "no answer"


def _precheck_completion(ft: FederatedTransfer) -> None:
    """At the node that completes first, refuse a completion that no longer fits a limit (nothing has moved
    anywhere yet). Held amounts are excluded: this transfer's own amount is among them."""
    with transaction.atomic(durable=True):
        locked = accounts_lock(ft.payer_id, ft.payee_id)
        _limits_check(locked[ft.payer_id], locked[ft.payee_id], ft.amount, exclude=ft)


# --- members ------------------------------------------------------------------------------------------------------


def is_remote_path(receiver: object) -> bool:
    return isinstance(receiver, str) and "/" in receiver.strip().strip("/")


def looks_like_path(text: object) -> bool:
    """What a person typed is a Credit Commons path (``trunk/riverside/1234…``), not a member's name that happens
    to hold a slash ("Bread/Cakes Ltd"): node names, then one account segment, no spaces, on a node in a tree."""
    if not is_remote_path(text):
        return False
    *nodes, last = str(text).strip().strip("/").split("/")
    return all(NAME_RE.match(n) for n in nodes) and bool(SEGMENT_RE.match(last)) and federation_enabled()


def remote_transfer_propose(*, receiver: str, **proposal: Unpack[TransferProposal]) -> Transfer:
    """A member pays (``credit``) or asks to be paid (``bill``) by an account on another node: ``receiver`` is its
    Credit Commons path, the rest is the proposal ``mccs.ledger.services.transfer_propose`` takes for an account
    here (``TransferProposal``; ``mccs.federation.routing.transfer_propose`` passes it on to one or the other).

    With ``idempotency`` the transaction's uuid comes from the member and the key, so a retry is the same Credit
    Commons transaction: the first answer again (or the transfer it made), never a second one (docs/federation.md)."""
    actor, direction, amount = proposal["actor"], proposal["direction"], proposal["amount"]
    idempotency = proposal.get("idempotency")
    text = proposal_clean(direction=direction, amount=amount, description=proposal.get("description", ""))
    top = topology()
    if not top.name:
        raise InvalidRequest(_("This node is not part of a Credit Commons tree."), field="receiver")
    try:
        path = top.normalise(receiver)
        route = top.route(path)
    except ValueError:
        raise InvalidRequest(
            _("%(receiver)s is not a valid account path.") % {"receiver": receiver}, field="receiver"
        ) from None
    if route is None:
        raise InvalidRequest(
            _("%(receiver)s is an account on this node: use its account number.") % {"receiver": receiver},
            field="receiver",
        )
    neighbour = Neighbour.objects.select_related("account").filter(name=route).first()
    if neighbour is None:
        raise InvalidRequest(
            _("No node on the way to %(receiver)s: this node has no trunk.") % {"receiver": receiver},
            field="receiver",
        )
    own = initiator_account(actor, proposal["initiator"])
    if hasattr(own, "neighbour"):
        raise InvalidRequest(_("That account belongs to a neighbour node."), field="initiator")
    if own.entity.status != EntityStatus.TRADING_ACCEPTED:
        raise InvalidRequest(
            _("%(name)s is not accepted for trading yet, so it cannot send or receive transfers.")
            % {"name": own.entity.name or own.number},
            field="initiator",
        )
    payer, payee = (own, neighbour.account) if direction == "out" else (neighbour.account, own)
    entry = {
        "payer": own.number if direction == "out" else path,
        "payee": path if direction == "out" else own.number,
        "cents": amount.cents,
        "description": text,
        "metadata": {},
        "from": "upstream",
    }
    workflow = "credit" if direction == "out" else "bill"
    key, print_ = uuid_lib.uuid4(), ""
    if idempotency is not None:
        key = uuid_lib.uuid5(IDEMPOTENCY_NAMESPACE, f"{top.name}/{actor.pk}/{idempotency.key}")
        print_ = fingerprint("remote_propose", workflow=workflow, entry=entry)
        earlier = _earlier_attempt(idempotency, print_, key, workflow, entry)
        if earlier is not None:
            return earlier
    try:
        ft = _validated_create(
            uuid=key,
            workflow=workflow,
            payer=payer,
            payee=payee,
            entries=[entry],
            upstream=None,
            downstream=neighbour,
            author=own.number,
        )
    except CCError as exc:
        if idempotency is not None and FederatedTransfer.objects.filter(pk=key).exists():
            raise Conflict(str(_UNFINISHED)) from None  # the same key, sent twice at once
        raise InvalidRequest(exc.message, field="amount") from None
    try:
        _relay_send(ft, neighbour, top)
    except CCError as exc:
        FederatedTransfer.objects.filter(pk=ft.pk).delete()
        if exc.retry:
            raise InvalidRequest(
                _("Node %(node)s cannot be reached just now, so nothing was sent. Please try again later.")
                % {"node": neighbour.name},
                field="receiver",
            ) from None
        raise InvalidRequest(exc.message, field="receiver") from None
    crashpoint("propose.after_relay")
    with transaction.atomic(durable=True):
        transfer = _transfer_ensure(ft)
        intent = _intent_open(ft, neighbour, CCState.PENDING, actor=actor)
        transfer_record(
            actor,
            "transfer.propose",
            transfer,
            {
                "state": (None, transfer.state),
                "counterparty": (None, top.normalise(path)),
                "amount": (None, str(amount)),
                "description": (None, text),
            },
        )
    try:
        _drive(intent)
    except CCError as exc:
        _cancel_here(ft, f"Refused by node {neighbour.name}: {exc.message}")
        raise InvalidRequest(exc.message, field="receiver") from None
    transfer.refresh_from_db()
    if idempotency is not None:
        _idempotency_keep(idempotency, print_, transfer)
    return transfer


IDEMPOTENCY_NAMESPACE = uuid_lib.UUID("5b0c3f8e-2a47-4d59-9a3e-6f1d2c7b8e90")
_UNFINISHED = gettext_lazy(
    "An earlier request with this Idempotency-Key has not finished yet. Try again in a few minutes."
)


def _earlier_attempt(
    idempotency: Idempotency, print_: str, key, workflow: str, entry: dict
) -> Transfer | None:
    """What an earlier request with the same key did: its answer again, or None when there was none. The same key
    for another request is refused (409), as for local transfers."""
    record = idempotency_find(idempotency, print_)
    if record is not None:
        return idempotency_replay(idempotency, record)
    ft = FederatedTransfer.objects.filter(pk=key).first()
    if ft is None:
        return None
    first = ft.entries[0] if ft.entries else {}
    same = ft.workflow == workflow and all(
        first.get(k) == entry[k] for k in ("payer", "payee", "cents", "description")
    )
    if not same:
        raise IdempotencyKeyReused(
            _(
                "This Idempotency-Key was already used for a different request. Use a new key for a new request."
            )
        )
    transfer = Transfer.objects.filter(pk=key).first()
    if transfer is None:
        if ft.state == CCState.VALIDATED:
            raise Conflict(
                str(_UNFINISHED)
            )  # sent, and its answer is not in yet (or its node died meanwhile)
        raise InvalidRequest(
            _(
                "The earlier request with this Idempotency-Key did not go through, so nothing was sent. Send it again with a new key."
            ),
            field="Idempotency-Key",
        )
    if transfer.state == TransferState.CANCELLED:
        raise InvalidRequest(transfer.cancellation_reason or _("The transfer was refused."), field="receiver")
    _idempotency_keep(idempotency, print_, transfer)
    return transfer


def _idempotency_keep(idempotency: Idempotency, print_: str, transfer: Transfer) -> None:
    """Remember the answer, so that a later retry gets it byte for byte (a retry racing this one may win)."""
    try:
        with transaction.atomic(durable=True):
            idempotency_save(idempotency, print_, transfer=transfer, error=None)
    except IntegrityError:
        record = idempotency_find(idempotency, print_)
        if record is not None:
            idempotency_replay(idempotency, record)


def _cancel_here(ft: FederatedTransfer, reason: str) -> None:
    with transaction.atomic(durable=True):
        Transfer.objects.filter(pk=ft.uuid, state=TransferState.PENDING).update(
            state=TransferState.CANCELLED, cancelled_at=now(), cancellation_reason=reason[:500]
        )
        FederatedTransfer.objects.filter(pk=ft.pk, state=CCState.VALIDATED).update(state=CCState.ERASED)
        Intent.objects.filter(federated=ft, done_at__isnull=True).update(
            done_at=now(), outcome="cancelled here"
        )


def is_neighbour_account(account: Account) -> bool:
    cache = account.__dict__.setdefault("_mccs_is_neighbour", None)
    if cache is None:
        cache = rows.exists(f"SELECT 1 FROM {Neighbour._meta.db_table} WHERE account_id = %s", account.pk)
        account.__dict__["_mccs_is_neighbour"] = cache
    return cache


def remote_party(transfer: Transfer, account: Account, other: Account) -> str | None:
    """The Credit Commons path of ``account``'s counterparty ``other`` when ``other`` stands for a neighbour node
    (the transfer crosses to another node), else None: the member's own name and number are shown.

    A transfer read with its federated link (``select_related("federated")``, or the accept path's own read) is
    answered from that link: without a query when it has none (local), which every accept's answer would otherwise
    make (ADR 0165), and without reading the link again when it has one."""
    relation = Transfer._meta.get_field("federated")
    if not relation.is_cached(transfer):
        return counterparty(transfer, account) if is_neighbour_account(other) else None
    link = relation.get_cached_value(transfer)  # type: ignore[attr-defined]
    if link is None or not is_neighbour_account(other):
        return None
    return _counterparty_path(link, account.pk)


def remote_transfer_act(*, actor: User, transfer_id: object, action: str, reason: object = "") -> Transfer:
    """Accept, reject or cancel a federated transfer: the change goes to the neighbour first, then applies here.
    If the neighbour cannot be reached, the change is queued and the transfer stays pending until it answers."""
    transfer = transfer_for_actor(actor=actor, transfer_id=transfer_id)
    ft = FederatedTransfer.objects.select_related("upstream", "downstream").get(pk=transfer.pk)
    if action in ("accept", "reject") and not policies.can_respond_to_transfer(actor, transfer):
        if action == "accept":
            message = _("Only the receiver of a transfer can accept it; you can cancel it instead.")
        else:
            message = _("Only the receiver of a transfer can reject it; you can cancel it instead.")
        raise PermissionDenied(message)
    if action == "cancel" and not policies.can_cancel_transfer(actor, transfer):
        raise PermissionDenied(
            _("Only the member who proposed a transfer can cancel it; you can reject it instead.")
        )
    if reason is not None and not isinstance(reason, str):
        raise InvalidRequest(_("The reason must be text."), field="cancellationReason")
    text = (reason or "").strip()[:500]
    if transfer.state != TransferState.PENDING:
        if transfer.state == TransferState.COMPLETED:
            raise Conflict(_("This transfer is already completed, so it cannot be changed any more."))
        raise Conflict(_("This transfer is already cancelled, so it cannot be changed any more."))
    neighbour = ft.upstream or ft.downstream
    assert neighbour is not None  # a federated transfer crosses a link on one side at least
    state = CCState.COMPLETED if action == "accept" else CCState.ERASED
    if state == CCState.COMPLETED:
        if ft.state != CCState.PENDING:
            raise Conflict(
                _("This transfer is still being confirmed by the other node; try again in a moment.")
            )
        try:
            _precheck_completion(ft)
        except CCError as exc:
            raise InvalidRequest(exc.message) from None
    label = "Rejected" if action == "reject" else "Cancelled"
    full_reason = f"{label} by the member" + (f": {text}" if text else ".")
    if ft.state == CCState.VALIDATED:
        # The proposal itself is still queued: withdraw it here and tell the neighbour to forget it.
        Intent.objects.filter(federated=ft, done_at__isnull=True).update(done_at=now(), outcome="withdrawn")
        intent = _intent_open(ft, neighbour, "null", reason=full_reason, actor=actor)
        try:
            client.call(
                neighbour.url,
                "PATCH",
                f"/transaction/{ft.uuid}/null",
                node=topology().name,
                auth=neighbour.last_hash,
            )
        except client.Unreachable:
            pass
        _close_intent(intent, "sent")
        _cancel_here(ft, full_reason)
        transfer.refresh_from_db()
        return transfer
    intent = _intent_open(ft, neighbour, state, reason=full_reason, actor=actor)
    try:
        _drive(intent)
    except CCError as exc:
        raise InvalidRequest(exc.message) from None
    transfer.refresh_from_db()
    return transfer


# --- worker -------------------------------------------------------------------------------------------------------


def federation_retry_due(*, limit: int = 50) -> int:
    """Retry every owed change that is due, oldest first (run by the worker every second)."""
    done = 0
    for intent in Intent.objects.filter(done_at__isnull=True, next_at__lte=now()).order_by(
        "created_at", "id"
    )[:limit]:
        if intent.state == "null":
            _close_intent(intent, "dropped")
            continue
        try:
            if _drive(intent) == "done":
                done += 1
        except CCError as exc:
            log.warning(
                "neighbour refused queued change %s → %s: %s", intent.federated_id, intent.state, exc.message
            )
            _after_refusal(intent, exc)
        except Exception:
            log.exception("retrying change %s failed", intent.pk)
            _reschedule(intent, "internal error")
    _expire_validated()
    return done


def _after_refusal(intent: Intent, exc: CCError) -> None:
    ft = FederatedTransfer.objects.get(pk=intent.federated_id)
    if intent.state == CCState.PENDING and ft.state == CCState.VALIDATED and ft.upstream_id is None:
        _cancel_here(ft, f"Refused by node {intent.neighbour.name}: {exc.message}")


def _expire_validated() -> None:
    """A validated transaction never made pending (its proposer gave up or crashed) stops holding limits after
    VALIDATED_TTL; it is erased here once nothing is owed for it."""
    stale = FederatedTransfer.objects.filter(
        state=CCState.VALIDATED, written__lt=now() - VALIDATED_TTL, transfer__isnull=True
    ).exclude(intents__done_at__isnull=True)
    stale.update(state=CCState.ERASED)


def federation_enabled() -> bool:
    return Node.objects.filter(pk=1).exists()


def timeout_seconds() -> float:
    return float(getattr(settings, "MCCS_FEDERATION_TIMEOUT_SECONDS", 5))
