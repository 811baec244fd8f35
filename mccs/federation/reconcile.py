"""Reconcile a link whose two ends disagree (``mccs federation reconcile NAME``; docs/federation.md, "Reconciling a
link"; ADR 0101).

The rules, in order:

1. **Owed changes first.** Every change still queued for a transaction on the link is sent now.
2. **A state the neighbour has moved to is applied here** when it follows from ours (pending → completed or
   erased; validated → pending): the neighbour applies a change only after the far side has it, so its state is the
   one the tree is moving to. Here it goes through the same path as a change the neighbour sends: passed on to our
   other neighbour first when we relay, then applied to our ledger (postings as for any completion).
3. **A pending transaction the neighbour does not know is erased here** (and onwards): nothing has moved for it
   anywhere, and it can never complete.
4. **The hash chain is re-aligned: the trunkward end's last hash is authoritative.** A leaf adopts its trunk's; a
   trunk sends its own to the leaf (``POST /cc/mccs/link/align``, accepted only from the leaf's trunk).
5. **A state we have moved to and the neighbour has not is sent again** (a normal state change, with the
   re-aligned hash); the neighbour checks it as it checks any change (only the proposer makes a transaction
   pending, only the side that was asked completes it). Then the chain is re-aligned once more.
6. **Two different final states (completed here, erased there) are never changed**: postings are never undone;
   an administrator settles them with a correcting transfer. The command then exits non-zero.

Money only moves through ``services._apply`` (the ledger's own completion), so every ledger still sums to zero and
``mccs ledger-audit`` stays clean. Every run is in the audit log (``federation.reconcile``) with what it printed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from mccs.core.clock import now
from mccs.core.errors import NotFound, PermissionDenied
from mccs.federation import agreement, client, services
from mccs.federation.models import CCState, FederatedTransfer, Intent, Neighbour
from mccs.ledger import policies
from mccs.users.models import User

ABSENT = agreement.ABSENT

# The changes that take a transaction from one state to a later one, in order.
FORWARD: dict[tuple[str, str], list[CCState]] = {  # (state here, state there) → the steps between
    (CCState.VALIDATED, CCState.PENDING): [CCState.PENDING],
    (CCState.VALIDATED, CCState.COMPLETED): [CCState.PENDING, CCState.COMPLETED],
    (CCState.VALIDATED, CCState.ERASED): [CCState.ERASED],
    (CCState.PENDING, CCState.COMPLETED): [CCState.COMPLETED],
    (CCState.PENDING, CCState.ERASED): [CCState.ERASED],
}


@dataclass
class Report:
    lines: list[str] = field(default_factory=list)
    settled: bool = True

    def say(self, line: str, *, failed: bool = False) -> None:
        self.lines.append(line)
        if failed:
            self.settled = False


def reconcile(*, name: str, dry_run: bool = False, actor: User | None = None) -> Report:
    if actor is not None and not policies.can_change_limits(actor):
        raise PermissionDenied(_("Only administrators can reconcile a link."))
    neighbour = Neighbour.objects.filter(name=name).first()
    if neighbour is None:
        raise NotFound(_("No neighbour is called %(name)s.") % {"name": name})
    report = Report()
    if not dry_run:
        _run_owed(neighbour, report)
    theirs = _view(neighbour, report)
    if theirs is None:
        return _finish(neighbour, report, dry_run, actor)
    plan = _plan(neighbour, theirs)
    if not plan and theirs["lastHash"] == neighbour.last_hash:
        report.say(
            _("%(node)s: both ends agree (the same last hash and the same states); nothing to do.")
            % {"node": neighbour.name}
        )
        return _finish(neighbour, report, dry_run, actor)
    pushes = []
    for uuid, here, there, action in plan:
        head = _head(uuid, here, there, neighbour)
        if action == "conflict":
            report.say(
                _(
                    "%(head)s → NOT settled: both are final (postings are never undone); settle it with a "
                    "correcting transfer."
                )
                % {"head": head},
                failed=True,
            )
        elif action == "unknown":
            report.say(
                _("%(head)s → NOT settled: this node has no record of it to apply the change to.")
                % {"head": head},
                failed=True,
            )
        elif action == "push":
            pushes.append((uuid, here, there))
        elif dry_run:
            target = CCState.ERASED if action == "erase" else there
            report.say(_("%(head)s → would make it %(state)s here") % {"head": head, "state": target})
        else:
            _pull(neighbour, uuid, head, CCState.ERASED if action == "erase" else there, report)
    if dry_run:
        for uuid, here, there in pushes:
            report.say(
                _("%(head)s → would send %(state)s to %(node)s")
                % {"head": _head(uuid, here, there, neighbour), "state": here, "node": neighbour.name}
            )
        _align(neighbour, report, dry_run=True)
        return _finish(neighbour, report, dry_run, actor)
    _align(neighbour, report)
    if pushes:
        _run_owed(neighbour, report, quiet=True)
        for uuid, here, there in pushes:
            _push(neighbour, uuid, _head(uuid, here, there, neighbour), report)
        _align(neighbour, report)
    _verify(neighbour, report)
    return _finish(neighbour, report, dry_run, actor)


def _head(uuid: str, here: str, there: str, neighbour: Neighbour) -> str:
    return _("%(uuid)s: %(here)s here, %(there)s at %(node)s") % {
        "uuid": uuid,
        "here": here,
        "there": there,
        "node": neighbour.name,
    }


def _finish(neighbour: Neighbour, report: Report, dry_run: bool, actor: User | None) -> Report:
    if dry_run:
        report.lines.insert(0, _("Dry run: nothing is changed."))
    else:
        services.link_audit(
            neighbour,
            actor=actor,
            action="federation.reconcile",
            changes={"report": (None, report.lines), "settled": (None, report.settled)},
        )
    return report


def _on_link(neighbour: Neighbour) -> Q:
    return Q(federated__upstream=neighbour) | Q(federated__downstream=neighbour) | Q(neighbour=neighbour)


def _run_owed(neighbour: Neighbour, report: Report, *, quiet: bool = False) -> None:
    owed = Intent.objects.filter(_on_link(neighbour), done_at__isnull=True)
    count = owed.count()
    if not count:
        return
    owed.update(next_at=now())
    services.federation_retry_due()
    left = Intent.objects.filter(_on_link(neighbour), done_at__isnull=True).count()
    if not quiet or left:
        report.say(
            _("Sent %(count)d queued change(s) for transactions on this link first; %(left)d still queued.")
            % {"count": count, "left": left}
        )


def _view(neighbour: Neighbour, report: Report) -> dict | None:
    try:
        return agreement.fetch_view(neighbour)
    except client.Unreachable as exc:
        report.say(
            _("%(node)s cannot be reached (%(why)s): nothing can be compared.")
            % {"node": neighbour.name, "why": exc},
            failed=True,
        )
    except agreement.NoExtension:
        result = services.handshake(neighbour)
        if result == "ok":
            report.say(
                _(
                    "%(node)s does not offer the MCCS link view (e.g. the PHP reference node): its handshake "
                    "accepted our last hash, so the hashes agree; the transactions cannot be compared."
                )
                % {"node": neighbour.name}
            )
        else:
            report.say(
                _(
                    "%(node)s does not offer the MCCS link view and its handshake failed (%(why)s): this "
                    "link cannot be reconciled from here."
                )
                % {"node": neighbour.name, "why": result},
                failed=True,
            )
    except services.CCError as exc:
        if exc.cc_class == "HashMismatchFailure":
            report.say(
                _(
                    "%(node)s knows none of this node's hashes for the link (the histories differ from "
                    "the start): this link cannot be reconciled automatically."
                )
                % {"node": neighbour.name},
                failed=True,
            )
        else:
            report.say(
                _("%(node)s refused to show its view of the link: %(why)s")
                % {"node": neighbour.name, "why": exc.message},
                failed=True,
            )
    return None


def _plan(neighbour: Neighbour, theirs: dict) -> list[tuple[str, str, str, str]]:
    """(uuid, state here, state there, action) for each transaction whose state differs."""
    diffs = agreement.differences(agreement.link_transactions(neighbour), theirs["transactions"])
    plan = []
    for uuid, _listed, there in diffs:
        ft = FederatedTransfer.objects.filter(pk=uuid).first()
        here = ft.state if ft is not None else ABSENT
        if ft is not None and here == CCState.ERASED and ft.version == 0:
            here_for_rules = ABSENT if there in (ABSENT, CCState.ERASED) else CCState.ERASED
        else:
            here_for_rules = here
        if there == ABSENT:
            action = "erase" if here_for_rules in (CCState.PENDING, CCState.VALIDATED) else "conflict"
        elif here_for_rules == ABSENT:
            action = "unknown"
        elif (here_for_rules, there) in FORWARD:
            action = "pull"
        elif (there, here_for_rules) in FORWARD:
            action = "push"
        else:
            action = "conflict"
        plan.append((uuid, here, there, action))
    return plan


def _pull(neighbour: Neighbour, uuid: str, head: str, target: str, report: Report) -> None:
    """Bring the transaction here to ``target``: through our other neighbour first when we relay it."""
    ft = FederatedTransfer.objects.select_related("upstream", "downstream").get(pk=uuid)
    steps = FORWARD.get((ft.state, target), [])
    other = ft.downstream if ft.upstream_id == neighbour.pk else ft.upstream
    reason = _("Settled by reconciling the link with %(node)s.") % {"node": neighbour.name}
    passed = None
    try:
        for state in steps:
            # A change goes on to our other neighbour only in the direction it travels (pending leafward from the
            # proposer, completed back from the side that was asked, erased either way); against it, the other
            # neighbour is where it came from and has it already.
            onward = state == CCState.ERASED or (
                ft.upstream_id == neighbour.pk
                if state == CCState.PENDING
                else ft.downstream_id == neighbour.pk
            )
            if other is None or not onward:
                services._apply(ft.pk, state, reason=reason)
            else:
                passed = other
                intent = services._intent_open(ft, other, state, reason=reason)
                if services._drive(intent) == "queued":
                    report.say(
                        _(
                            "%(head)s → %(state)s queued for %(other)s (%(why)s); it applies here when that "
                            "node answers."
                        )
                        % {
                            "head": head,
                            "state": state,
                            "other": other.name,
                            "why": services.intent_outcome(intent),
                        },
                        failed=True,
                    )
                    return
    except services.CCError as exc:
        report.say(_("%(head)s → NOT settled: %(why)s") % {"head": head, "why": exc.message}, failed=True)
        return
    if passed is None:
        report.say(_("%(head)s → made it %(state)s here") % {"head": head, "state": target})
    else:
        report.say(
            _("%(head)s → made it %(state)s here (passed on to %(other)s first)")
            % {"head": head, "state": target, "other": passed.name}
        )


def _push(neighbour: Neighbour, uuid: str, head: str, report: Report) -> None:
    """Send our state again: the neighbour checks it as any state change."""
    ft = FederatedTransfer.objects.get(pk=uuid)
    neighbour.refresh_from_db(fields=["last_hash"])
    try:
        answer = client.call(
            neighbour.url,
            "PATCH",
            f"/transaction/{ft.uuid}/{ft.state}",
            node=services.node_name(),
            auth=neighbour.last_hash,
        )
    except client.Unreachable as exc:
        report.say(
            _("%(head)s → NOT settled: %(node)s cannot be reached (%(why)s).")
            % {"head": head, "node": neighbour.name, "why": exc},
            failed=True,
        )
        return
    if answer.ok:
        report.say(
            _("%(head)s → sent %(state)s to %(node)s, which applied it")
            % {"head": head, "state": ft.state, "node": neighbour.name}
        )
        return
    error = services._error_from(answer, neighbour)
    report.say(
        _("%(head)s → NOT settled: %(node)s refused %(state)s: %(why)s")
        % {"head": head, "node": neighbour.name, "state": ft.state, "why": error.message},
        failed=True,
    )


def _align(neighbour: Neighbour, report: Report, *, dry_run: bool = False) -> None:
    """The trunkward end's last hash becomes both ends' last hash."""
    theirs = _view(neighbour, report)
    if theirs is None:
        return
    neighbour.refresh_from_db(fields=["last_hash"])
    ours = neighbour.last_hash
    if theirs["lastHash"] == ours:
        return
    if neighbour.is_trunk:
        if dry_run:
            report.say(
                _("Last hash: would take %(node)s's %(theirs)s (the trunk's end).")
                % {"node": neighbour.name, "theirs": theirs["lastHash"] or "-"}
            )
            return
        if link_hash_set(neighbour, theirs["lastHash"], actor=None):
            report.say(
                _(
                    "Last hash: was %(ours)s here, %(theirs)s at %(node)s → took %(node)s's (the trunk's end of "
                    "the link is authoritative)."
                )
                % {"ours": ours or "-", "theirs": theirs["lastHash"] or "-", "node": neighbour.name}
            )
        else:
            report.say(
                _("Last hash: NOT aligned: a change is crossing the link; reconcile again."), failed=True
            )
        return
    if dry_run:
        report.say(
            _("Last hash: would send ours (%(ours)s) to %(node)s (this node is its trunk).")
            % {"ours": ours or "-", "node": neighbour.name}
        )
        return
    try:
        answer = agreement.extension_call(neighbour, agreement.ALIGN_PATH, {"lastHash": ours})
    except client.Unreachable as exc:
        report.say(
            _("Last hash: NOT aligned: %(node)s cannot be reached (%(why)s).")
            % {"node": neighbour.name, "why": exc},
            failed=True,
        )
        return
    if answer.ok:
        report.say(
            _(
                "Last hash: was %(ours)s here, %(theirs)s at %(node)s → %(node)s took ours (the trunk's end of "
                "the link is authoritative)."
            )
            % {"ours": ours or "-", "theirs": theirs["lastHash"] or "-", "node": neighbour.name}
        )
    else:
        error = services._error_from(answer, neighbour)
        report.say(
            _("Last hash: NOT aligned: %(node)s refused: %(why)s")
            % {"node": neighbour.name, "why": error.message},
            failed=True,
        )


def link_hash_set(neighbour: Neighbour, value: str, *, actor: User | None) -> bool:
    """Set the last hash of a link (re-alignment), under the link's lease; False if a change holds the lease."""
    token = services._lease(neighbour.pk)
    if token is None:
        return False
    try:
        # The hash and its audit entry together, or neither.
        with transaction.atomic(durable=True):
            before = Neighbour.objects.filter(pk=neighbour.pk).values_list("last_hash", flat=True).first()
            Neighbour.objects.filter(pk=neighbour.pk).update(last_hash=value)
            services.link_audit(
                neighbour, actor=actor, action="federation.link_align", changes={"lastHash": (before, value)}
            )
        neighbour.last_hash = value
    finally:
        services._release(neighbour.pk, token)
    return True


def _verify(neighbour: Neighbour, report: Report) -> None:
    theirs = _view(neighbour, report)
    if theirs is None:
        return
    neighbour.refresh_from_db(fields=["last_hash"])
    diffs = agreement.differences(agreement.link_transactions(neighbour), theirs["transactions"])
    if not diffs and theirs["lastHash"] == neighbour.last_hash:
        report.say(
            _("%(node)s: both ends now agree (last hash %(hash)s).")
            % {"node": neighbour.name, "hash": neighbour.last_hash or "-"}
        )
    else:
        report.say(
            (
                _("%(node)s: the ends still differ (%(count)d transaction(s); the same last hash).")
                if theirs["lastHash"] == neighbour.last_hash
                else _("%(node)s: the ends still differ (%(count)d transaction(s); different last hashes).")
            )
            % {"node": neighbour.name, "count": len(diffs)},
            failed=True,
        )
