"""A transfer that crosses to another node changes state only through the federation: the web pay form sends a
Credit Commons path across the tree, the web and the API answer federated transfers through the federation, and the
ledger refuses to complete or cancel one on this node alone (which would leave the nodes disagreeing)."""

from __future__ import annotations

import uuid

import pytest

from mccs.core.clock import now
from mccs.directory.models import EntityStatus
from mccs.federation import services as federation
from mccs.federation.models import CCState, FederatedTransfer
from mccs.ledger.models import Transfer, TransferKind, TransferState
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db
TRADING = EntityStatus.TRADING_ACCEPTED


@pytest.fixture
def trunk(db):
    federation.federation_init(name="here")
    neighbour, handshake = federation.trunk_join(name="t", url="http://127.0.0.1:9/cc")
    assert handshake.startswith("unreachable")  # nobody listens on port 9: the trunk is down
    return neighbour


def _federated_pending(member, neighbour) -> Transfer:
    """A payment from ``neighbour``'s side to ``member``, pending here as the federation leaves one."""
    account = member.entity.account
    key = uuid.uuid4()
    entry = {"payer": "t/b2/4000000000000002", "payee": account.number, "cents": 500, "description": "x"}
    ft = FederatedTransfer.objects.create(
        uuid=key,
        workflow="credit",
        state=CCState.PENDING,
        version=1,
        payer=neighbour.account,
        payee=account,
        amount=500,
        entries=[entry],
        upstream=neighbour,
        written=now(),
    )
    transfer = Transfer.objects.create(
        id=key,
        kind=TransferKind.TRANSFER,
        payer=neighbour.account,
        payee=account,
        initiator=neighbour.account,
        amount=500,
        state=TransferState.PENDING,
        created_at=now(),
    )
    FederatedTransfer.objects.filter(pk=ft.pk).update(transfer=transfer)
    return transfer


def test_the_ledger_refuses_to_complete_a_federated_transfer_alone(make_member, trunk):
    from mccs.ledger import services as ledger

    bob = make_member(status=TRADING)
    transfer = _federated_pending(bob, trunk)
    with pytest.raises(Exception, match="crosses to another node"):
        ledger.transfer_accept(actor=bob.user, transfer_id=transfer.pk)
    with pytest.raises(Exception, match="crosses to another node"):
        ledger.transfer_reject(actor=bob.user, transfer_id=transfer.pk)
    transfer.refresh_from_db()
    assert transfer.state == TransferState.PENDING
    bob.entity.account.refresh_from_db()
    assert bob.entity.account.balance == 0


def test_accepting_on_the_web_goes_through_the_federation(client, make_member, trunk):
    bob = make_member(status=TRADING)
    transfer = _federated_pending(bob, trunk)
    client.login(username=bob.email, password=PASSWORD)
    response = client.post(f"/transfers/{transfer.pk}/act", {"action": "accept"}, follow=True)
    assert response.status_code == 200
    # The trunk is down: the accept is queued for it, and nothing moved here yet.
    assert "has not confirmed yet" in response.content.decode()
    transfer.refresh_from_db()
    assert transfer.state == TransferState.PENDING
    assert trunk.intents.filter(state=CCState.COMPLETED, done_at__isnull=True).count() == 1
    bob.entity.account.refresh_from_db()
    assert bob.entity.account.balance == 0


def test_the_pay_form_sends_a_path_across_the_tree(client, make_member, trunk):
    alice = make_member(status=TRADING)
    client.login(username=alice.email, password=PASSWORD)
    response = client.post(
        "/transfers/new",
        {"direction": "out", "counterparty": "t/b2/4000000000000002", "amount": "10,50"},
    )
    # It went to the trunk (which is down), not to a search of local names; nothing was sent or kept.
    assert response.status_code == 200
    assert "Node t cannot be reached just now" in response.content.decode()
    assert not Transfer.objects.exists() and not FederatedTransfer.objects.exists()


def test_a_name_with_a_slash_is_still_a_name(client, make_member, trunk):
    alice = make_member(status=TRADING)
    make_member(status=TRADING, name="Bread/Cakes Ltd")
    client.login(username=alice.email, password=PASSWORD)
    response = client.post(
        "/transfers/new", {"direction": "out", "counterparty": "Bread/Cakes Ltd", "amount": "2"}
    )
    assert response.status_code == 302
    assert Transfer.objects.get().payee.entity.name == "Bread/Cakes Ltd"


def test_the_dashboard_and_statement_name_the_remote_member_by_path(client, make_member, trunk):
    """A pending federated transfer names the remote account (its path), not the neighbour node's account here."""
    bob = make_member(status=TRADING)
    _federated_pending(bob, trunk)
    client.login(username=bob.email, password=PASSWORD)
    for page in ("/dashboard", "/transfers"):
        html = client.get(page).content.decode()
        assert "<strong>t/b2/4000000000000002</strong> wants to pay you" in html, page
        assert f"<strong>{trunk.account.entity.name or trunk.account.number}</strong> wants" not in html, page
