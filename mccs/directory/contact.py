"""The private contact relay: a member writes to another entity by email without learning its address."""

from __future__ import annotations

import math
from datetime import timedelta

from django.conf import settings
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


def contact_send(*, actor: User, sender: Entity, receiver_id: object, body: object) -> ContactMessage:
    """Relay a message by email. The receiver's address is used only as the envelope recipient and is never
    returned; the sender's address goes in Reply-To so the receiver decides whether to answer."""
    if not can_manage_entity(actor, sender):
        raise PermissionDenied(_("You do not act for this entity."))
    if not can_be_contacted(sender):
        raise PermissionDenied(
            _("Your entity can send messages once an administrator has accepted it into the directory.")
        )
    receiver = listed_entities().filter(pk=parse_entity_id(receiver_id)).first()
    if receiver is None:
        raise NotFound(ENTITY_NOT_FOUND)
    if receiver.pk == sender.pk:
        raise InvalidRequest(_("You cannot send a message to your own entity."), field="receiverEntityID")
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
    to = entity_recipients(receiver)
    if not to:
        raise InvalidRequest(_("This entity cannot receive messages: it has no email address."))
    moment = now()
    limit = contact_limit_per_hour()
    with transaction.atomic(durable=True):
        # One member's sends queue behind each other, so parallel requests cannot all pass the count.
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
        message = ContactMessage.objects.create(
            sender_user=actor,
            sender_entity=sender,
            receiver_entity=receiver,
            body_length=len(text),
            sent_at=moment,
        )
        email_enqueue(
            to=to,
            template="contact",
            reply_to=[_reply_address(sender, actor)],
            context={"sender": sender, "receiver": receiver, "body": text},
            language=entity_language(receiver),
        )
        audit_record(
            actor=actor,
            action="contact.send",
            object_type="entity",
            object_id=receiver.pk,
            entity_id=sender.pk,
            changes={"bodyLength": (None, len(text))},
        )
    return message
