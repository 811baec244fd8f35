"""Categories and tags: create, rename, delete, merge — and every entity that carries them follows."""

from __future__ import annotations

import pytest

from mccs.directory.models import Category, Entity, EntityTag, Tag


def offers(member):
    return Entity.objects.get(pk=member.entity.pk).offers


def wants(member):
    return Entity.objects.get(pk=member.entity.pk).wants


def categories(member):
    return sorted(Entity.objects.get(pk=member.entity.pk).categories.values_list("name", flat=True))


def create(admin_api, kind, name):
    response = admin_api.post_json(f"/admin/{kind}", {"name": name})
    assert response.status_code == 200, response.content
    return response.json()["data"]


# --- categories -------------------------------------------------------------------------------------------------


def test_category_create_normalises_and_is_audited(admin_api, admin, new_entries):
    data = create(admin_api, "categories", "  Organic  Food! ")
    assert data["name"] == "organic-food"
    assert Category.objects.get(pk=data["id"]).name == "organic-food"
    [entry] = new_entries(action="category.create")
    assert (entry.actor_id, entry.actor_email, entry.actor_is_admin) == (admin.pk, admin.email, True)
    assert (entry.object_type, entry.object_id) == ("category", data["id"])
    assert entry.changes == {"name": [None, "organic-food"]}
    assert entry.ip == "127.0.0.1"


@pytest.mark.parametrize("body", [{}, {"name": ""}, {"name": "  !!! "}, {"name": 5}, {"name": "x" * 60}])
def test_category_create_refuses_bad_names(admin_api, body):
    response = admin_api.post_json("/admin/categories", body)
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"]


def test_category_create_refuses_a_duplicate(admin_api):
    create(admin_api, "categories", "food")
    response = admin_api.post_json("/admin/categories", {"name": "FOOD"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == "A category named food already exists."


def test_category_rename_propagates_to_entities(admin_api, make_member, new_entries, admin):
    cat = create(admin_api, "categories", "restaurant")
    a, b = make_member(), make_member()
    for m in (a, b):
        assert (
            admin_api.patch_json(f"/admin/entities/{m.entity.pk}", {"categories": ["restaurant"]}).status_code
            == 200
        )
    response = admin_api.patch_json(f"/admin/categories/{cat['id']}", {"name": "Restaurants"})
    assert response.status_code == 200
    assert response.json()["data"] == {"id": cat["id"], "name": "restaurants"}
    assert categories(a) == categories(b) == ["restaurants"]
    [rename] = new_entries(action="category.rename")
    assert rename.changes == {"name": ["restaurant", "restaurants"]} and rename.object_id == cat["id"]
    per_entity = new_entries(action="entity.update", changes__has_key="categories")
    assert {
        (e.entity_id, tuple(e.changes["categories"][0]), tuple(e.changes["categories"][1]))
        for e in per_entity[-2:]
    } == {
        (str(a.entity.pk), ("restaurant",), ("restaurants",)),
        (str(b.entity.pk), ("restaurant",), ("restaurants",)),
    }
    # The member sees it in their own entity too.
    assert a.api.get_json(f"/user/entities/{a.entity.pk}").json()["data"]["categories"] == ["restaurants"]


def test_category_rename_onto_existing_merges(admin_api, make_member, new_entries):
    cafe = create(admin_api, "categories", "cafe")
    coffee = create(admin_api, "categories", "coffee")
    only_cafe, both, only_coffee = make_member(), make_member(), make_member()
    admin_api.patch_json(f"/admin/entities/{only_cafe.entity.pk}", {"categories": ["cafe"]})
    admin_api.patch_json(f"/admin/entities/{both.entity.pk}", {"categories": ["cafe", "coffee"]})
    admin_api.patch_json(f"/admin/entities/{only_coffee.entity.pk}", {"categories": ["coffee"]})
    response = admin_api.patch_json(f"/admin/categories/{cafe['id']}", {"name": "coffee"})
    assert response.status_code == 200
    assert response.json()["data"] == coffee  # the survivor
    assert not Category.objects.filter(pk=cafe["id"]).exists()
    assert categories(only_cafe) == categories(both) == categories(only_coffee) == ["coffee"]
    [merge] = new_entries(action="category.merge")
    assert merge.changes == {"name": ["cafe", "coffee"], "id": [cafe["id"], coffee["id"]]}
    touched = {e.entity_id: e.changes for e in new_entries(action="entity.update")[-2:]}
    assert touched == {
        str(only_cafe.entity.pk): {"categories": [["cafe"], ["coffee"]]},
        str(both.entity.pk): {"categories": [["cafe", "coffee"], ["coffee"]]},
    }


def test_category_delete_removes_it_everywhere(admin_api, make_member, new_entries):
    cat = create(admin_api, "categories", "bakery")
    create(admin_api, "categories", "food")
    m = make_member()
    admin_api.patch_json(f"/admin/entities/{m.entity.pk}", {"categories": ["bakery", "food"]})
    response = admin_api.delete_json(f"/admin/categories/{cat['id']}")
    assert response.status_code == 200
    assert response.json()["data"] == cat
    assert categories(m) == ["food"]
    [deleted] = new_entries(action="category.delete")
    assert deleted.changes == {"name": ["bakery", None]}
    assert new_entries(action="entity.update")[-1].changes == {"categories": [["bakery", "food"], ["food"]]}
    assert admin_api.delete_json(f"/admin/categories/{cat['id']}").status_code == 404


def test_public_category_list_follows(admin_api, api):
    cat = create(admin_api, "categories", "repairs")
    admin_api.patch_json(f"/admin/categories/{cat['id']}", {"name": "repair-shops"})
    response = api.get_json("/categories")
    assert response.status_code == 200
    names = [c["name"] for c in response.json()["data"]]
    assert "repair-shops" in names and "repairs" not in names


# --- tags -------------------------------------------------------------------------------------------------------


def test_tag_create_and_duplicate(admin_api, new_entries):
    data = create(admin_api, "tags", "Fresh Bread")
    assert data["name"] == "fresh-bread"
    assert new_entries(action="tag.create")[0].changes == {"name": [None, "fresh-bread"]}
    response = admin_api.post_json("/admin/tags", {"name": "fresh bread"})
    assert response.status_code == 400


def test_tag_rename_propagates_to_offers_and_wants(admin_api, make_member, new_entries):
    seller = make_member(offers=["vegtables", "fruit"])
    buyer = make_member(wants=["vegtables"])
    tag = Tag.objects.get(name="vegtables")
    response = admin_api.patch_json(f"/admin/tags/{tag.pk}", {"name": "Vegetables"})
    assert response.status_code == 200
    assert response.json()["data"] == {"id": str(tag.pk), "name": "vegetables"}
    assert offers(seller) == ["vegetables", "fruit"]  # order kept
    assert wants(buyer) == ["vegetables"]
    [rename] = new_entries(action="tag.rename")
    assert rename.changes == {"name": ["vegtables", "vegetables"]}
    touched = {e.entity_id: e.changes for e in new_entries(action="entity.update")}
    assert touched == {
        str(seller.entity.pk): {"offers": [["vegtables", "fruit"], ["vegetables", "fruit"]]},
        str(buyer.entity.pk): {"wants": [["vegtables"], ["vegetables"]]},
    }


def test_a_renamed_tag_is_fuzzy_searchable_at_once(
    admin_api, make_member, api, django_capture_on_commit_callbacks
):
    seller = make_member(status="accepted", offers=["carpentry"])
    assert (
        api.get_json("/entities?offers=carpentry").json()["meta"]["numberOfResults"] == 1
    )  # vocabulary cached
    tag = Tag.objects.get(name="carpentry")
    with django_capture_on_commit_callbacks(execute=True):
        assert admin_api.patch_json(f"/admin/tags/{tag.pk}", {"name": "woodworking"}).status_code == 200
    found = api.get_json("/entities?offers=woodworkng").json()["data"]  # a typo of the new name
    assert [e["id"] for e in found] == [str(seller.entity.pk)]


def test_tag_rename_onto_existing_merges_and_keeps_the_earliest_date(admin_api, make_member, new_entries):
    both = make_member(offers=["veg", "vegetables"])
    only_old = make_member(offers=["veg"])
    old, survivor = Tag.objects.get(name="veg"), Tag.objects.get(name="vegetables")
    earliest = EntityTag.objects.get(entity=both.entity, tag=old).added_at
    EntityTag.objects.filter(entity=both.entity, tag=survivor).update(
        added_at=earliest.replace(year=earliest.year + 1)
    )
    response = admin_api.patch_json(f"/admin/tags/{old.pk}", {"name": "vegetables"})
    assert response.status_code == 200
    assert response.json()["data"] == {"id": str(survivor.pk), "name": "vegetables"}
    assert not Tag.objects.filter(pk=old.pk).exists()
    assert offers(both) == ["vegetables"] and offers(only_old) == ["vegetables"]
    assert EntityTag.objects.get(entity=both.entity, tag=survivor).added_at == earliest
    [merge] = new_entries(action="tag.merge")
    assert merge.changes == {"name": ["veg", "vegetables"], "id": [str(old.pk), str(survivor.pk)]}
    touched = {e.entity_id: e.changes for e in new_entries(action="entity.update")}
    assert touched == {
        str(both.entity.pk): {"offers": [["veg", "vegetables"], ["vegetables"]]},
        str(only_old.entity.pk): {"offers": [["veg"], ["vegetables"]]},
    }


def test_tag_merge_keeps_offer_and_want_apart(admin_api, make_member):
    m = make_member(offers=["bikes"], wants=["bicycles"])
    admin_api.patch_json(f"/admin/tags/{Tag.objects.get(name='bikes').pk}", {"name": "bicycles"})
    assert offers(m) == ["bicycles"] and wants(m) == ["bicycles"]


def test_tag_delete_removes_it_from_every_entity(admin_api, make_member, new_entries):
    m = make_member(offers=["cake", "bread"], wants=["cake"])
    tag = Tag.objects.get(name="cake")
    response = admin_api.delete_json(f"/admin/tags/{tag.pk}")
    assert response.status_code == 200
    assert response.json()["data"] == {"id": str(tag.pk), "name": "cake"}
    assert offers(m) == ["bread"] and wants(m) == []
    assert new_entries(action="tag.delete")[0].changes == {"name": ["cake", None]}
    assert new_entries(action="entity.update")[0].changes == {
        "offers": [["cake", "bread"], ["bread"]],
        "wants": [["cake"], []],
    }


def test_renaming_to_the_same_name_changes_nothing(admin_api, new_entries):
    tag = create(admin_api, "tags", "soap")
    assert admin_api.patch_json(f"/admin/tags/{tag['id']}", {"name": "SOAP"}).json()["data"] == tag
    assert new_entries(action="tag.rename") == []


def test_rename_with_bad_name_is_400(admin_api):
    tag = create(admin_api, "tags", "soap")
    assert admin_api.patch_json(f"/admin/tags/{tag['id']}", {"name": "!!"}).status_code == 400
    assert admin_api.patch_json(f"/admin/tags/{tag['id']}", {}).status_code == 400
