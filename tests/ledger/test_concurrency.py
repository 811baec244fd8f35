"""Real races: threads hitting the HTTP API at once, on a shared database (SQLite file or PostgreSQL).

Each thread uses its own django.test.Client (so its own database connection) and closes that connection when it
finishes. Nothing here is mocked.
"""

from __future__ import annotations

import random
import threading
from collections import Counter

import pytest
from django.db import connection

from mccs.directory.models import EntityStatus
from mccs.ledger.audit import ledger_audit
from mccs.ledger.models import Account, Transfer, TransferState
from tests.conftest import ApiClient
from tests.ledger.conftest import number

pytestmark = [pytest.mark.slow]

FORBIDDEN_IN_ANSWERS = ("database is locked", "deadlock", "Internal server error")


def run_threads(workers: int, target) -> list:
    """Start ``workers`` threads that wait at a barrier, then run ``target(index)``; returns their results."""
    barrier = threading.Barrier(workers)
    results: list = [None] * workers
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = target(index)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return results


def traders(make_member, count: int, prefix: str):
    return [
        make_member(
            f"{prefix}{i}@example.org", name=f"{prefix.title()} {i}", status=EntityStatus.TRADING_ACCEPTED
        )
        for i in range(count)
    ]


def pay(client_token: str, initiator: str, receiver: str, amount, direction: str = "out"):
    return ApiClient(client_token).post_json(
        "/transfers", {"transfer": direction, "initiator": initiator, "receiver": receiver, "amount": amount}
    )


def test_twenty_simultaneous_accepts_complete_a_transfer_once(transactional_db, make_member):
    alice, bob = traders(make_member, 2, "racer")
    transfer_id = pay(alice.token, number(alice), number(bob), 10).json()["data"]["id"]

    def accept(_):
        response = ApiClient(bob.token).patch_json(f"/transfers/{transfer_id}", {"action": "accept"})
        return response.status_code, response.json()

    results = run_threads(20, accept)
    statuses = Counter(status for status, _ in results)
    assert statuses == {200: 1, 409: 19}, statuses
    losers = {body["errors"][0]["message"] for status, body in results if status == 409}
    assert losers == {"This transfer is already completed, so it cannot be changed any more."}
    assert Account.objects.get(entity=bob.entity).balance == 1000
    assert Account.objects.get(entity=alice.entity).balance == -1000
    assert ledger_audit() == []


def test_accept_racing_cancel_has_exactly_one_outcome(transactional_db, make_member):
    alice, bob = traders(make_member, 2, "duel")
    ids = [pay(alice.token, number(alice), number(bob), 1).json()["data"]["id"] for _ in range(6)]

    def act(index):
        transfer_id = ids[index // 2]
        client, action = (ApiClient(bob.token), "accept") if index % 2 else (ApiClient(alice.token), "cancel")
        return (
            transfer_id,
            action,
            client.patch_json(f"/transfers/{transfer_id}", {"action": action}).status_code,
        )

    results = run_threads(12, act)
    for transfer_id in ids:
        outcomes = {action: status for tid, action, status in results if tid == transfer_id}
        assert sorted(outcomes.values()) == [200, 409], outcomes
        winner = "accept" if outcomes["accept"] == 200 else "cancel"
        expected = TransferState.COMPLETED if winner == "accept" else TransferState.CANCELLED
        assert Transfer.objects.get(pk=transfer_id).state == expected
    completed = Transfer.objects.filter(state=TransferState.COMPLETED).count()
    assert Account.objects.get(entity=bob.entity).balance == completed * 100
    assert ledger_audit() == []


def test_accepts_that_each_fit_but_together_exceed_a_limit_never_break_it(transactional_db, make_member):
    payer, *payees = traders(make_member, 9, "limit")
    # 8 proposals of 100 each fit the payer's 500 limit on their own; together they would reach -800.
    proposals = [
        (payee, pay(payer.token, number(payer), number(payee), 100).json()["data"]["id"]) for payee in payees
    ]

    def accept(index):
        payee, transfer_id = proposals[index]
        response = ApiClient(payee.token).patch_json(f"/transfers/{transfer_id}", {"action": "accept"})
        return response.status_code, response.json()

    results = run_threads(len(proposals), accept)
    statuses = Counter(status for status, _ in results)
    assert statuses == {200: 5, 400: 3}, statuses
    for status, body in results:
        if status == 400:
            assert body["errors"][0]["message"].startswith(
                "The transfer could not be completed and has been cancelled. Paying 100.00 mc would take Limit 0 "
                "below its limit of -500.00 mc"
            )
    account = Account.objects.get(entity=payer.entity)
    assert account.balance == -50_000 >= -account.max_negative_balance
    assert Transfer.objects.filter(state=TransferState.CANCELLED).count() == 3
    assert ledger_audit() == []


def test_sixteen_workers_on_hot_and_cold_accounts_keep_the_ledger_sound(transactional_db, make_member):
    members = traders(make_member, 3, "hot") + traders(make_member, 9, "cold")
    hot, everyone = members[:3], members
    numbers = {m.entity.pk: number(m) for m in members}
    operations_per_worker = 18

    def worker(index: int):
        rng = random.Random(index)
        seen: list[tuple[int, int]] = []
        clients = {m.entity.pk: ApiClient(m.token) for m in everyone}
        for _ in range(operations_per_worker):
            me = rng.choice(hot if rng.random() < 0.6 else everyone)
            client = clients[me.entity.pk]
            roll = rng.random()
            if roll < 0.45:
                other = rng.choice([m for m in (hot if rng.random() < 0.7 else everyone) if m is not me])
                response = client.post_json(
                    "/transfers",
                    {
                        "transfer": rng.choice(["in", "out"]),
                        "initiator": numbers[me.entity.pk],
                        "receiver": numbers[other.entity.pk],
                        "amount": rng.choice([1, 5, 20, 80, 150]),
                        "description": f"worker {index}",
                    },
                )
            else:
                listing = client.get_json(
                    f"/transfers?querying_entity_id={me.entity.pk}&status=initiated&page_size=20"
                )
                assert listing.status_code == 200, listing.content.decode()
                pending = listing.json()["data"]
                if not pending:
                    continue
                transfer = rng.choice(pending)
                action = "cancel" if transfer["isInitiator"] else rng.choice(["accept", "accept", "reject"])
                response = client.patch_json(
                    f"/transfers/{transfer['id']}",
                    {"action": action},
                    HTTP_IDEMPOTENCY_KEY=f"w{index}-{len(seen)}",
                )
            body = response.content.decode()
            assert response.status_code < 500, body
            assert not any(word in body for word in FORBIDDEN_IN_ANSWERS), body
            seen.append((response.status_code, len(body)))
        return seen

    results = run_threads(16, worker)
    # Only writes (proposals and actions) are recorded: some of them must have succeeded, none may have failed.
    codes = Counter(code for seen in results for code, _ in seen)
    assert codes[200] > 0 and not any(code >= 500 for code in codes), codes
    assert Transfer.objects.filter(state=TransferState.COMPLETED).exists()
    assert ledger_audit() == []
    for account in Account.objects.all():
        assert -account.max_negative_balance <= account.balance <= account.max_positive_balance
