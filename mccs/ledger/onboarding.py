"""Sign-up: creates a user, their entity and its account in one transaction (it spans users, directory and
ledger, so it lives in the highest of them)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from mccs.core.clock import now
from mccs.core.errors import InvalidRequest
from mccs.directory.models import Entity
from mccs.directory.services import entity_apply_changes, entity_clean_changes
from mccs.ledger.accounts import account_open
from mccs.notifications.services import email_enqueue
from mccs.users.models import AuthToken, User
from mccs.users.services import email_clean, password_check, user_record, user_update
from mccs.users.throttling import signup_throttle
from mccs.users.tokens import token_issue


@dataclass
class SignUpResult:
    user: User
    entity: Entity
    token: str | None


def member_sign_up(
    *,
    email: object,
    password: object,
    user_fields: Mapping[str, object],
    entity_fields: Mapping[str, object],
    ip: str = "",
    issue_token: bool = True,
) -> SignUpResult:
    address = email_clean(email, field="userEmail")
    checked_password = password_check(password)
    entity_changes = dict(entity_fields)
    if not entity_changes.get("email"):
        entity_changes["email"] = address
    cleaned = entity_clean_changes(entity_changes)
    taken = InvalidRequest(
        _("An account with this email address already exists. Try signing in or resetting your password."),
        field="userEmail",
        code="email_taken",
    )
    # Counted once the input is valid (a member fixing a typo is not held back), before the address is looked up
    # (so sign-up cannot probe which addresses have accounts faster than it can create them).
    signup_throttle(ip=ip)
    if User.objects.filter(email=address).exists():
        raise taken
    try:
        with transaction.atomic(durable=True):
            return _sign_up(address, checked_password, user_fields, cleaned, ip, issue_token)
    except IntegrityError:
        # Two sign-ups with one address at the same moment: the unique index lets one win.
        if User.objects.filter(email=address).exists():
            raise taken from None
        raise


def _sign_up(
    address: str, password: str, user_fields: Mapping[str, object], cleaned: dict, ip: str, issue_token: bool
) -> SignUpResult:
    # A sign-up that hands out a token signs the member in, as the web sign-up does (through ``login``).
    signed_in = now() if issue_token else None
    user = User.objects.create_user(address, password, last_login_ip=ip, last_login=signed_in)
    if user_fields:
        user_update(actor=user, user=user, changes=user_fields)
    entity = Entity.objects.create()
    entity.users.add(user)
    entity_apply_changes(entity=entity, changes=cleaned)
    account = account_open(entity=entity)
    user_record(
        user,
        "user.signup",
        actor=user,
        entity_id=entity.pk,
        changes={
            "email": (None, address),
            "entityName": (None, entity.name),
            "accountNumber": (None, account.number),
        },
    )
    email_enqueue(
        to=entity.email or user.email,
        template="welcome",
        # Nothing the signer wrote: the address is unproven, and the node must not relay a stranger's text to it.
        context={"account": account},
        language=user.language,
    )
    token = token_issue(user=user, scope=AuthToken.Scope.MEMBER) if issue_token else None
    return SignUpResult(user=user, entity=entity, token=token)
