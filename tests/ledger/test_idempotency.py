"""Idempotency-Key on POST /transfers and PATCH /transfers/{id}: a retry repeats the answer, never the effect."""

from __future__ import annotations

from mccs.ledger.models import IdempotencyRecord, Posting, Transfer
from tests.ledger.conftest import account, act, propose


def test_a_retried_proposal_gives_the_same_answer_and_one_transfer(alice, bob):
    first = propose(alice, bob, 10, key="pay-bob-1")
    again = propose(alice, bob, 10, key="pay-bob-1")
    assert again.content == first.content
    assert Transfer.objects.count() == 1
    # the key is per user: Bob may use the same string for his own request
    propose(bob, alice, 2, key="pay-bob-1")
    assert Transfer.objects.count() == 2


def test_the_same_key_with_a_different_body_is_refused(alice, bob):
    propose(alice, bob, 10, key="k1")
    response = propose(alice, bob, 11, key="k1", expect=409)
    assert "already used for a different request" in response.json()["errors"][0]["message"]
    assert Transfer.objects.count() == 1
    transfer_id = Transfer.objects.get().pk
    # ...and a key used for a proposal cannot be reused to accept
    act(bob, transfer_id, "accept", key="k2")
    response = act(bob, transfer_id, "reject", key="k2", expect=409)
    assert "different request" in response.json()["errors"][0]["message"]


def test_a_retried_accept_moves_credit_once(alice, bob):
    transfer_id = propose(alice, bob, 10).json()["data"]["id"]
    first = act(bob, transfer_id, "accept", key="accept-1")
    again = act(bob, transfer_id, "accept", key="accept-1")
    assert again.content == first.content
    assert account(bob).balance == 1000 and Posting.objects.count() == 2
    # without the key, a second accept is a conflict
    act(bob, transfer_id, "accept", expect=409)


def test_a_retried_accept_that_hit_a_limit_repeats_the_refusal(alice, bob, carol):
    one = propose(alice, bob, 400).json()["data"]["id"]
    two = propose(alice, carol, 400).json()["data"]["id"]
    act(bob, one, "accept")
    first = act(carol, two, "accept", key="c-accept", expect=400)
    again = act(carol, two, "accept", key="c-accept", expect=400)
    assert again.json() == first.json()
    assert Transfer.objects.get(pk=two).state == "cancelled"


def test_a_failed_request_records_nothing_so_a_fixed_retry_works(alice, bob):
    propose(alice, bob, 10_000, key="big", expect=400)
    assert not IdempotencyRecord.objects.exists()


def test_an_overlong_key_is_refused(alice, bob):
    response = propose(alice, bob, 1, key="x" * 256, expect=400)
    assert "Idempotency-Key" in response.json()["errors"][0]["message"]


def test_records_are_pruned_by_the_worker_after_the_documented_days(alice, bob, monkeypatch, settings):
    """ADR 0012 kept records for ever; the worker's hourly job deletes them after MCCS_IDEMPOTENCY_KEY_DAYS."""
    from datetime import timedelta

    from mccs.core.clock import now as real_now
    from mccs.notifications.worker import Worker

    assert settings.MCCS_IDEMPOTENCY_KEY_DAYS == 7  # the documented default
    settings.MCCS_PERIODIC_TASKS = [
        task for task in settings.MCCS_PERIODIC_TASKS if task[0].endswith("idempotency_prune")
    ]
    assert settings.MCCS_PERIODIC_TASKS, "the worker does not run idempotency_prune"
    propose(alice, bob, 10, key="old-key")
    monkeypatch.setattr("mccs.ledger.idempotency.now", lambda: real_now() + timedelta(days=6))
    propose(alice, bob, 3, key="young-key")
    Worker().run_periodic()
    assert IdempotencyRecord.objects.count() == 2  # six days: both kept, a retry still repeats the answer

    monkeypatch.setattr("mccs.ledger.idempotency.now", lambda: real_now() + timedelta(days=7, minutes=1))
    Worker().run_periodic()
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["young-key"]
    # After that, the old key is a new request.
    propose(alice, bob, 10, key="old-key")
    assert Transfer.objects.count() == 3
