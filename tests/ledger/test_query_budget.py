"""How many SQL statements proposing and accepting a transfer through the API make (issue 13: fewer round trips),
and that their notification emails are rendered by the worker, not inside the request (ADR 0090).

Not a timing: a count. Each statement is a round trip to the database, and the accept path's speed under load is
mostly the number of them. The budgets are today's counts under the test transaction (savepoints stand where
production has BEGIN/COMMIT); a change that adds a query fails here and must say why it needs it.
"""

from __future__ import annotations

import os

from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mccs.directory.models import Entity
from mccs.notifications.models import OutboxEmail
from tests.conftest import deliver_outbox
from tests.ledger.conftest import act, number

# propose: token, savepoint, both accounts with their entities (balances, limits and statuses as they are now) and
# whether the actor belongs to the initiator's (one query, inside the transaction), transfer, audit entry, the
# recipients' addresses and languages, outbox email, release. The answer needs no federation-neighbour check: a
# transfer proposed through the ledger is known to be local (ADR 0165).
PROPOSE_BUDGET = 8
# accept: token, the transfer with its federated link and which of its accounts the actor acts for (one query: a
# transfer that crosses nodes is refused there and routed to the federation), savepoint, lock both accounts
# reading them and their entities (the only time they are loaded), compare-and-set (it also tells whether the
# transfer was still pending), audit entry, both parties' addresses and languages in one query, both outbox emails
# in one INSERT, release. The answer needs no federation-neighbour check: the transfer was read with its link.
ACCEPT_BUDGET = 9


def _dump(label, queries):
    if os.environ.get("MCCS_SHOW_QUERIES"):
        print(f"\n--- {label}: {len(queries)} queries")
        for q in queries:
            print("  ", q["sql"][:200])


def _propose(alice, bob, amount, initiator, receiver):
    body = {"transfer": "out", "initiator": initiator, "receiver": receiver, "amount": amount}
    response = alice.api.post_json("/transfers", {**body, "description": "Bread"})
    assert response.status_code == 200, response.content
    return response.json()["data"]


def test_propose_and_accept_stay_within_their_query_budget(alice, bob):
    initiator, receiver = number(alice), number(bob)
    act(bob, _propose(alice, bob, 1, initiator, receiver)["id"], "accept")  # warm-up: first-use lookups
    with CaptureQueriesContext(connection) as proposing:
        created = _propose(alice, bob, 2.5, initiator, receiver)
    with CaptureQueriesContext(connection) as accepting:
        act(bob, created["id"], "accept")
    _dump("propose", proposing.captured_queries)
    _dump("accept", accepting.captured_queries)
    assert len(proposing.captured_queries) <= PROPOSE_BUDGET
    assert len(accepting.captured_queries) <= ACCEPT_BUDGET


def test_transfer_emails_are_rendered_by_the_worker_with_what_was_true_when_queued(alice, bob):
    initiator, receiver = number(alice), number(bob)
    created = _propose(alice, bob, 3, initiator, receiver)
    act(bob, created["id"], "accept")
    queued = list(OutboxEmail.objects.filter(dedupe_key__startswith=f"transfer:{created['id']}:completed:"))
    assert len(queued) == 2
    assert all(e.template == "transfer_completed" and e.body == "" and e.subject == "" for e in queued)
    # A rename after the transfer does not rewrite what the email says about it.
    Entity.objects.filter(pk=bob.entity.pk).update(name="Renamed Farm")
    mail.outbox.clear()
    deliver_outbox()
    sent = {m.to[0]: m for m in mail.outbox if m.subject.startswith("Transfer completed")}
    assert sent["alice@example.org"].subject == "Transfer completed: you paid Bob's Farm 3.00 mc"
    assert "from you to Bob's Farm (account " + receiver + ") is complete." in sent["alice@example.org"].body
    assert "Hello Bob's Farm," in sent["bob@example.org"].body
    stored = OutboxEmail.objects.get(pk=queued[0].pk)
    assert (
        stored.sent_at is not None
        and stored.subject.startswith("Transfer completed")
        and "Hello" in stored.body
    )
