"""Administrator-only services refuse members themselves, whichever interface calls them."""

import pytest

from mccs.core.errors import PermissionDenied
from mccs.directory import curation
from mccs.directory.models import Category, Entity
from mccs.directory.status import entity_decide, entity_status_set
from mccs.ledger import administration


@pytest.mark.parametrize(
    "call",
    [
        lambda m: entity_status_set(actor=m.user, entity=m.entity, status="tradingAccepted"),
        lambda m: curation.category_create(actor=m.user, name="bakeries"),
        lambda m: curation.tag_create(actor=m.user, name="bread"),
        lambda m: administration.admin_entity_update(
            actor=m.user, entity=m.entity, changes={"status": "accepted"}
        ),
        lambda m: administration.admin_entity_delete(actor=m.user, entity=m.entity),
        lambda m: administration.admin_user_update(actor=m.user, user=m.user, changes={"first_name": "X"}),
        lambda m: administration.admin_user_delete(actor=m.user, user=m.user),
    ],
)
def test_members_cannot_use_administrator_services(member, call):
    with pytest.raises(PermissionDenied):
        call(member)
    entity = Entity.objects.get(pk=member.entity.pk)
    assert entity.status == "pending"
    assert not Category.objects.exists()


def test_a_decision_applies_only_to_an_application_still_waiting(make_member, admin):
    applicant = make_member(status="pending")
    assert entity_decide(actor=admin, entity=applicant.entity, decision="accept") == "accepted"
    # A second administrator clicking "reject" on the same, now decided, application changes nothing.
    assert entity_decide(actor=admin, entity=applicant.entity, decision="reject") is None
    assert Entity.objects.get(pk=applicant.entity.pk).status == "accepted"


def test_an_administrator_transfer_retried_with_its_key_moves_credit_once(make_member, admin_api):
    from mccs.ledger.models import Account, Transfer

    a = make_member(status="tradingAccepted")
    b = make_member(status="tradingAccepted")
    body = {"payer": a.entity.account.number, "payee": b.entity.account.number, "amount": 3}
    first = admin_api.post_json("/admin/transfers", body, HTTP_IDEMPOTENCY_KEY="admin-retry-1")
    again = admin_api.post_json("/admin/transfers", body, HTTP_IDEMPOTENCY_KEY="admin-retry-1")
    assert first.status_code == again.status_code == 200
    assert first.json()["data"]["id"] == again.json()["data"]["id"]
    assert Transfer.objects.count() == 1
    assert Account.objects.get(pk=a.entity.account.pk).balance == -300


def test_the_web_transfer_form_carries_a_one_time_key(admin, make_member):
    from django.test import Client

    from mccs.ledger.models import Transfer

    a = make_member(status="tradingAccepted")
    b = make_member(status="tradingAccepted")
    web = Client()
    web.force_login(admin)
    page = web.get("/admin/transfers").content.decode()
    assert 'name="idempotency_key"' in page and 'type="hidden"' in page
    body = {
        "payer": a.entity.account.number,
        "payee": b.entity.account.number,
        "amount": "2.50",
        "idempotency_key": "form-key-1",
    }
    web.post("/admin/transfers", body)
    web.post("/admin/transfers", body)  # a double click
    assert Transfer.objects.count() == 1
