"""Administrator-only services refuse members themselves, whichever interface calls them."""

import pytest

from mccs.core.errors import PermissionDenied
from mccs.directory import curation
from mccs.directory.models import Category, Entity
from mccs.ledger import admin_actions


@pytest.mark.parametrize(
    "call",
    [
        lambda m: curation.entity_status_set(actor=m.user, entity=m.entity, status="tradingAccepted"),
        lambda m: curation.category_create(actor=m.user, name="bakeries"),
        lambda m: curation.tag_create(actor=m.user, name="bread"),
        lambda m: admin_actions.admin_entity_update(
            actor=m.user, entity=m.entity, changes={"status": "accepted"}
        ),
        lambda m: admin_actions.admin_entity_delete(actor=m.user, entity=m.entity),
        lambda m: admin_actions.admin_user_update(actor=m.user, user=m.user, changes={"first_name": "X"}),
        lambda m: admin_actions.admin_user_delete(actor=m.user, user=m.user),
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
    assert curation.entity_decide(actor=admin, entity=applicant.entity, decision="accept") == "accepted"
    # A second administrator clicking "reject" on the same, now decided, application changes nothing.
    assert curation.entity_decide(actor=admin, entity=applicant.entity, decision="reject") is None
    assert Entity.objects.get(pk=applicant.entity.pk).status == "accepted"
