"""Private contact across the tree (ADR 0120): a member writes to a member of another node found in the network
directory; the message is carried node to node (``POST /cc/mccs/contact``, authenticated like the directory feed)
to the receiver's node, which emails it with the sender's address as Reply-To. The sender never learns the
receiver's address, and the message counts against the sender's hourly limit like a local one."""

from __future__ import annotations

import logging
import uuid

from django.utils.translation import gettext as _

from mccs.core.errors import InvalidRequest, NotFound, Unavailable
from mccs.directory import contact, network
from mccs.directory.models import ContactMessage, Entity
from mccs.directory.search import ENTITY_NOT_FOUND, parse_entity_id
from mccs.federation import agreement, client, services
from mccs.federation.directory_feed import own_path
from mccs.federation.models import Neighbour
from mccs.users.models import User

log = logging.getLogger(__name__)

CONTACT_PATH = "/mccs/contact"
MAX_HOPS = 16


def contact_send_anywhere(
    *, actor: User, sender: Entity, receiver_id: object, body: object
) -> ContactMessage:
    """``POST /send-email`` and the contact form: a member of this node gets the message by email here; a member
    of another node (an id from the network directory) gets it through its node."""
    pk = parse_entity_id(receiver_id)
    remote = None if Entity.objects.filter(pk=pk).exists() else network.remote_entity_or_none(pk)
    if remote is None:
        return contact.contact_send(actor=actor, sender=sender, receiver_id=pk, body=body)
    relayed = contact.contact_relay_reserve(actor=actor, sender=sender, receiver_id=remote.pk, body=body)
    payload = {
        "to": str(remote.pk),
        "from": {"id": str(sender.pk), "name": sender.name, "node": own_path()},
        "replyTo": relayed.reply_to,
        "body": relayed.text,
        "hops": 1,
    }
    try:
        _carry(remote.via, payload)
    except Exception:
        contact.contact_relay_release(relayed)
        raise
    return relayed.message


def _carry(via: str, payload: dict) -> None:
    """Hand the message to the neighbour ``via``; its refusal is ours, with its reason."""
    neighbour = Neighbour.objects.filter(name=via).first()
    if neighbour is None:
        raise NotFound(ENTITY_NOT_FOUND)
    not_reached = _(
        "Node %(node)s cannot be reached just now, so your message was not sent. Please try again in a few minutes."
    ) % {"node": neighbour.name}
    try:
        answer = agreement.extension_call(neighbour, CONTACT_PATH, payload)
    except client.Unreachable as exc:
        log.warning("contact message not carried to node %s: %s", neighbour.name, exc)
        raise Unavailable(not_reached) from None
    if answer.ok:
        return
    if answer.status in (404, 405) and answer.error_class() in ("", "CCFailure"):
        raise InvalidRequest(
            _("Node %(node)s does not relay messages, so this member cannot be written to from here.")
            % {"node": neighbour.name}
        )
    if answer.error_class() == "DoesNotExistViolation" or answer.status == 404:
        raise NotFound(ENTITY_NOT_FOUND)
    if answer.status >= 500 or answer.error_class() in ("HashMismatchFailure", "UnavailableNodeFailure"):
        log.warning("contact message refused by node %s: %s", neighbour.name, answer.message())
        errors = answer.errors()
        further = (
            errors[0].get("node") if errors and answer.error_class() == "UnavailableNodeFailure" else None
        )
        if isinstance(further, str) and further and further != neighbour.name:
            raise Unavailable(
                _(
                    "Node %(node)s cannot be reached just now, so your message was not sent. Please try again in a "
                    "few minutes."
                )
                % {"node": further[:50]}
            )
        raise Unavailable(not_reached)
    raise InvalidRequest(answer.message())


def contact_receive(*, neighbour: Neighbour, body: object) -> None:
    """A neighbour hands over a message: deliver it to our member, or carry it on towards the member's node (never
    back where it came from)."""
    if not isinstance(body, dict):
        raise services.CCError("The body must be a JSON object.", cc_class="CCViolation")
    hops = body.get("hops")
    if not isinstance(hops, int) or isinstance(hops, bool) or not 0 < hops <= MAX_HOPS:
        raise services.CCError("hops must be a small positive number.", cc_class="CCViolation")
    try:
        receiver = uuid.UUID(str(body.get("to")))
    except ValueError:
        raise _no_such_member(str(body.get("to"))[:40]) from None
    given = body.get("from")
    sender: dict = given if isinstance(given, dict) else {}
    if Entity.objects.filter(pk=receiver).exists():
        contact.contact_deliver_relayed(
            receiver_id=receiver,
            sender_id=sender.get("id", ""),
            sender_name=sender.get("name", ""),
            sender_node=sender.get("node", ""),
            reply_to=body.get("replyTo"),
            body=body.get("body"),
        )
        return
    remote = network.remote_entity_or_none(receiver)
    if remote is None or remote.via == neighbour.name:
        raise _no_such_member(str(receiver))
    onward = {k: body[k] for k in ("to", "from", "replyTo", "body") if k in body} | {"hops": hops + 1}
    try:
        _carry(remote.via, onward)
    except Unavailable:
        raise services.CCError(
            f"Node {remote.via} cannot be reached just now.",
            cc_class="UnavailableNodeFailure",
            status=503,
            origin=remote.via,
        ) from None


def _no_such_member(member: str) -> services.CCError:
    return services.CCError(
        "No listed member with that id on this node or beyond it.",
        cc_class="DoesNotExistViolation",
        status=404,
        fields={"type": "entity", "id": member},
    )
