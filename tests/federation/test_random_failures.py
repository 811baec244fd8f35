"""Random cross-node operations with random node failures, and the invariants of issue 10 item 4 after every step.

A trunk ``t`` with branches ``b1`` and ``b2``, each a real `mccs serve` with its own database, one member on each.
Hypothesis draws a sequence of steps: payments and payment requests between any two members (across the tree or on
one node), accepts, rejects and cancels — some of them while a node is killed with SIGKILL at a random crash point
(mccs/core/crashpoints.py) or is simply down — and restarts of the dead node. After every step, once every node
answers again and the tree has settled:

- the two members of every transfer see it with the same id, state and amount;
- each member's balance is the sum of the completed transfers they see (no credit appears or vanishes);
- what a member was told holds: a proposal answered 200 exists on both sides, an accept answered
  "transferCompleted" is completed on both sides, an answer that refused (4xx) left nothing behind;
- both ends of every link hold the same last hash and mirror each other's balance and pending amount, and every
  node's ledger passes `mccs ledger-audit` (zero-sum, postings match balances).

``MCCS_FEDERATION_PROPERTY_EXAMPLES`` and ``MCCS_FEDERATION_PROPERTY_STEPS`` explore further by hand.
"""

from __future__ import annotations

import collections
import itertools
import os
import urllib.error
from decimal import Decimal
from http.client import HTTPException

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.federation.cluster import Member, settled, wait_until

pytestmark = pytest.mark.slow

EXAMPLES = int(os.environ.get("MCCS_FEDERATION_PROPERTY_EXAMPLES", "1"))  # the CI budget; raise it to explore
STEPS = int(os.environ.get("MCCS_FEDERATION_PROPERTY_STEPS", "10"))  # in multiples of 10
NODES = ("t", "b1", "b2")
# Where a node may die (mccs/core/crashpoints.py), by its part in a transfer between the two branches: "src" is the
# proposer's node, "actor" the node of the member who answers, "other" the other member's, "t" the trunk between.
PROPOSAL_CRASHES = [
    ("src", "propose.after_relay"),  # relayed, died before recording anything
    ("t", "relay.before_answer"),  # the trunk relayed on, died before answering
    ("src", "drive.before_send:pending"),  # recorded, died before telling the trunk it is pending
    ("t", "drive.after_answer:pending"),  # the far branch has it pending; the trunk died before saving that
    ("dst", "receive.after_apply:pending"),  # the far branch saved it, died before answering
]
ANSWER_CRASHES = [  # the state is the answer's: completed (accept) or erased (reject, cancel)
    ("actor", "drive.before_send:completed"),  # answered; the actor's node died before telling the trunk
    ("t", "drive.after_answer:completed"),  # the other branch has it; the trunk died before saving that
    ("other", "receive.after_apply:completed"),  # the other branch saved it, died before answering
    ("actor", "drive.after_answer:completed"),  # the trunk has it; the actor's node died before saving that
    ("t", "receive.after_apply:completed"),  # the trunk saved it, died before answering
]
# A whole amount (no conversion rate here), or one over every limit, which must be refused with nothing kept.
AMOUNTS = st.sampled_from([1, 2, 3, 5, 2000])
PAIRS = st.sampled_from(
    [(a, b) for a in NODES for b in NODES if a != b]
)  # (payer's node, other party's node)


@pytest.fixture(scope="module")
def cluster(module_nodes):
    return module_nodes, {name: module_nodes[name].member(f"m{name}") for name in NODES}


def attempt(call):
    """The answer of a node that may die while answering, or None if the connection broke."""
    try:
        return call()
    except (urllib.error.URLError, HTTPException, ConnectionError, TimeoutError, OSError):
        return None


def path_to(member: Member, seen_from: str) -> str:
    """How a member on node ``seen_from`` names ``member``: its account number at home, else its tree path."""
    home = member.node.name
    if home == seen_from:
        return member.number
    return f"t/{member.number}" if home == "t" else f"t/{home}/{member.number}"


def clear_crash(node) -> None:
    """Disarm a crash point the operation did not reach; restart the node if it died at one meanwhile."""
    (node.dir / "crashpoints").write_text("")
    if node.process is not None and node.process.poll() is not None:
        node.process = None
    if node.process is None:
        node.start()


def links_disagree(nodes) -> str:
    """Item 4 through the admin API, after every step: each ledger sums to zero (every account, the neighbours'
    too), and both ends of each link hold the same last hash and mirror balance and pending.
    Returns what disagrees, or "" when everything agrees."""
    federation = {}
    for name, node in nodes.items():
        status, body = node.admin("GET", "/federation?handshake=true")
        assert status == 200, body
        federation[name] = {n["name"]: n for n in body["data"]["neighbours"]}
        status, body = node.admin("GET", "/entities?page_size=100")
        assert status == 200, body
        assert body["meta"]["totalPages"] == 1, body["meta"]
        # every account is an entity's, the neighbours' accounts too: the balances of all of them sum to zero
        total = sum(e["balance"] for e in body["data"])
        if total != 0:
            return f"{name}'s ledger does not sum to zero: {total}"
    for branch in ("b1", "b2"):
        up, down = federation[branch]["t"], federation["t"][branch]
        if not (up["handshake"] == down["handshake"] == "ok" and up["lastHash"] == down["lastHash"]):
            return f"link t-{branch}: {up} / {down}"
        if up["balance"] != -down["balance"] or up["pending"] != -down["pending"]:
            return f"link t-{branch} does not mirror: {up} / {down}"
    return ""


def _settled_or_none(nodes):
    try:
        return settled(nodes)
    except AssertionError:
        return None


def test_random_operations_and_failures_keep_the_tree_consistent(cluster):
    nodes, members = cluster
    done: collections.Counter = collections.Counter()  # what the steps did, over every example
    serial = itertools.count(1)  # one description per proposal, over every example (the nodes keep them all)

    class Tree:
        def __init__(self):
            # transfer id -> what its members were told: "exists" (proposed, 200) and "completed" (accept, 200)
            self.promised: dict[str, set[str]] = {}
            self.refused: list[tuple[str, str]] = []  # (member name, description) of proposals answered 4xx
            self.why = ""  # what did not agree yet, for the failure message
            self.history: list[str] = []  # the steps so far and what they were answered

        # --- steps -------------------------------------------------------------------------------------------
        def _propose(self, src: str, dst: str, amount: int, direction: str):
            description = f"step {next(serial)}"
            sender = members[src]
            answer = attempt(
                lambda: sender.pay(
                    path_to(members[dst], src), amount, direction=direction, description=description
                )
            )
            self.history.append(f"  {src} -> {dst} {amount} {direction} ({description}): {answer}")
            if answer is not None:
                status, body = answer
                assert status < 500, answer
                if status == 200:
                    self.promised.setdefault(body["data"]["id"], set()).add("exists")
                    done["proposed"] += 1
                else:
                    self.refused.append((src, description))
                    done["refused"] += 1
            else:
                done["connection broke"] += 1
            return answer

        def _pending_for(self, action: str, index: int, branches_only: bool = False):
            """(member name, transfer id) of a pending transfer this member may ``action``; None if there is none.
            ``branches_only``: between the two branches, so that the trunk is on the way."""
            pending = []
            for name, member in members.items():
                for t in member.transfers():
                    if t["status"] != "transferInitiated" or (action == "cancel") != t["isInitiator"]:
                        continue
                    # the other party of a transfer between the branches is "t/b1/…" or "t/b2/…"
                    if branches_only and (name == "t" or t["accountNumber"].count("/") != 2):
                        continue
                    pending.append((name, t["id"]))
            return sorted(pending)[index % len(pending)] if pending else None

        def _answer(self, index: int, action: str, branches_only: bool = False):
            """The right party answers a transfer that is pending for it; nothing if none is."""
            chosen = self._pending_for(action, index, branches_only)
            if chosen is None:
                return None
            name, transfer_id = chosen
            answer = attempt(lambda: members[name].act(transfer_id, action))
            self.history.append(f"  {name} {action}s {transfer_id}: {answer}")
            if answer is not None:
                status, body = answer
                assert status < 500, answer
                done[f"{action} {status}"] += 1
                if status == 200 and body["data"]["status"] == "transferCompleted":
                    self.promised.setdefault(transfer_id, set()).add("completed")
            return answer

        def propose(self, pair, amount, direction):
            self._propose(*pair, amount, direction)

        def answer(self, index, action):
            self._answer(index, action)

        def propose_while_a_node_dies(self, src, crash, amount, direction):
            dst = "b2" if src == "b1" else "b1"  # across the trunk: every node is on the way
            role, point = crash
            victim = {"src": src, "dst": dst, "t": "t"}[role]
            nodes[victim].crash_at(point)
            self._propose(src, dst, amount, direction)
            died = nodes[victim].crashed(timeout=5)
            done[f"died at {point}" if died else "crash point not reached"] += 1
            self.history.append(f"  {victim} {'died' if died else 'did not reach'} {point}")
            clear_crash(nodes[victim])

        def answer_while_a_node_dies(self, index, action, crash):
            chosen = self._pending_for(action, index, branches_only=True)
            if chosen is None:
                return
            actor = chosen[0]
            role, point = crash
            # the state the answer sends: completed for an accept, erased for a reject or a cancel
            point = point.rsplit(":", 1)[0] + (":completed" if action == "accept" else ":erased")
            victim = {"actor": actor, "other": "b2" if actor == "b1" else "b1", "t": "t"}[role]
            nodes[victim].crash_at(point)
            self._answer(index, action, branches_only=True)
            died = nodes[victim].crashed(timeout=5)
            done[f"died at {point}" if died else "crash point not reached"] += 1
            self.history.append(f"  {victim} {'died' if died else 'did not reach'} {point}")
            clear_crash(nodes[victim])

        def propose_while_a_node_is_down(self, pair, down, amount):
            src, dst = pair
            if down == src:  # the member's own node is down: the member cannot even ask; another node is
                down = dst
            nodes[down].kill9()
            done["killed"] += 1
            try:
                answer = self._propose(src, dst, amount, "out")
                # A node on the way is down: refused with a message, or accepted and queued; never a 5xx.
                assert answer is not None, "a node that is up broke the connection"
            finally:
                nodes[down].start()

        # --- invariants --------------------------------------------------------------------------------------
        def the_tree_agrees(self):
            try:
                views = wait_until(self._agreed, timeout=90)
            except AssertionError:
                steps = "\n".join(self.history)
                raise AssertionError(
                    f"the tree did not settle within 90 s: {self.why}\nsteps:\n{steps}"
                ) from None
            for transfer_id, promises in self.promised.items():
                seen = {state for (tid, state, _amount) in views if tid == transfer_id}
                assert seen, (transfer_id, "promised but nowhere")
                if "completed" in promises:
                    assert seen == {"transferCompleted"}, (transfer_id, seen)
            for name, description in self.refused:
                assert not any(t["description"] == description for t in members[name].transfers()), (
                    description
                )

        def _agreed(self):
            """Every transfer seen alike by both its members, and balances = completed transfers; else None."""
            return attempt(self._views_if_agreed)

        def _views_if_agreed(self):
            views: dict[str, dict[str, tuple[str, Decimal]]] = {}
            for name, member in members.items():
                completed = Decimal(0)
                for t in member.transfers():
                    views.setdefault(t["id"], {})[name] = (t["status"], t["amount"], t["description"])
                    if t["status"] == "transferCompleted":
                        completed += t["amount"] if t["transfer"] == "in" else -t["amount"]
                balance = member.balance()
                if balance != completed:
                    self.why = f"{name}'s balance {balance} is not its completed transfers' {completed}"
                    return None
            for transfer_id, seen in views.items():
                if len(seen) != 2 or len(set(seen.values())) != 1:
                    self.why = f"members see transfer {transfer_id} differently: {seen}"
                    return None
            disagreement = links_disagree(nodes)
            if disagreement:
                self.why = disagreement
                return None
            return [(tid, *next(iter(seen.values()))[:2]) for tid, seen in views.items()] or [("", "", 0)]

        def teardown(self):
            # Once per sequence, the node's own checks as well: `federation status` and `mccs ledger-audit`.
            wait_until(lambda: attempt(lambda: _settled_or_none(nodes)), timeout=90)

    directions = st.sampled_from(["out", "in"])
    actions = st.sampled_from(["accept", "accept", "reject", "cancel"])
    indexes = st.integers(0, 50)
    arguments = {
        "propose": st.tuples(PAIRS, AMOUNTS, directions),
        "answer": st.tuples(indexes, actions),
        "propose_while_a_node_dies": st.tuples(
            st.sampled_from(["b1", "b2"]), st.sampled_from(PROPOSAL_CRASHES), AMOUNTS, directions
        ),
        "answer_while_a_node_dies": st.tuples(indexes, actions, st.sampled_from(ANSWER_CRASHES)),
        "propose_while_a_node_is_down": st.tuples(PAIRS, st.sampled_from(NODES), AMOUNTS),
    }
    # Every sequence has each kind of step (in an order Hypothesis draws), so that none is all plain proposals.
    kinds = [kind for kind in arguments for _ in range(2)] * max(1, STEPS // (2 * len(arguments)))

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,  # the same sequences in every CI run; set the variables above to explore
        suppress_health_check=list(HealthCheck),
        database=None,
        phases=[Phase.generate],  # no shrinking: the nodes keep their state, a shorter replay proves nothing
    )
    @given(data=st.data())
    def sequence(data):
        tree = Tree()
        try:
            tree.the_tree_agrees()
            for kind in data.draw(st.permutations(kinds), label="order"):
                args = data.draw(arguments[kind], label=kind)
                tree.history.append(f"{kind}{args}")
                getattr(tree, kind)(*args)
                done[kind] += 1
                tree.the_tree_agrees()  # after every step
            tree.teardown()
        except Exception as exc:
            # Hypothesis replays a failure to confirm it, on nodes whose state has moved on: say what failed first.
            steps = "\n".join(tree.history)
            print(f"FIRST FAILURE: {exc!r}\nsteps:\n{steps}")
            raise

    sequence()
    print(dict(done))  # pytest -s shows what the random steps did
    assert done["proposed"] > 0, done  # the run moved credit, not only refusals and no-ops
    assert sum(count for key, count in done.items() if key.startswith("died at")) > 0, done  # and nodes died
