"""Both ends of a link disagree — a node died between its neighbour's answer and saving it and its queued change was
lost, a node was restored from an older backup, a link hash was rolled back — and `mccs federation status` says so;
`mccs federation reconcile NAME` settles the link by its documented rules (docs/federation.md), says what it did
line by line, and afterwards both ends agree, every ledger sums to zero and `mccs ledger-audit` is clean. Real
`mccs serve` nodes (a trunk t and branches b1, b2), each with its own database."""

from __future__ import annotations

import itertools
import urllib.error
from decimal import Decimal
from http.client import HTTPException

import pytest

from tests.federation.cluster import http, settled, wait_until

pytestmark = pytest.mark.slow


_serial = itertools.count()


@pytest.fixture
def nodes(module_nodes):
    """The tests of this module share one tree; each leaves both ends of every link agreeing."""
    return module_nodes


def member(node, name: str):
    """A member of this test's own (the tree is shared): balances start at zero."""
    return node.member(f"{name}{next(_serial)}")


def link(status: dict, name: str) -> dict:
    return next(n for n in status["neighbours"] if n["name"] == name)


def shell(node, code: str) -> list[str]:
    """Python run against the node's own database (what a crash or a restore would leave there)."""
    return (
        node.cli("shell", "-c", code).stdout.strip().splitlines()[-1:]
    )  # after Django's "objects imported" note


def reconciled(node, name: str, *args: str):
    return node.cli("federation", "reconcile", name, *args, check=False)


def audit_actions(node, action: str) -> int:
    return int(
        *shell(
            node,
            f"from mccs.audit.models import AuditEntry; print(AuditEntry.objects.filter(action={action!r}).count())",
        )
    )


def test_a_lost_change_is_reported_and_reconciled(nodes):
    t, b1 = nodes["t"], nodes["b1"]
    alice = member(b1, "alice")
    carol = member(t, "carol")
    status, body = alice.pay(f"t/{carol.number}", 10, description="lost change")
    assert status == 200, body
    transfer_id = body["data"]["id"]

    # carol accepts; b1 completes it, then t dies before saving b1's answer, and its queued change is lost.
    t.crash_at("drive.after_answer:completed")
    try:
        carol.act(transfer_id, "accept")
    except (urllib.error.URLError, HTTPException, ConnectionError, TimeoutError):
        pass
    assert t.crashed()
    assert shell(
        t,
        "from mccs.federation.models import Intent; print(Intent.objects.filter(done_at__isnull=True).delete()[0])",
    ) == ["1"]
    t.start()

    # Both ends see that they disagree, and why.
    here, there = link(t.status(), "b1"), link(b1.status(), "t")
    assert here["agree"] is False and there["agree"] is False, (here, there)
    assert "hashes differ" in here["agreement"] and "1 transaction has a different state" in here["agreement"]
    assert here["lastHash"] != there["lastHash"]
    text = t.cli("federation", "status", check=False).stdout
    assert "both ends agree: NO" in text, text
    assert alice.transfer(transfer_id)["status"] == "transferCompleted"
    assert carol.transfer(transfer_id)["status"] == "transferInitiated"

    # A dry run says what it would do and changes nothing.
    dry = reconciled(t, "b1", "--dry-run")
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert f"{transfer_id}: pending here, completed at b1 → would make it completed here" in dry.stdout, (
        dry.stdout
    )
    assert carol.transfer(transfer_id)["status"] == "transferInitiated"
    assert link(t.status(), "b1")["agree"] is False

    result = reconciled(t, "b1")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{transfer_id}: pending here, completed at b1 → made it completed here" in result.stdout, (
        result.stdout
    )
    assert "b1: both ends now agree" in result.stdout, result.stdout

    statuses = settled(nodes)
    assert all(n["agree"] is True for s in statuses.values() for n in s["neighbours"]), statuses
    assert "the same state for the 1 transaction" in link(statuses["t"], "b1")["agreement"]
    assert carol.transfer(transfer_id)["status"] == "transferCompleted"
    assert carol.balance() == Decimal(10) and alice.balance() == Decimal(-10)
    assert audit_actions(t, "federation.reconcile") == 1

    # Run again: nothing left to do.
    again = reconciled(t, "b1")
    assert again.returncode == 0 and "nothing to do" in again.stdout, again.stdout


def test_a_node_restored_from_an_older_backup_is_brought_up_to_date(nodes, tmp_path):
    t, b1 = nodes["t"], nodes["b1"]
    alice = member(b1, "alice")
    carol = member(t, "carol")
    status, body = alice.pay(f"t/{carol.number}", 7, description="before the backup")
    assert status == 200, body
    transfer_id = body["data"]["id"]
    # The trunk may still hold the link's lease from a crash in an earlier test: the change then waits in b1's
    # queue until the lease runs out, as designed.
    wait_until(lambda: carol.transfer(transfer_id) is not None)
    backup = tmp_path / "b1.backup"
    b1.cli("backup", str(backup))
    status, body = carol.act(transfer_id, "accept")
    assert status == 200 and body["data"]["status"] == "transferCompleted", body

    # b1 loses the completion: restored from the backup taken while the payment was pending.
    b1.stop()
    b1.cli("restore", str(backup), "--yes")
    b1.start()
    assert alice.transfer(transfer_id)["status"] == "transferInitiated"
    assert link(t.status(), "b1")["agree"] is False

    # From the trunk: carol's node owns the completion, so it is sent again; b1 applies it like any change.
    result = reconciled(t, "b1")
    assert result.returncode == 0, result.stdout + result.stderr
    assert (
        f"{transfer_id}: completed here, pending at b1 → sent completed to b1, which applied it"
        in result.stdout
    )
    assert "both ends now agree" in result.stdout, result.stdout
    settled(nodes)
    assert alice.transfer(transfer_id)["status"] == "transferCompleted"
    assert alice.balance() == Decimal(-7) and carol.balance() == Decimal(7)


@pytest.mark.parametrize("where", ["leaf", "trunk"])
def test_a_rolled_back_link_hash_is_realigned_from_either_end(nodes, where):
    t, b2 = nodes["t"], nodes["b2"]
    bob = member(b2, "bob")
    carol = member(t, "carol")
    status, body = carol.pay(f"t/b2/{bob.number}", 3)
    assert status == 200, body
    status, body = bob.act(body["data"]["id"], "accept")
    assert status == 200, body
    trunk_hash = link(t.status(), "b2")["lastHash"]

    # b2's link hash goes back one step (what a lost write would leave); the states still agree.
    shell(
        b2,
        "from mccs.federation.models import LinkHash, Neighbour; n = Neighbour.objects.get(name='t'); "
        "n.last_hash = LinkHash.objects.filter(neighbour=n).latest('created_at').previous; n.save()",
    )
    here = link(t.status(), "b2")
    assert here["agree"] is False and here["handshake"] != "ok", here
    assert "hashes differ" in here["agreement"] and "state" not in here["agreement"], here

    result = reconciled(b2, "t") if where == "leaf" else reconciled(t, "b2")
    assert result.returncode == 0, result.stdout + result.stderr
    took = "took t's" if where == "leaf" else "b2 took ours"
    assert f"{took} (the trunk's end of the link is authoritative)" in result.stdout, result.stdout
    statuses = settled(nodes)
    assert link(statuses["b2"], "t")["lastHash"] == trunk_hash
    assert link(statuses["t"], "b2")["agree"] is True
    # Trade goes on over the re-aligned link.
    status, body = bob.pay(f"t/{carol.number}", 1)
    assert status == 200, body
    settled(nodes)


def test_the_link_view_refuses_a_node_that_knows_no_hash_of_the_link(nodes):
    t, b1 = nodes["t"], nodes["b1"]
    alice = member(b1, "alice")
    carol = member(t, "carol")
    status, body = alice.pay(f"t/{carol.number}", 2)
    assert status == 200, body
    headers = {"CC-User": "b1", "CC-Auth": "0" * 32}
    status, answer = http("POST", f"{t.cc}/mccs/link", {"hashes": ["1" * 32, ""]}, headers)
    assert status == 403, answer
    assert answer["errors"][0]["class"] == "HashMismatchFailure"
    real = link(t.status(), "b1")["lastHash"]
    assert real not in str(answer)
    # An earlier hash of the link is enough; b1 is not t's trunk, so it cannot re-align t's hash.
    status, answer = http("POST", f"{t.cc}/mccs/link", {"hashes": [real]}, headers)
    assert status == 200 and answer["data"]["lastHash"] == real, answer
    # Every transaction of the link with its state and amount (earlier tests' ones too: the tree is shared).
    listed = {tid: (state, amount) for tid, state, amount in answer["data"]["transactions"]}
    assert listed[body["data"]["id"]] == ("pending", 1), listed
    status, answer = http("POST", f"{t.cc}/mccs/link/align", {"hashes": [real], "lastHash": "x"}, headers)
    assert status == 403, answer
    assert link(t.status(), "b1")["lastHash"] == real

    # Two different final states are never changed by reconcile: it says so and exits non-zero.
    status, rejected = carol.act(body["data"]["id"], "reject")
    assert status == 200 and rejected["data"]["status"] == "transferCancelled", rejected
    stored = (
        "from mccs.federation.models import FederatedTransfer; "
        f"row = FederatedTransfer.objects.filter(pk='{body['data']['id']}'); "
    )
    [state] = shell(b1, stored + "print(row.get().state)")
    shell(b1, stored + "row.update(state='completed')")
    assert link(t.status(), "b1")["agree"] is False
    result = reconciled(t, "b1")
    assert result.returncode == 1, result.stdout + result.stderr
    assert (
        f"{body['data']['id']}: erased here, completed at b1 → NOT settled: both are final" in result.stdout
    )
    assert "the ends still differ" in result.stdout
    assert carol.transfer(body["data"]["id"])["status"] == "transferCancelled"
    assert t.audit().returncode == 0 and b1.audit().returncode == 0

    # Put b1's row back as it was: the link agrees again (for the tests that share this tree).
    shell(b1, stored + f"row.update(state={state!r})")
    assert link(t.status(), "b1")["agree"] is True


def test_a_relaying_trunk_that_lost_a_completion_is_reconciled_link_by_link(nodes):
    t, b1, b2 = nodes["t"], nodes["b1"], nodes["b2"]
    alice = member(b1, "alice")
    bob = member(b2, "bob")
    status, body = alice.pay(f"t/b2/{bob.number}", 5)
    assert status == 200, body
    transfer_id = body["data"]["id"]

    # bob accepts: the trunk passes it on to b1, which completes it; the trunk dies before saving that, and the
    # changes still owed for it (the trunk's and b2's) are lost.
    t.crash_at("drive.after_answer:completed")
    try:
        bob.act(transfer_id, "accept")
    except (urllib.error.URLError, HTTPException, ConnectionError, TimeoutError):
        pass
    assert t.crashed()
    forget = "from mccs.federation.models import Intent; print(Intent.objects.filter(done_at__isnull=True).delete()[0])"
    assert shell(t, forget) == ["1"]
    assert shell(b2, forget) == ["1"]
    t.start()
    assert link(t.status(), "b1")["agree"] is False
    assert link(t.status(), "b2")["agree"] is True  # pending at both ends, still

    result = reconciled(t, "b1")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{transfer_id}: pending here, completed at b1 → made it completed here\n" in result.stdout, (
        result.stdout
    )
    # Now the trunk is ahead of b2; b2 owns the completion (bob accepted there), so it takes it from its trunk.
    assert link(t.status(), "b2")["agree"] is False
    result = reconciled(b2, "t")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{transfer_id}: pending here, completed at t → made it completed here" in result.stdout, (
        result.stdout
    )

    statuses = settled(nodes)
    assert all(n["agree"] is True for s in statuses.values() for n in s["neighbours"]), statuses
    assert bob.transfer(transfer_id)["status"] == "transferCompleted"
    assert alice.balance() == Decimal(-5) and bob.balance() == Decimal(5)
