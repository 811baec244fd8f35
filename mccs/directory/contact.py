"""The private contact relay: a member writes to another entity by email without learning its address."""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from mccs.audit.services import audit_record
from mccs.core.clock import now
from mccs.core.errors import InvalidRequest, NotFound, PermissionDenied, TooManyRequests
from mccs.directory.models import ContactMessage, Entity
from mccs.directory.policies import can_be_contacted, can_manage_entity
from mccs.directory.search import ENTITY_NOT_FOUND, listed_entities, parse_entity_id
from mccs.directory.services import entity_language, entity_recipients
from mccs.notifications.services import email_enqueue
from mccs.users.locks import user_lock
from mccs.users.models import User

MAX_MESSAGE_LENGTH = 5000
MIN_MESSAGE_LENGTH = 2
RATE_WINDOW = timedelta(hours=1)


def contact_limit_per_hour() -> int:
    return settings.MCCS_CONTACT_LIMIT_PER_HOUR


def _reply_address(entity: Entity, actor: User) -> str:
    return entity.email or actor.email


def _sender_check(actor: User, sender: Entity) -> None:
    if not can_manage_entity(actor, sender):
        raise PermissionDenied(_("You do not act for this entity."))
    if not can_be_contacted(sender):
        raise PermissionDenied(
            _("Your entity can send messages once an administrator has accepted it into the directory.")
        )


def message_clean(body: object) -> str:
    if not isinstance(body, str):
        raise InvalidRequest(_("The message body must be text."), field="body")
    text = body.strip()
    if len(text) < MIN_MESSAGE_LENGTH:
        raise InvalidRequest(_("Please write a message before sending it."), field="body")
    if len(text) > MAX_MESSAGE_LENGTH:
        raise InvalidRequest(
            _("The message is too long: at most %(most)s characters, this one has %(length)s.")
            % {"most": MAX_MESSAGE_LENGTH, "length": len(text)},
            field="body",
        )
    return text


def _rate_check(actor: User, moment: datetime) -> None:
    """Inside the caller's transaction: refuse when the member has sent (here or to other nodes) the most allowed
    in the last hour. One member's sends queue behind each other, so parallel requests cannot all pass the count."""
    limit = contact_limit_per_hour()
    user_lock(actor.pk)
    recent = ContactMessage.objects.filter(sender_user=actor, sent_at__gt=moment - RATE_WINDOW)
    if recent.count() >= limit:
        oldest = recent.order_by("sent_at").values_list("sent_at", flat=True).first()
        retry = max(1, int((oldest + RATE_WINDOW - moment).total_seconds())) if oldest else 3600
        minutes = max(1, math.ceil(retry / 60))
        raise TooManyRequests(
            ngettext(
                "You have sent %(limit)s messages in the last hour, the most allowed. Please wait %(minutes)s "
                "minute before sending another.",
                "You have sent %(limit)s messages in the last hour, the most allowed. Please wait %(minutes)s "
                "minutes before sending another.",
                minutes,
            )
            % {"limit": limit, "minutes": minutes},
            retry_after=retry,
        )


def _sent_record(
    *,
    actor: User,
    sender: Entity,
    text: str,
    action: str,
    receiver: Entity | None = None,
    receiver_remote: uuid.UUID | None = None,
) -> ContactMessage:
    """Inside the caller's transaction: count a message to a local ``receiver`` or to a member of another node
    (``receiver_remote``) against the sender's hourly limit, and audit it (its length, never its text)."""
    moment = now()
    _rate_check(actor, moment)
    message = ContactMessage.objects.create(
        sender_user=actor,
        sender_entity=sender,
        receiver_entity=receiver,
        receiver_remote=receiver_remote,
        body_length=len(text),
        sent_at=moment,
    )
    audit_record(
        actor=actor,
        action=action,
        object_type="entity",
        object_id=receiver.pk if receiver is not None else receiver_remote,
        entity_id=sender.pk,
        changes={"bodyLength": (None, len(text))},
    )
    return message


def contact_send(*, actor: User, sender: Entity, receiver_id: object, body: object) -> ContactMessage:
    """Relay a message by email. The receiver's address is used only as the envelope recipient and is never
    returned; the sender's address goes in Reply-To so the receiver decides whether to answer."""
    _sender_check(actor, sender)
    receiver = listed_entities().filter(pk=parse_entity_id(receiver_id)).first()
    if receiver is None:
        raise NotFound(ENTITY_NOT_FOUND)
    if receiver.pk == sender.pk:
        raise InvalidRequest(_("You cannot send a message to your own entity."), field="receiverEntityID")
    text = message_clean(body)
    to = entity_recipients(receiver)
    if not to:
        raise InvalidRequest(_("This entity cannot receive messages: it has no email address."))
    with transaction.atomic(durable=True):
        message = _sent_record(
            actor=actor, sender=sender, text=text, action="contact.send", receiver=receiver
        )
        email_enqueue(
            to=to,
            template="contact",
            reply_to=[_reply_address(sender, actor)],
            context={"sender": sender, "receiver": receiver, "body": text},
            language=entity_language(receiver),
        )
    return message


# --- messages to and from other nodes (ADR 0120; the federation app carries them) --------------------------------


@dataclass(frozen=True)
class Relayed:
    """A message to a member of another node, counted against the sender's hourly limit, ready to be carried."""

    message: ContactMessage
    text: str
    reply_to: str


def contact_relay_reserve(*, actor: User, sender: Entity, receiver_id: uuid.UUID, body: object) -> Relayed:
    """The sending node's half: the same checks and hourly limit as a local message, recorded before the message
    leaves (``contact_relay_release`` gives the allowance back if it could not be delivered)."""
    _sender_check(actor, sender)
    text = message_clean(body)
    with transaction.atomic(durable=True):
        message = _sent_record(
            actor=actor, sender=sender, text=text, action="contact.relay", receiver_remote=receiver_id
        )
    return Relayed(message=message, text=text, reply_to=_reply_address(sender, actor))


def contact_relay_release(relayed: Relayed) -> None:
    """The message could not reach the receiver's node: it does not count against the sender's limit."""
    with transaction.atomic(durable=True):
        ContactMessage.objects.filter(pk=relayed.message.pk).delete()


def contact_deliver_relayed(
    *,
    receiver_id: object,
    sender_id: object,
    sender_name: object,
    sender_node: object,
    reply_to: object,
    body: object,
) -> None:
    """The receiving node's half: email a message relayed from another node to one of this node's listed members,
    with the sender's address as Reply-To, exactly like a local message."""
    receiver = listed_entities().filter(pk=parse_entity_id(receiver_id)).first()
    if receiver is None:
        raise NotFound(ENTITY_NOT_FOUND)
    text = message_clean(body)
    address = reply_to.strip() if isinstance(reply_to, str) else ""
    try:
        validate_email(address)
    except ValidationError:
        raise InvalidRequest(_("The sender's address is not an email address."), field="replyTo") from None
    to = entity_recipients(receiver)
    if not to:
        raise InvalidRequest(_("This entity cannot receive messages: it has no email address."))
    name = sender_name.strip()[:100] if isinstance(sender_name, str) else ""
    node = sender_node.strip()[:255] if isinstance(sender_node, str) else ""
    with transaction.atomic(durable=True):
        email_enqueue(
            to=to,
            template="contact",
            reply_to=[address],
            context={
                "sender": {"name": f"{name} ({node})" if name and node else name, "id": str(sender_id)},
                "receiver": receiver,
                "body": text,
            },
            language=entity_language(receiver),
        )
        audit_record(
            actor=None,
            action="contact.receive",
            object_type="entity",
            object_id=receiver.pk,
            changes={"bodyLength": (None, len(text)), "fromNode": (None, node)},
        )
