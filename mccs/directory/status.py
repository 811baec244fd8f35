"""Membership status changes: an administrator sets a status or decides an application, a member asks to trade.

Each change is audited; an administrator's change also tells the member by email.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mccs.core.clock import now
from mccs.core.errors import InvalidRequest, NotFound, PermissionDenied
from mccs.directory.locks import entity_lock
from mccs.directory.models import Entity, EntityStatus
from mccs.directory.policies import can_manage_entity
from mccs.directory.search import ENTITY_NOT_FOUND
from mccs.directory.services import entity_mail, entity_record
from mccs.notifications.services import email_enqueue
from mccs.users.models import User
from mccs.users.policies import require_administrator


def entity_status_set(*, actor: User, entity: Entity, status: object) -> Entity:
    """Set an entity's membership status, record it, and tell the member by email.

    ``member_started_at`` is set the first time the entity becomes ``tradingAccepted`` and never changes after.
    """
    require_administrator(actor, what=gettext_lazy("change an entity's status"))
    status = status_clean(status)
    # Not durable: also a step of a larger use-case (docs/ledger.md, "Transactions").
    with transaction.atomic():
        locked = entity_lock(entity.pk)
        if locked is None:
            raise NotFound(ENTITY_NOT_FOUND)
        before = locked.status
        if before == status:
            return entity
        changes: dict[str, tuple[object, object]] = {"status": (before, status)}
        fields = ["status", "updated_at"]
        if status == EntityStatus.TRADING_ACCEPTED and locked.member_started_at is None:
            locked.member_started_at = now()
            changes["memberStartedAt"] = (None, locked.member_started_at)
            fields.append("member_started_at")
        locked.status = status
        locked.save(update_fields=fields)
        entity.status, entity.member_started_at = locked.status, locked.member_started_at
        entity_record(actor=actor, entity=entity, action="entity.status_change", changes=changes)
        recipients, language = entity_mail(entity)
        if recipients:
            email_enqueue(
                to=recipients,
                template="status_changed",
                context={
                    "entity": entity,
                    "status": status,
                    "previous": before,
                    "listed": entity.is_listed,
                    "can_trade": entity.can_trade,
                },
                language=language,
            )
    return entity


# The approval queue's one-click decisions: what "accept" and "reject" mean for the application an entity waits on.
DECISIONS: dict[str | None, dict[str, EntityStatus]] = {  # by the stored status (None: the entity is gone)
    # "trade": list a new member and let them trade at once, the shortest path from sign-up to first payment.
    EntityStatus.PENDING: {
        "accept": EntityStatus.ACCEPTED,
        "trade": EntityStatus.TRADING_ACCEPTED,
        "reject": EntityStatus.REJECTED,
    },
    EntityStatus.TRADING_PENDING: {
        "accept": EntityStatus.TRADING_ACCEPTED,
        "reject": EntityStatus.TRADING_REJECTED,
    },
}


def entity_decide(*, actor: User, entity: Entity, decision: str) -> str | None:
    """Accept or reject the application ``entity`` is waiting on. Decided under the entity's lock, so of two
    administrators deciding at once only the first changes anything. Returns the new status, or None when the
    entity was no longer waiting for a decision."""
    require_administrator(actor, what=gettext_lazy("decide on applications"))
    with transaction.atomic(durable=True):
        locked = entity_lock(entity.pk)
        current = locked.status if locked else None
        target = DECISIONS.get(current, {}).get(decision)
        if target is None:
            entity.status = current or entity.status
            return None
        entity_status_set(actor=actor, entity=entity, status=target)
    return target


def status_clean(status: object) -> str:
    if not isinstance(status, str) or status not in EntityStatus.values:
        raise InvalidRequest(
            _("The status must be one of: %(values)s.") % {"values": ", ".join(EntityStatus.values)},
            field="status",
        )
    return status


# Statuses from which a member may ask to trade: listed but not (or no longer) waiting for a decision.
CAN_APPLY_FOR_TRADING = (EntityStatus.ACCEPTED, EntityStatus.TRADING_REJECTED)


def entity_apply_for_trading(*, actor: User, entity: Entity) -> Entity:
    """A listed member asks to trade: the entity goes back into the approval queue as ``tradingPending``.

    Compare-and-set on the status, so a click that races an administrator's decision changes nothing."""
    if not can_manage_entity(actor, entity):
        raise PermissionDenied(_("You do not act for this entity."))
    with transaction.atomic(durable=True):
        before = Entity.objects.filter(pk=entity.pk).values_list("status", flat=True).first()
        moved = Entity.objects.filter(pk=entity.pk, status__in=CAN_APPLY_FOR_TRADING).update(
            status=EntityStatus.TRADING_PENDING, updated_at=now()
        )
        if not moved:
            reasons: dict[str | None, str] = {
                EntityStatus.PENDING: _(
                    "An administrator has not yet accepted your entity into the directory; "
                    "you can ask to trade once it is listed."
                ),
                EntityStatus.REJECTED: _("Your application was not accepted, so you cannot ask to trade."),
                EntityStatus.TRADING_PENDING: _(
                    "You have already asked to trade; an administrator will decide soon."
                ),
                EntityStatus.TRADING_ACCEPTED: _("You can already trade."),
            }
            raise InvalidRequest(reasons.get(before, _("You cannot ask to trade now.")), code="not_allowed")
        entity_record(
            actor=actor,
            entity=entity,
            action="entity.trading_apply",
            changes={"status": (before, EntityStatus.TRADING_PENDING)},
        )
    entity.status = EntityStatus.TRADING_PENDING
    return entity
