"""Behaviour found in review: repeated matches in a new window, out-of-range dates, concurrent admin edits, who may
edit an entity, and where an entity's mail goes."""

from __future__ import annotations

import datetime

import pytest

from mccs.core.errors import PermissionDenied
from mccs.directory import digest
from mccs.directory.models import Entity, EntityTag
from mccs.directory.services import entity_recipients, entity_update
from mccs.notifications.models import OutboxEmail

LONG_AGO = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)


def test_a_match_seen_before_is_sent_again_when_it_reappears_in_a_later_window(make_member):
    alice = make_member(
        status="tradingAccepted", name="Alice", offers=["bread"], receive_daily_match_notification_email=True
    )
    bob = make_member(status="accepted", name="Bob", wants=["bread"])
    first = digest.now()
    assert digest.digest_send_one(Entity.objects.get(pk=alice.entity.pk), moment=first) is True
    # A day later Bob adds another want that matches Alice: same match set, but new news.
    EntityTag.objects.filter(entity=alice.entity).update(added_at=LONG_AGO)
    EntityTag.objects.filter(entity=bob.entity).update(added_at=LONG_AGO)
    entity_update(
        actor=bob.user, entity=Entity.objects.get(pk=bob.entity.pk), changes={"wants": ["bread", "cakes"]}
    )
    Entity.objects.filter(pk=alice.entity.pk).update(last_match_digest_at=first)
    alice_entity = Entity.objects.get(pk=alice.entity.pk)
    EntityTag.objects.filter(entity=alice.entity).update(added_at=LONG_AGO)
    entity_update(actor=alice.user, entity=alice_entity, changes={"offers": ["bread", "cakes"]})
    second = first + datetime.timedelta(days=1)
    assert digest.digest_send_one(Entity.objects.get(pk=alice.entity.pk), moment=second) is True
    assert OutboxEmail.objects.filter(dedupe_key__startswith="match-digest:").count() == 2


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_tagged_since_at_the_edge_of_time_is_a_400(api, db, value):
    response = api.get_json(f"/entities?offers=bread&tagged_since={value.replace('+', '%2B')}")
    assert response.status_code == 400, response.content


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
