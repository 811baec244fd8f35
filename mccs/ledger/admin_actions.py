"""What administrators do to users, entities, limits and transfers, as one transaction per use-case.

These span users, the directory and the ledger, so they live in the ledger (the highest app they touch). They
reuse the services of each app — entity details, status and categories from the directory, limits and transfers
from the ledger — and add the administrator-only rules: which users an administrator manages, what deleting means
when the ledger must keep its history, and limit overrides on transfers.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mccs.audit.services import audit_record
from mccs.core.amount import Amount
from mccs.core.errors import InvalidRequest, NotFound, PermissionDenied
from mccs.core.ids import uuid_or_none
from mccs.directory.curation import categories_resolve, entity_categories_set, entity_status_set, status_clean
from mccs.directory.models import Entity, EntityStatus, EntityTag
from mccs.directory.search import search_terms, tag_ids_matching
from mccs.directory.services import entity_apply_changes, entity_clean_changes, entity_update_record
from mccs.ledger import policies
from mccs.ledger.idempotency import Idempotency
from mccs.ledger.models import Account, Transfer
from mccs.ledger.services import account_limits_set, transfer_admin_create, transfer_cancel
from mccs.users.models import User
from mccs.users.policies import require_administrator
from mccs.users.services import email_clean, user_update
from mccs.users.tokens import tokens_revoke_all

USER_NOT_FOUND = gettext_lazy("User not found.")
ENTITY_NOT_FOUND = gettext_lazy("Entity not found.")


# --- users ----------------------------------------------------------------------------------------------------


def members() -> QuerySet[User]:
    """The users administrators manage here: members, not other administrators (see `mccs createadmin`)."""
    return User.objects.filter(is_staff=False)


def admin_user_search(*, last_name: str = "", email: str = "") -> QuerySet[User]:
    users = members().prefetch_related(
        "entities__entity_tags__tag", "entities__categories", "entities__account"
    )
    if last_name.strip():
        users = users.filter(last_name__icontains=last_name.strip())
    if email.strip():
        users = users.filter(email__icontains=email.strip())
    return users.order_by("email")


def admin_user_get(*, user_id: object) -> User:
    user = admin_user_search().filter(pk=uuid_or_none(user_id)).first()
    if user is None:
        raise NotFound(USER_NOT_FOUND)
    return user


def admin_user_update(*, actor: User, user: User, changes: Mapping[str, object]) -> User:
    """Change a member's names, telephone and sign-in address. Changing the address signs them out everywhere."""
    require_administrator(actor, what=gettext_lazy("edit members' user details"))
    changes = dict(changes)
    new_email = changes.pop("email", None)
    with transaction.atomic(durable=True):
        if new_email is not None:
            address = email_clean(new_email, field="email")
            if address != user.email:
                if User.objects.filter(email=address).exclude(pk=user.pk).exists():
                    raise InvalidRequest(_("Another account already uses this email address."), field="email")
                before = user.email
                user.email = address
                user.save(update_fields=["email"])
                tokens_revoke_all(user=user)
                audit_record(
                    actor=actor,
                    action="user.update",
                    object_type="user",
                    object_id=user.pk,
                    user_id=user.pk,
                    changes={"email": (before, address)},
                )
        if changes:
            user_update(actor=actor, user=user, changes=changes)
    return user


def admin_user_delete(*, actor: User, user: User) -> tuple[User, bool]:
    """Delete a member. Returns (the user as it was, whether the row is really gone).

    A member who proposed transfers stays in the ledger's history (``Transfer.initiated_by``), so that user is
    deactivated instead: signed out, unable to sign in, and unlinked from every entity. Entities are never deleted
    with their users: they own accounts (delete them separately)."""
    require_administrator(actor, what=gettext_lazy("delete users"))
    snapshot = {
        "email": user.email,
        "firstName": user.first_name,
        "lastName": user.last_name,
        "telephone": user.telephone,
        "entities": sorted(str(pk) for pk in user.entities.values_list("pk", flat=True)),
    }
    with transaction.atomic(durable=True):
        locked = members().select_for_update().filter(pk=user.pk).first()
        if locked is None:
            raise NotFound(USER_NOT_FOUND)
        if _user_in_ledger_history(locked):
            locked.entities.clear()
            locked.is_active = False
            locked.set_unusable_password()
            locked.save(update_fields=["is_active", "password"])
            tokens_revoke_all(user=locked)
            audit_record(
                actor=actor,
                action="user.deactivate",
                object_type="user",
                object_id=locked.pk,
                user_id=locked.pk,
                changes={"isActive": (True, False), "entities": (snapshot["entities"], [])},
            )
            return user, False
        user_id = locked.pk
        locked.delete()
        audit_record(
            actor=actor,
            action="user.delete",
            object_type="user",
            object_id=user_id,
            user_id=user_id,
            changes={key: (value, None) for key, value in snapshot.items()},
        )
    user.pk = user_id
    return user, True


def _user_in_ledger_history(user: User) -> bool:
    return Transfer.objects.filter(initiated_by=user).exists()


# --- entities -------------------------------------------------------------------------------------------------


def admin_entity_queryset() -> QuerySet[Entity]:
    return Entity.objects.select_related("account").prefetch_related(
        "entity_tags__tag", "categories", "users"
    )


def admin_entity_get(*, entity_id: object) -> Entity:
    entity = admin_entity_queryset().filter(pk=uuid_or_none(entity_id)).first()
    if entity is None:
        raise NotFound(ENTITY_NOT_FOUND)
    return entity


def _amount_filter(value: object, field: str) -> int:
    return Amount.parse(
        value if isinstance(value, Decimal | int) else str(value),
        field=field,
        allow_zero=True,
        allow_negative=field == "balance",
    ).cents


def admin_entity_search(
    *,
    name: str = "",
    email: str = "",
    account_number: str = "",
    status: str = "",
    offers: str = "",
    wants: str = "",
    tagged_since=None,
    category: str = "",
    city: str = "",
    region: str = "",
    country: str = "",
    balance: object = None,
    max_pos_bal: object = None,
    max_neg_bal: object = None,
) -> QuerySet[Entity]:
    """Every entity, whatever its status. Text filters match part of a value, case-insensitively; ``balance``,
    ``max_pos_bal`` and ``max_neg_bal`` return entities at or above the amount."""
    entities = admin_entity_queryset()
    for field, value in (
        ("name", name),
        ("email", email),
        ("city", city),
        ("region", region),
        ("country", country),
    ):
        if value.strip():
            entities = entities.filter(**{f"{field}__icontains": value.strip()})
    if account_number.strip():
        entities = entities.filter(account__number=account_number.strip())
    if status.strip():
        if status.strip() not in EntityStatus.values:
            raise InvalidRequest(
                _("status must be one of: %(values)s.") % {"values": ", ".join(EntityStatus.values)},
                field="status",
            )
        entities = entities.filter(status=status.strip())
    tag_since = Q(added_at__gte=tagged_since) if tagged_since else Q()
    searched = False
    for kind, field, text in (
        (EntityTag.Kind.OFFER, "offers", offers),
        (EntityTag.Kind.WANT, "wants", wants),
    ):
        # Matched like the directory search (exact, singular/plural, part of a tag, typo), at most MAX_TERMS
        # terms: the terms pick tag ids from the small vocabulary, and one subquery keeps the entities having any
        # of them, so the query has the same shape for one term as for ten.
        terms = search_terms(text, field=field)
        if not terms:
            continue
        searched = True
        tagged = EntityTag.objects.filter(Q(kind=kind, tag_id__in=list(tag_ids_matching(terms))) & tag_since)
        entities = entities.filter(pk__in=tagged.values("entity_id"))
    if tagged_since and not searched:
        entities = entities.filter(pk__in=EntityTag.objects.filter(tag_since).values("entity_id"))
    if category.strip():
        entities = entities.filter(categories__name__icontains=category.strip())
    if balance not in (None, ""):
        entities = entities.filter(account__balance__gte=_amount_filter(balance, "balance"))
    if max_pos_bal not in (None, ""):
        entities = entities.filter(
            account__max_positive_balance__gte=_amount_filter(max_pos_bal, "max_pos_bal")
        )
    if max_neg_bal not in (None, ""):
        entities = entities.filter(
            account__max_negative_balance__gte=_amount_filter(max_neg_bal, "max_neg_bal")
        )
    return entities.distinct().order_by("name", "created_at")


def approval_queue() -> QuerySet[Entity]:
    """Entities waiting for an administrator: new applications first come first served."""
    return (
        admin_entity_queryset()
        .filter(status__in=[EntityStatus.PENDING, EntityStatus.TRADING_PENDING])
        .order_by("created_at")
    )


def admin_entity_update(*, actor: User, entity: Entity, changes: Mapping[str, object]) -> Entity:
    """Everything an administrator may change on an entity: the member-editable details, ``status``,
    ``categories`` and the account limits (``max_positive_balance``, ``max_negative_balance``).

    Everything is validated first, then written in one transaction, so a refused limit changes nothing at all.
    Limits go through the ledger's own service, which refuses a limit the balance already uses."""
    require_administrator(actor, what=gettext_lazy("edit entities"))
    changes = dict(changes)
    status = changes.pop("status", None)
    categories = changes.pop("categories", None)
    limits = {
        key: changes.pop(key) for key in ("max_positive_balance", "max_negative_balance") if key in changes
    }
    limits = {key: value for key, value in limits.items() if value is not None}
    cleaned = entity_clean_changes(changes)
    if status is not None:
        status_clean(status)
    if categories is not None:
        categories_resolve(categories)
    with transaction.atomic(durable=True):
        # Entity before account, the same order as deleting an entity, so two administrators never deadlock.
        Entity.objects.select_for_update().filter(pk=entity.pk).values_list("pk", flat=True).first()
        if limits:
            account_limits_set(actor=actor, entity=entity, **limits)
        diff = entity_apply_changes(entity=entity, changes=cleaned) if cleaned else {}
        if categories is not None:
            diff.update(entity_categories_set(actor=actor, entity=entity, names=categories, record=False))
        entity_update_record(actor=actor, entity=entity, diff=diff)
        if status is not None:
            entity_status_set(actor=actor, entity=entity, status=status)
    return admin_entity_get(entity_id=entity.pk)


def admin_entity_delete(*, actor: User, entity: Entity) -> Entity:
    """Delete an entity and its account — only while the account has no ledger history at all.

    The ledger keeps every transfer forever (``Account.entity`` is PROTECT, postings are append-only), so an
    entity that has traded is refused with a message that says what to do instead: set it to ``rejected``."""
    require_administrator(actor, what=gettext_lazy("delete entities"))
    with transaction.atomic(durable=True):
        locked = Entity.objects.select_for_update().filter(pk=entity.pk).first()
        if locked is None:
            raise NotFound(ENTITY_NOT_FOUND)
        account = Account.objects.filter(entity=locked).first()
        if account is not None and _account_has_history(account):
            raise InvalidRequest(
                _(
                    "This entity has transfers in the ledger, which are kept forever, so it cannot be deleted. "
                    "Set its status to rejected to remove it from the directory and from trading."
                ),
                code="entity_has_ledger_history",
            )
        snapshot = {
            "name": locked.name,
            "email": locked.email,
            "status": locked.status,
            "accountNumber": account.number if account else None,
            "users": sorted(str(pk) for pk in locked.users.values_list("pk", flat=True)),
        }
        entity_id = locked.pk
        if account is not None:
            account.delete()
        locked.delete()
        audit_record(
            actor=actor,
            action="entity.delete",
            object_type="entity",
            object_id=entity_id,
            entity_id=entity_id,
            changes={key: (value, None) for key, value in snapshot.items()},
        )
    entity.pk = entity_id
    return entity


def _account_has_history(account: Account) -> bool:
    if account.balance != 0:
        return True
    for relation in Account._meta.related_objects:
        if relation.related_model is Entity:
            continue
        if relation.related_model._default_manager.filter(**{relation.field.name: account}).exists():
            return True
    return False


# --- transfers ------------------------------------------------------------------------------------------------


def admin_transfer_create(
    *,
    actor: User,
    payer: object,
    payee: object,
    amount: Amount,
    description: object = "",
    override_limits: bool = False,
    idempotency: Idempotency | None = None,
) -> Transfer:
    """An administrator moves credit on behalf of members; see ``transfer_admin_create`` for the limit override."""
    return transfer_admin_create(
        actor=actor,
        payer=payer,  # type: ignore[arg-type]
        payee=payee,  # type: ignore[arg-type]
        amount=amount,
        description=description,
        override_limits=override_limits,
        idempotency=idempotency,
    )


def admin_transfer_cancel(*, actor: User, transfer_id: object, reason: object = "") -> Transfer:
    """Cancel a pending transfer on behalf of its initiator (recorded as ``transfer.cancel`` by the
    administrator); both parties are told, with the reason."""
    if not policies.is_administrator(actor):
        raise PermissionDenied(_("Only administrators can cancel other members' transfers."))
    return transfer_cancel(actor=actor, transfer_id=transfer_id, reason=reason)
