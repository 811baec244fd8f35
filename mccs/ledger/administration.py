"""Administrator management of users, entities, limits and transfers: the services, one transaction each.

These span users, the directory and the ledger, so they live in the ledger (the highest app they touch). They
reuse the services of each app — entity details, status and categories from the directory, limits and transfers
from the ledger — and add the administrator-only rules: which users an administrator manages, what deleting means
when the ledger must keep its history, and limit overrides on transfers. What administrators read (user and
entity search, the approval queue) is in ``mccs.ledger.selectors``.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mccs.audit.services import audit_record
from mccs.core.errors import InvalidRequest, NotFound, PermissionDenied
from mccs.directory.curation import categories_resolve, entity_categories_set
from mccs.directory.locks import entity_lock
from mccs.directory.models import Entity
from mccs.directory.services import entity_apply_changes, entity_clean_changes, entity_update_record
from mccs.directory.status import entity_status_set, status_clean
from mccs.ledger import policies
from mccs.ledger.models import Account, Transfer
from mccs.ledger.selectors import ENTITY_NOT_FOUND, USER_NOT_FOUND, admin_entity_get, members
from mccs.ledger.services import account_limits_set, transfer_admin_create, transfer_cancel
from mccs.users.locks import user_lock
from mccs.users.models import User
from mccs.users.policies import require_administrator
from mccs.users.services import email_clean, user_record, user_update
from mccs.users.tokens import tokens_revoke_all

# --- users ----------------------------------------------------------------------------------------------------


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
                user_record(user, "user.update", actor=actor, changes={"email": (before, address)})
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
        locked = members().filter(pk=user.pk).first() if user_lock(user.pk) else None
        if locked is None:
            raise NotFound(USER_NOT_FOUND)
        if _user_in_ledger_history(locked):
            locked.entities.clear()
            locked.is_active = False
            locked.set_unusable_password()
            locked.save(update_fields=["is_active", "password"])
            tokens_revoke_all(user=locked)
            user_record(
                locked,
                "user.deactivate",
                actor=actor,
                changes={"isActive": (True, False), "entities": (snapshot["entities"], [])},
            )
            return user, False
        user_id = locked.pk
        locked.delete()
        _deletion_record(actor=actor, kind="user", object_id=user_id, snapshot=snapshot)
    user.pk = user_id
    return user, True


def _user_in_ledger_history(user: User) -> bool:
    return Transfer.objects.filter(initiated_by=user).exists()


# --- entities -------------------------------------------------------------------------------------------------


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
        entity_lock(entity.pk)
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
        locked = entity_lock(entity.pk)
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
        _deletion_record(actor=actor, kind="entity", object_id=entity_id, snapshot=snapshot)
    entity.pk = entity_id
    return entity


def _deletion_record(*, actor: User, kind: str, object_id, snapshot: dict) -> None:
    """The audit entry of a deleted user or entity: every value it had, and None after."""
    audit_record(
        actor=actor,
        action=f"{kind}.delete",
        object_type=kind,
        object_id=object_id,
        user_id=object_id if kind == "user" else "",
        entity_id=object_id if kind == "entity" else "",
        changes={key: (value, None) for key, value in snapshot.items()},
    )


def _account_has_history(account: Account) -> bool:
    if account.balance != 0:
        return True
    for relation in Account._meta.related_objects:
        model = relation.related_model
        assert not isinstance(model, str)  # a name only until the apps are loaded
        if model is Entity:
            continue
        if model._default_manager.filter(**{relation.field.name: account}).exists():
            return True
    return False


# --- transfers ------------------------------------------------------------------------------------------------


# An administrator moves credit on behalf of members, optionally overriding limits: the ledger's own service (it
# shares the ledger's private steps), under the name administrators' actions have here.
admin_transfer_create = transfer_admin_create


def admin_transfer_cancel(*, actor: User, transfer_id: object, reason: object = "") -> Transfer:
    """Cancel a pending transfer on behalf of its initiator (recorded as ``transfer.cancel`` by the
    administrator); both parties are told, with the reason."""
    if not policies.is_administrator(actor):
        raise PermissionDenied(_("Only administrators can cancel other members' transfers."))
    return transfer_cancel(actor=actor, transfer_id=transfer_id, reason=reason)
