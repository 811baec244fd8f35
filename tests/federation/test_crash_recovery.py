"""A node killed with SIGKILL in the middle of a federated transfer, before and after each hop, and restarted: all
nodes then agree on every transfer's state and every balance, both ends of each link hold the same last hash, and
every ledger passes its audit.

The crash is injected (mccs/core/crashpoints.py): the node kills its whole process group, as ``kill -9`` of the
server would, at an exact point — after the proposer relayed but before it recorded the transfer, before a state
change leaves a node, after the neighbour answered but before the change was saved here, after a node saved a change
but before it answered. alice (on b1) pays bob (on b2) through the trunk t; bob then accepts.
"""

from __future__ import annotations

import urllib.error
from decimal import Decimal
from http.client import HTTPException

import pytest

from tests.federation.cluster import Member, settled, wait_until

pytestmark = pytest.mark.slow

AMOUNT = Decimal(3)


@pytest.fixture(scope="module")
def cluster(module_nodes):
    return module_nodes, module_nodes["b1"].member("alice"), module_nodes["b2"].member("bob")


def attempt(call):
    """A member's request to a node that may die while answering: the answer, or None if the connection broke."""
    try:
        return call()
    except (urllib.error.URLError, HTTPException, ConnectionError, TimeoutError):
        return None


def agreed(nodes, alice: Member, bob: Member) -> set | None:
    """The transfers both members see (the same ids, states and amounts), once the tree has settled; else None."""
    mine = {(t["id"], t["status"], t["amount"]) for t in alice.transfers()}
    theirs = {(t["id"], t["status"], t["amount"]) for t in bob.transfers()}
    if mine != theirs or alice.balance() != -bob.balance():
        return None
    try:
        settled(nodes)
    except AssertionError:
        return None
    return mine


def until_agreed(nodes, alice: Member, bob: Member, also=lambda state: True) -> set:
    box = wait_until(lambda: (s := agreed(nodes, alice, bob)) is not None and also(s) and [s], timeout=90)
    return box[0]


def restart(node) -> None:
    assert node.crashed(), f"{node.name} never reached its crash point"
    node.start()


# (node that dies, where; the phase in which it dies)
PROPOSAL_CRASHES = [
    ("b1", "propose.after_relay"),  # the proposer relayed, then died before recording anything
    ("t", "relay.before_answer"),  # the trunk validated and relayed on, then died before answering
    ("b1", "drive.before_send:pending"),  # recorded here, died before telling the trunk it is pending
    ("t", "drive.after_answer:pending"),  # b2 has it pending; the trunk died before saving that
    ("b2", "receive.after_apply:pending"),  # b2 saved it pending, died before answering the trunk
]
ACCEPT_CRASHES = [
    ("b2", "drive.before_send:completed"),  # bob accepted; b2 died before telling the trunk
    ("t", "drive.after_answer:completed"),  # b1 completed; the trunk died before saving it
    ("b1", "receive.after_apply:completed"),  # b1 completed, died before answering the trunk
    ("b2", "drive.after_answer:completed"),  # the trunk completed; b2 died before saving it
    ("t", "receive.after_apply:completed"),  # the trunk completed, died before answering b2
]


@pytest.mark.parametrize(("victim", "point"), PROPOSAL_CRASHES, ids=[f"{v}-{p}" for v, p in PROPOSAL_CRASHES])
def test_crash_during_a_proposal(cluster, victim, point):
    nodes, alice, bob = cluster
    before = {t["id"] for t in alice.transfers()}
    nodes[victim].crash_at(point)
    answer = attempt(lambda: alice.pay(f"t/b2/{bob.number}", int(AMOUNT), description=point))
    restart(nodes[victim])
    state = until_agreed(nodes, alice, bob)
    new = [(i, s, a) for i, s, a in state if i not in before]
    if answer is not None and answer[0] == 200:
        # The member was told it was sent: it exists everywhere, pending until bob answers.
        assert [(i, s) for i, s, _ in new] == [(answer[1]["data"]["id"], "transferInitiated")], (answer, new)
    else:
        # The member saw an error (or the node died under the request): the proposal is nowhere, or it is
        # pending on every node — never on one side only (agreed() compared both members' views).
        assert all(s == "transferInitiated" and a == AMOUNT for _, s, a in new), new
    # Whatever stands can still be accepted, and then it is completed everywhere.
    for transfer_id, _, _ in new:
        status, body = bob.act(transfer_id, "accept")
        assert status == 200, body
    final = until_agreed(nodes, alice, bob)
    assert all(s == "transferCompleted" for i, s, _ in final if i in {n[0] for n in new}), final


@pytest.mark.parametrize(("victim", "point"), ACCEPT_CRASHES, ids=[f"{v}-{p}" for v, p in ACCEPT_CRASHES])
def test_crash_during_an_accept(cluster, victim, point):
    nodes, alice, bob = cluster
    status, body = alice.pay(f"t/b2/{bob.number}", int(AMOUNT), description=point)
    assert status == 200, body
    transfer_id = body["data"]["id"]
    until_agreed(nodes, alice, bob)
    alice_before, bob_before = alice.balance(), bob.balance()

    nodes[victim].crash_at(point)
    answer = attempt(lambda: bob.act(transfer_id, "accept"))
    if answer is not None:
        assert answer[0] == 200, answer
        assert answer[1]["data"]["status"] in ("transferCompleted", "transferInitiated"), answer
    restart(nodes[victim])
    state = until_agreed(nodes, alice, bob, lambda s: (transfer_id, "transferCompleted", AMOUNT) in s)
    # Exactly once: the amount moved one time on every node.
    assert alice.balance() == alice_before - AMOUNT
    assert bob.balance() == bob_before + AMOUNT
    assert (transfer_id, "transferCompleted", AMOUNT) in state
