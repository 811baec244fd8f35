"""Hypothesis drives the ledger services through random propose / accept / reject / cancel / limit changes /
idempotent replays, keeps a model of what must be true, and checks every invariant after every step."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from mccs.core.amount import Amount
from mccs.core.errors import InvalidRequest, PermissionDenied
from mccs.directory.models import EntityStatus
from mccs.ledger import services
from mccs.ledger.audit import ledger_audit
from mccs.ledger.errors import IdempotencyKeyReused, LimitExceeded, NotAParty, TransferNotPending
from mccs.ledger.idempotency import Idempotency
from mccs.ledger.models import Account, Transfer, TransferState

pytestmark = [pytest.mark.slow]

LIMITS = st.sampled_from([0, 1_000, 20_000, 50_000, 80_000])
# Everyday amounts, and amounts a hundredth either side of every limit (where off-by-one errors live).
AMOUNTS = st.sampled_from(
    sorted(
        {1, 99, 2_500, 10_000, 30_000, 60_000}
        | {limit + d for limit in (1_000, 20_000, 50_000, 80_000) for d in (-1, 0, 1)}
    )
)
TRADERS = 6
keys = itertools.count()


def test_ledger_state_machine(make_member, admin):
    class Ledger(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            # Fresh accounts for every example: Hypothesis replays and shrinks examples, and they must not see the
            # balances an earlier example left behind (that made rule preconditions, and so the test, flaky).
            self.members = [
                make_member(name=f"Trader {i}", status=EntityStatus.TRADING_ACCEPTED) for i in range(TRADERS)
            ]
            self.accounts = [Account.objects.get(entity=m.entity) for m in self.members]
            self.balances = {a.pk: a.balance for a in self.accounts}
            self.limits = {a.pk: (a.max_positive_balance, a.max_negative_balance) for a in self.accounts}
            self.pending: dict = {}  # transfer id → (payer pk, payee pk, initiator index, amount)
            self.finished: list = []
            self.last: tuple | None = None  # (callable, expected outcome) of the last keyed operation

        def breach(self, payer, payee, amount) -> bool:
            return (
                self.balances[payer] - amount < -self.limits[payer][1]
                or self.balances[payee] + amount > self.limits[payee][0]
            )

        @rule(
            i=st.integers(0, TRADERS - 1),
            j=st.integers(0, TRADERS - 1),
            direction=st.sampled_from(["in", "out"]),
            amount=AMOUNTS,
            keyed=st.booleans(),
        )
        def propose(self, i, j, direction, amount, keyed):
            own, other = self.accounts[i], self.accounts[j]
            idem = Idempotency(user=self.members[i].user, key=f"k{next(keys)}") if keyed else None

            def call():
                return services.transfer_propose(
                    actor=self.members[i].user,
                    initiator=own.number,
                    receiver=other.number,
                    direction=direction,
                    amount=Amount(amount),
                    description="prop",
                    idempotency=idem,
                )

            payer, payee = (own.pk, other.pk) if direction == "out" else (other.pk, own.pk)
            if i == j:
                with pytest.raises(InvalidRequest, match="your own account"):
                    call()
                return
            if self.breach(payer, payee, amount):
                with pytest.raises(LimitExceeded):
                    call()
                return
            transfer = call()
            assert transfer.state == TransferState.PENDING
            self.pending[transfer.pk] = (payer, payee, i, amount)
            if idem:
                self.last = (call, transfer.pk, idem)

        def _pick(self, index):
            ids = sorted(self.pending, key=str)
            return ids[index % len(ids)]

        def _receiver(self, transfer_id):
            payer, payee, initiator, _ = self.pending[transfer_id]
            initiator_pk = self.accounts[initiator].pk
            receiver_pk = payee if initiator_pk == payer else payer
            return next(k for k, a in enumerate(self.accounts) if a.pk == receiver_pk)

        @precondition(lambda self: self.pending)
        @rule(index=st.integers(0, 100), keyed=st.booleans())
        def accept(self, index, keyed):
            transfer_id = self._pick(index)
            payer, payee, initiator, amount = self.pending[transfer_id]
            with pytest.raises(NotAParty):
                services.transfer_accept(actor=self.members[initiator].user, transfer_id=transfer_id)
            receiver = self._receiver(transfer_id)
            idem = Idempotency(user=self.members[receiver].user, key=f"k{next(keys)}") if keyed else None

            def call():
                return services.transfer_accept(
                    actor=self.members[receiver].user, transfer_id=transfer_id, idempotency=idem
                )

            del self.pending[transfer_id]
            self.finished.append(transfer_id)
            if self.breach(payer, payee, amount):
                with pytest.raises(LimitExceeded, match="has been cancelled"):
                    call()
                assert Transfer.objects.get(pk=transfer_id).state == TransferState.CANCELLED
                if idem:
                    with pytest.raises(LimitExceeded, match="has been cancelled"):
                        call()
                return
            assert call().state == TransferState.COMPLETED
            self.balances[payer] -= amount
            self.balances[payee] += amount
            if idem:
                self.last = (call, transfer_id, idem)

        @precondition(lambda self: self.pending)
        @rule(
            index=st.integers(0, 100), by_initiator=st.booleans(), reason=st.sampled_from(["", "no thanks"])
        )
        def close(self, index, by_initiator, reason):
            transfer_id = self._pick(index)
            initiator = self.pending[transfer_id][2]
            receiver = self._receiver(transfer_id)
            if by_initiator:
                with pytest.raises(NotAParty):
                    services.transfer_cancel(actor=self.members[receiver].user, transfer_id=transfer_id)
                result = services.transfer_cancel(
                    actor=self.members[initiator].user, transfer_id=transfer_id, reason=reason
                )
            else:
                result = services.transfer_reject(
                    actor=self.members[receiver].user, transfer_id=transfer_id, reason=reason
                )
            assert (result.state, result.cancellation_reason) == (TransferState.CANCELLED, reason)
            del self.pending[transfer_id]
            self.finished.append(transfer_id)

        @precondition(lambda self: self.finished)
        @rule(index=st.integers(0, 100), action=st.sampled_from(["accept", "reject", "cancel"]))
        def act_on_finished(self, index, action):
            transfer = Transfer.objects.select_related("payer", "payee").get(
                pk=self.finished[index % len(self.finished)]
            )
            actor_account = transfer.initiator if action == "cancel" else transfer.receiver
            actor = next(
                m.user for m, a in zip(self.members, self.accounts, strict=True) if a.pk == actor_account.pk
            )
            func = {
                "accept": services.transfer_accept,
                "reject": services.transfer_reject,
                "cancel": services.transfer_cancel,
            }[action]
            with pytest.raises(TransferNotPending):
                func(actor=actor, transfer_id=transfer.pk)

        @rule(i=st.integers(0, TRADERS - 1), positive=LIMITS, negative=LIMITS)
        def change_limits(self, i, positive, negative):
            account = self.accounts[i]
            balance = self.balances[account.pk]
            with pytest.raises(PermissionDenied):
                services.account_limits_set(
                    actor=self.members[i].user,
                    entity=self.members[i].entity,
                    max_positive_balance=Amount(positive),
                )
            if balance > positive or -balance > negative:
                with pytest.raises(InvalidRequest, match="the balance is already"):
                    services.account_limits_set(
                        actor=admin,
                        entity=self.members[i].entity,
                        max_positive_balance=Amount(positive),
                        max_negative_balance=Amount(negative),
                    )
                return
            services.account_limits_set(
                actor=admin,
                entity=self.members[i].entity,
                max_positive_balance=Amount(positive),
                max_negative_balance=Amount(negative),
            )
            self.limits[account.pk] = (positive, negative)

        @precondition(lambda self: self.last is not None)
        @rule(different=st.booleans())
        def replay(self, different):
            call, transfer_id, idem = self.last
            response = idem.response
            before = (Transfer.objects.count(), sorted(Account.objects.values_list("balance", flat=True)))
            if different:
                # the same key for another request is refused, with no effect
                with pytest.raises(IdempotencyKeyReused):
                    services.transfer_propose(
                        actor=idem.user,
                        initiator=self._own_number(idem.user),
                        receiver=self._other_number(idem.user),
                        direction="in",
                        amount=Amount(7_777),
                        description="other",
                        idempotency=idem,
                    )
            else:
                assert call().pk == transfer_id
                assert idem.replayed and idem.response == response
            assert (
                Transfer.objects.count(),
                sorted(Account.objects.values_list("balance", flat=True)),
            ) == before

        def _own_number(self, user):
            return next(a.number for m, a in zip(self.members, self.accounts, strict=True) if m.user == user)

        def _other_number(self, user):
            return next(a.number for m, a in zip(self.members, self.accounts, strict=True) if m.user != user)

        @invariant()
        def ledger_is_sound(self):
            assert ledger_audit() == []
            actual = dict(Account.objects.filter(pk__in=self.balances).values_list("pk", "balance"))
            assert actual == self.balances
            states = dict(Transfer.objects.filter(pk__in=list(self.pending)).values_list("pk", "state"))
            assert set(states.values()) <= {TransferState.PENDING} and len(states) == len(self.pending)

    run_state_machine_as_test(
        Ledger,
        settings=settings(
            max_examples=15,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
