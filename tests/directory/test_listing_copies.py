"""EntityTag keeps copies of its entity's listing and name (ADR 0022); database triggers keep them right on every
write path, so the search never shows an unlisted entity or sorts by a stale name."""

from django.db import connection

from mccs.directory.models import Entity, EntityTag


def names(api, query):
    response = api.get_json(f"/entities?{query}")
    assert response.status_code == 200, response.content
    return [e["name"] for e in response.json()["data"]]


def test_copies_follow_status_and_name_changes(api, make_member):
    zoe = make_member(name="Zoe's Bakery", status="accepted", offers=["bread"])
    make_member(name="Adam's Bakery", status="accepted", offers=["bread"])
    assert names(api, "offers=bread") == ["Adam's Bakery", "Zoe's Bakery"]

    Entity.objects.filter(pk=zoe.entity.pk).update(name="Aaron's Bakery")  # a bulk update, no model save()
    assert names(api, "offers=bread") == ["Aaron's Bakery", "Adam's Bakery"]

    entity = Entity.objects.get(pk=zoe.entity.pk)
    entity.status = "rejected"
    entity.save()
    assert names(api, "offers=bread") == ["Adam's Bakery"]

    with connection.cursor() as cursor:  # even raw SQL
        cursor.execute(
            "UPDATE directory_entity SET status = 'tradingAccepted' WHERE id = %s",
            [entity.pk.hex if connection.vendor == "sqlite" else entity.pk],
        )
    assert names(api, "offers=bread") == ["Aaron's Bakery", "Adam's Bakery"]


def test_new_tags_and_full_saves_take_the_entity_values(make_member):
    member = make_member(name="Mixed Case Name", status="tradingAccepted", offers=["honey"])
    tag = EntityTag.objects.get(entity=member.entity)
    assert (tag.listed, tag.sort_name) == (True, "mixed case name")
    tag.listed, tag.sort_name = False, "wrong"
    tag.save()  # a full-row save writes stale copies; the trigger puts the entity's values back
    tag.refresh_from_db()
    assert (tag.listed, tag.sort_name) == (True, "mixed case name")


def test_pending_entities_stay_out_of_tag_searches(api, make_member):
    make_member(name="Hidden", status="pending", offers=["bread"])
    make_member(name="Shown", status="tradingPending", offers=["bread"])
    assert names(api, "offers=bread") == ["Shown"]
    assert names(api, "offers=breadd") == ["Shown"]  # fuzzy too
