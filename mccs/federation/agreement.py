"""Do both ends of a link agree? The same last hash, and the same state for every transaction that crossed it
(docs/federation.md, "Do both ends agree?"; ADR 0101).

A node learns its neighbour's view through an MCCS extension of the protocol, ``POST /cc/mccs/link``: the caller
names itself (``CC-User``) and presents its last hash (``CC-Auth``) and, in the body, the earlier hashes of its chain
for that link (newest first). The neighbour answers if it knows any of them — a hash of the link's history is a
secret only the two ends share — so the view can still be had when the two chains have drifted apart. The answer is
the neighbour's last hash and its ``[uuid, state, version]`` for every transaction on the link. A neighbour without
the extension (the PHP reference) answers 404; then only the handshake speaks: the reference authenticates a caller
by the last hash, so an accepted handshake proves the hashes agree, and the transactions are not compared.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from mccs.federation import client, services
from mccs.federation.models import CCState, FederatedTransfer, LinkHash, Neighbour

VIEW_PATH = "/mccs/link"
ALIGN_PATH = "/mccs/link/align"
CHAIN_SENT = 200  # how many earlier hashes a caller offers to authenticate itself

ABSENT = "absent"


# --- this node's side ---------------------------------------------------------------------------------------------


def link_transactions(neighbour: Neighbour) -> dict[str, tuple[str, int]]:
    """uuid → (state, version) for every transaction on the link that reached ``pending`` (version ≥ 1): only
    those are in the hash chain, or could have moved money."""
    rows = FederatedTransfer.objects.filter(
        Q(upstream=neighbour) | Q(downstream=neighbour), version__gte=1
    ).values_list("uuid", "state", "version")
    return {str(uuid): (state, version) for uuid, state, version in rows}


def own_chain(neighbour: Neighbour) -> list[str]:
    """The head of our chain for the link and the hashes before it, newest first (without ``""``)."""
    earlier = LinkHash.objects.filter(neighbour=neighbour).order_by("-created_at", "-id")
    hashes = [neighbour.last_hash, *earlier.values_list("hash", flat=True)[:CHAIN_SENT]]
    seen: list[str] = []
    for value in hashes:
        if value and value not in seen:
            seen.append(value)
    return seen


def link_authenticate(neighbour: Neighbour, presented: str, offered: object) -> None:
    """The caller knows our last hash, or a hash from our chain for this link. ``""`` proves nothing once the link
    has a history. Refused as any wrong hash is: 403, naming only what was presented."""
    hashes = [presented]
    if isinstance(offered, list):
        hashes += [h for h in offered[:CHAIN_SENT] if isinstance(h, str)]
    if neighbour.last_hash in hashes:
        return
    known = [h for h in hashes if h]
    if known and LinkHash.objects.filter(neighbour=neighbour, hash__in=known).exists():
        return
    raise services.hash_mismatch(neighbour, presented)


def link_view(neighbour: Neighbour) -> dict:
    """What this node answers a neighbour that asks for its view of their link."""
    transactions = link_transactions(neighbour)
    return {
        "lastHash": neighbour.last_hash,
        "transactions": [[uuid, state, version] for uuid, (state, version) in sorted(transactions.items())],
    }


# --- asking the neighbour -----------------------------------------------------------------------------------------


class NoExtension(Exception):
    """The neighbour does not offer ``/mccs/link`` (the PHP reference, or an older MCCS)."""


def extension_call(neighbour: Neighbour, path: str, body: dict) -> client.Answer:
    """``POST`` to one of the MCCS extensions of the protocol (``path``), authenticated as they all are: our last
    hash in ``CC-Auth`` (read again now: a transfer may have moved it since ``neighbour`` was loaded) and the earlier
    hashes of our chain for the link in the body's ``hashes``. Raises ``client.Unreachable``."""
    neighbour.refresh_from_db(fields=["last_hash"])
    return client.call(
        neighbour.url,
        "POST",
        path,
        node=services.node_name(),
        auth=neighbour.last_hash,
        body={**body, "hashes": own_chain(neighbour)},
        timeout=services.timeout_seconds(),
    )


def fetch_view(neighbour: Neighbour) -> dict:
    """The neighbour's last hash and ``uuid → (state, version)``. Raises ``client.Unreachable``, ``NoExtension``,
    or ``services.CCError`` (e.g. ``HashMismatchFailure`` when it knows none of our hashes)."""
    answer = extension_call(neighbour, VIEW_PATH, {})
    data = answer.body.get("data") if isinstance(answer.body, dict) else None
    if answer.ok and isinstance(data, dict) and isinstance(data.get("transactions"), list):
        transactions = {}
        for item in data["transactions"]:
            if isinstance(item, list) and len(item) == 3:
                transactions[str(item[0])] = (str(item[1]), int(item[2]))
        return {"lastHash": str(data.get("lastHash") or ""), "transactions": transactions}
    if answer.status == 403 and answer.error_class() == "HashMismatchFailure":
        raise services._error_from(answer, neighbour)
    if answer.ok or answer.status in (404, 405) or not answer.errors():
        raise NoExtension(f"HTTP {answer.status}")
    raise services._error_from(answer, neighbour)


def differences(
    mine: dict[str, tuple[str, int]], theirs: dict[str, tuple[str, int]]
) -> list[tuple[str, str, str]]:
    """(uuid, state here, state there) for every transaction whose state differs; a transaction one side does not
    have counts as ``absent``, and agrees with ``erased`` (no money moved, nothing pending)."""
    out = []
    for uuid in sorted(set(mine) | set(theirs)):
        here = mine[uuid][0] if uuid in mine else ABSENT
        there = theirs[uuid][0] if uuid in theirs else ABSENT
        if here == there or {here, there} == {ABSENT, CCState.ERASED}:
            continue
        out.append((uuid, here, there))
    return out


@dataclass
class Agreement:
    agree: bool | None
    reason: str


def agreement(neighbour: Neighbour, handshake: str) -> Agreement:
    """Whether both ends of the link agree, and a short reason (``agree`` None: the neighbour could not be asked)."""
    try:
        theirs = fetch_view(neighbour)
    except client.Unreachable as exc:
        return Agreement(None, _("%(name)s cannot be asked: %(why)s") % {"name": neighbour.name, "why": exc})
    except NoExtension:
        if handshake == "ok":
            return Agreement(
                True,
                _(
                    "Same last hash (the handshake was accepted); %(name)s cannot show its transactions, "
                    "so they were not compared."
                )
                % {"name": neighbour.name},
            )
        if handshake.startswith("refused (403)"):
            return Agreement(False, _("The last hashes differ: the handshake was refused."))
        return Agreement(
            None, _("%(name)s cannot be asked: %(why)s") % {"name": neighbour.name, "why": handshake}
        )
    except services.CCError as exc:
        if exc.cc_class == "HashMismatchFailure":
            return Agreement(
                False,
                _("%(name)s knows none of the hashes of this link: the histories differ from the start.")
                % {"name": neighbour.name},
            )
        return Agreement(
            None, _("%(name)s cannot be asked: %(why)s") % {"name": neighbour.name, "why": exc.message}
        )
    mine = link_transactions(neighbour)
    diffs = differences(mine, theirs["transactions"])
    same_hash = theirs["lastHash"] == neighbour.last_hash
    if same_hash and not diffs:
        return Agreement(
            True,
            ngettext(
                "Same last hash and the same state for the %(count)d transaction of the link.",
                "Same last hash and the same state for all %(count)d transactions of the link.",
                len(mine),
            )
            % {"count": len(mine)},
        )
    parts = []
    if not same_hash:
        parts.append(_("The last hashes differ."))
    if diffs:
        parts.append(
            ngettext(
                "%(count)d transaction has a different state at each end.",
                "%(count)d transactions have a different state at each end.",
                len(diffs),
            )
            % {"count": len(diffs)}
        )
    parts.append(_("Run mccs federation reconcile %(name)s.") % {"name": neighbour.name})
    return Agreement(False, " ".join(parts))


def federation_status(*, live: bool = True) -> dict:
    """``services.federation_status`` plus, for each neighbour, ``agree`` (true, false, or null when it was not
    asked or could not be asked) and ``agreement`` (why). Without ``live`` the neighbours are not asked."""
    status = services.federation_status(live=live)
    by_name = {n.name: n for n in Neighbour.objects.all()}
    for item in status["neighbours"]:
        if live and item["name"] in by_name:
            result = agreement(by_name[item["name"]], item["handshake"])
            item["agree"], item["agreement"] = result.agree, result.reason
        else:
            item["agree"], item["agreement"] = None, ""
    return status
