"""Entity services: a member's save keeps an administrator's status change, only the entity's users may edit it,
and where an entity's mail goes."""

from __future__ import annotations

import pytest

from mccs.core.errors import PermissionDenied
from mccs.directory.models import Entity
from mccs.directory.services import entity_recipients, entity_update


def test_a_member_save_does_not_undo_an_administrators_status_change(member):
    stale = Entity.objects.get(pk=member.entity.pk)  # loaded before the administrator acts
    Entity.objects.filter(pk=member.entity.pk).update(status="rejected")
    entity_update(actor=member.user, entity=stale, changes={"city": "Leeds"})
    fresh = Entity.objects.get(pk=member.entity.pk)
    assert (fresh.status, fresh.city) == ("rejected", "Leeds")


def test_only_the_entitys_users_may_update_it(make_member):
    owner, other = make_member(), make_member()
    with pytest.raises(PermissionDenied):
        entity_update(actor=other.user, entity=owner.entity, changes={"city": "Leeds"})
    assert Entity.objects.get(pk=owner.entity.pk).city == ""


def test_mail_for_an_entity_without_its_own_address_goes_to_active_users_only(member):
    Entity.objects.filter(pk=member.entity.pk).update(email="")
    entity = Entity.objects.get(pk=member.entity.pk)
    assert entity_recipients(entity) == [member.email]
    type(member.user).objects.filter(pk=member.user.pk).update(is_active=False)
    assert entity_recipients(entity) == []
