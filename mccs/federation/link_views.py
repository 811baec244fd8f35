"""MCCS extensions of ``/cc/`` for reconciling a link (agreement.py, reconcile.py; ADR 0101): a neighbour asks for
this node's view of their link, and a trunk re-aligns the last hash of the link with one of its leaves. Both
authenticate the caller by a hash of the link's history (its head, or an earlier one offered in the body), so they
still answer when the two ends' chains have drifted apart; a neighbour that knows none is refused like any wrong hash.
"""

from __future__ import annotations

from mccs.core.errors import ApplicationError, NotFound
from mccs.federation import agreement, directory_contact, directory_feed, services
from mccs.federation.models import Direction
from mccs.federation.reconcile import link_hash_set
from mccs.federation.views import _body, _json, endpoint


def _offered(body) -> list:
    hashes = body.get("hashes") if isinstance(body, dict) else None
    return hashes if isinstance(hashes, list) else []


@endpoint(methods=("POST",), repeat=True)
def link(request, neighbour, auth):
    body = _body(request)
    agreement.link_authenticate(neighbour, auth, _offered(body))
    return _json({"data": agreement.link_view(neighbour)})


@endpoint(methods=("POST",), repeat=True)
def align(request, neighbour, auth):
    body = _body(request)
    agreement.link_authenticate(neighbour, auth, _offered(body))
    if neighbour.direction != Direction.TRUNKWARD:
        raise services.CCError(
            "Only this node's trunk can re-align the hash of their link.",
            cc_class="PermissionViolation",
            status=403,
        )
    value = body.get("lastHash") if isinstance(body, dict) else None
    if not isinstance(value, str) or len(value) > 32:
        raise services.CCError("lastHash must be a hash.", cc_class="CCViolation")
    if not link_hash_set(neighbour, value, actor=None):
        raise services._unavailable(services.node_name(), "another change is crossing this link")
    return _json({"data": {"lastHash": value}})


@endpoint(methods=("POST",), repeat=True)
def directory(request, neighbour, auth):
    """The network directory (ADR 0120): the rows of this node's shared directory past the neighbour's cursor."""
    body = _body(request)
    agreement.link_authenticate(neighbour, auth, _offered(body))
    since = body.get("since", 0) if isinstance(body, dict) else 0
    return _json({"data": directory_feed.feed_page(neighbour=neighbour, since=since)})


@endpoint(methods=("POST",), repeat=True)
def contact(request, neighbour, auth):
    """A private message for a member of this node, or to carry on towards the member's node (ADR 0120)."""
    body = _body(request)
    agreement.link_authenticate(neighbour, auth, _offered(body))
    try:
        directory_contact.contact_receive(neighbour=neighbour, body=body)
    except services.CCError:
        raise
    except ApplicationError as exc:  # the sentence travels back to the sender's node, which shows it
        raise services.CCError(
            str(exc.message),
            cc_class="CCViolation",
            status=404 if isinstance(exc, NotFound) else 400,
            fields={"message": str(exc.message)},
        ) from None
    return _json({"data": {"delivered": True}})
