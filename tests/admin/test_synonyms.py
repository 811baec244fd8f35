"""Curated synonyms: administrators add, change and delete groups of words (API and web page); refusals are clear
400s, every change is audited, and members cannot touch them."""

from __future__ import annotations

import pytest
from django.test import Client

from mccs.directory.models import Synonym, SynonymGroup
from tests.conftest import ApiClient


def create(admin_api, words):
    response = admin_api.post_json("/admin/synonyms", {"words": words})
    assert response.status_code == 200, response.content
    return response.json()["data"]


def test_create_normalises_the_words_and_is_audited(admin_api, admin, new_entries):
    data = create(admin_api, ["Mechanic", "  Car Repair ", "garage"])
    assert sorted(data["words"]) == ["car-repair", "garage", "mechanic"]
    assert sorted(SynonymGroup.objects.get(pk=data["id"]).words) == ["car-repair", "garage", "mechanic"]
    [entry] = new_entries(action="synonyms.create")
    assert (entry.actor_id, entry.object_type, entry.object_id) == (admin.pk, "synonym_group", data["id"])
    assert entry.changes == {"words": [None, ["car-repair", "garage", "mechanic"]]}


@pytest.mark.parametrize(
    ("words", "message"),
    [
        ([], "A synonym group needs at least two different words."),
        (["", "  "], "A synonym group needs at least two different words."),
        (["mechanic"], "A synonym group needs at least two different words."),
        (["mechanic", "Mechanic"], "'mechanic' is given twice: a word is always its own synonym."),
        (["mechanic", "!!!"], "'!!!' has no letter or digit: it cannot be a synonym."),
        (["mechanic", "x" * 51], "The word 'xxxxxxxxxxxxxxxxxxxx…' is too long: at most 50 characters."),
        ([f"word{n}" for n in range(21)], "A synonym group can have at most 20 words."),
    ],
)
def test_create_refuses_bad_groups(admin_api, words, message):
    response = admin_api.post_json("/admin/synonyms", {"words": words})
    assert response.status_code == 400, response.content
    assert response.json()["errors"][0]["message"] == message
    assert not SynonymGroup.objects.exists()


@pytest.mark.parametrize(
    ("words", "message"),
    [
        ("mechanic, car repair", "words must be a list of words or short phrases."),
        (["mechanic", 5], "Each of the words must be text."),
    ],
)
def test_the_service_refuses_what_the_api_schema_already_refuses(words, message):
    from mccs.core.errors import InvalidRequest
    from mccs.directory.synonyms import synonym_words_clean

    with pytest.raises(InvalidRequest) as refused:
        synonym_words_clean(words)
    assert refused.value.message == message


def test_a_word_belongs_to_one_group_only(admin_api):
    create(admin_api, ["mechanic", "car-repair"])
    response = admin_api.post_json("/admin/synonyms", {"words": ["Car Repair", "garage"]})
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == (
        "car-repair already belong to another synonym group: change that group instead."
    )
    assert SynonymGroup.objects.count() == 1


def test_update_replaces_the_words_and_delete_removes_the_group(admin_api, new_entries):
    group = create(admin_api, ["mechanic", "car-repair"])
    other = create(admin_api, ["childminder", "babysitting"])
    response = admin_api.call("put", f"/admin/synonyms/{group['id']}", {"words": ["mechanic", "garage"]})
    assert response.status_code == 200, response.content
    assert sorted(response.json()["data"]["words"]) == ["garage", "mechanic"]
    # its own words may stay; another group's may not be taken
    taken = admin_api.call("put", f"/admin/synonyms/{group['id']}", {"words": ["mechanic", "babysitting"]})
    assert taken.status_code == 400
    [entry] = new_entries(action="synonyms.update")
    assert entry.changes == {"words": [["car-repair", "mechanic"], ["garage", "mechanic"]]}

    listed = admin_api.get_json("/admin/synonyms?q=garage").json()
    assert [g["id"] for g in listed["data"]] == [group["id"]] and listed["meta"]["numberOfResults"] == 1

    assert admin_api.delete_json(f"/admin/synonyms/{other['id']}").status_code == 200
    assert not Synonym.objects.filter(word="babysitting").exists()
    [deleted] = new_entries(action="synonyms.delete")
    assert deleted.changes == {"words": [["babysitting", "childminder"], None]}
    assert admin_api.delete_json(f"/admin/synonyms/{other['id']}").status_code == 404
    assert admin_api.call("put", "/admin/synonyms/not-an-id", {"words": ["a1", "b1"]}).status_code == 404


def test_members_cannot_manage_synonyms(member, admin_api):
    group = create(admin_api, ["mechanic", "car-repair"])
    assert member.api.get_json("/admin/synonyms").status_code == 403
    assert member.api.post_json("/admin/synonyms", {"words": ["a1", "b1"]}).status_code == 403
    assert member.api.delete_json(f"/admin/synonyms/{group['id']}").status_code == 403
    assert ApiClient().get_json("/admin/synonyms").status_code == 401
    assert SynonymGroup.objects.count() == 1


def test_the_services_refuse_a_member_too(member):
    from mccs.core.errors import ApplicationError
    from mccs.directory.synonyms import synonym_group_create

    with pytest.raises(ApplicationError):
        synonym_group_create(actor=member.user, words=["mechanic", "car-repair"])


# --- the web page -------------------------------------------------------------------------------------------------


@pytest.fixture
def staff(admin):
    client = Client()
    client.force_login(admin)
    return client


def test_the_page_adds_changes_and_deletes_groups(staff):
    response = staff.post("/admin/synonyms", {"words": "Mechanic, car repair"}, follow=True)
    assert response.status_code == 200
    assert "Synonyms added: car-repair, mechanic." in response.content.decode()
    group = SynonymGroup.objects.get()
    page = staff.get("/admin/synonyms").content.decode()
    assert 'value="car-repair, mechanic"' in page

    response = staff.post(
        f"/admin/synonyms/{group.pk}", {"action": "change", "words": "mechanic, garage"}, follow=True
    )
    assert "Synonyms changed: garage, mechanic." in response.content.decode()
    assert sorted(SynonymGroup.objects.get().words) == ["garage", "mechanic"]

    response = staff.post(f"/admin/synonyms/{group.pk}", {"action": "change", "words": "garage"}, follow=True)
    assert "A synonym group needs at least two different words." in response.content.decode()

    response = staff.post(f"/admin/synonyms/{group.pk}", {"action": "delete"}, follow=True)
    assert "Synonyms deleted: garage, mechanic." in response.content.decode()
    assert not SynonymGroup.objects.exists()


def test_the_page_shows_a_refusal_on_the_form(staff):
    response = staff.post("/admin/synonyms", {"words": "mechanic, Mechanic"})
    assert response.status_code == 400
    assert "is given twice: a word is always its own synonym." in response.content.decode()
    assert not SynonymGroup.objects.exists()


def test_members_cannot_open_the_page(member):
    client = Client()
    client.force_login(member.user)
    assert client.get("/admin/synonyms").status_code == 403
    assert client.post("/admin/synonyms", {"words": "a1, b1"}).status_code == 403
    assert not SynonymGroup.objects.exists()
