"""Lists a client sends never decide how big a query gets (issue 8, item 1).

The administrator's entity search used to add two joins per comma-separated term: 40 terms were a 500 on SQLite
("at most 64 tables in a join"), 80 took 30 s on PostgreSQL and 3,000 exhausted its memory. Every search now takes
at most MAX_TERMS terms (a 400 beyond, naming the field) and runs the same number of queries, of the same shape,
for one term as for the maximum.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from mccs.directory.curation import MAX_ENTITY_CATEGORIES, category_create
from mccs.directory.models import EntityStatus
from mccs.matching.normalise import MAX_TAGS
from mccs.matching.ranking import MAX_TERMS

pytestmark = pytest.mark.django_db

TOO_MANY = ",".join(f"term{i}" for i in range(40))
MAXIMUM = ",".join(f"zzterm{i}" for i in range(MAX_TERMS - 2))


def _refused(response, field: str) -> None:
    assert response.status_code == 400, response.content
    [error] = response.json()["errors"]
    assert error["message"].startswith(field) and str(MAX_TERMS) in error["message"], error


@pytest.mark.parametrize("field", ["offers", "wants"])
def test_admin_api_refuses_more_terms_than_the_bound(admin_api, make_member, field):
    make_member(offers=["bread"], wants=["bread"])
    _refused(admin_api.get_json(f"/admin/entities?{field}={TOO_MANY}"), field)
    eleven = ",".join(f"t{i}" for i in range(MAX_TERMS + 1))
    _refused(admin_api.get_json(f"/admin/entities?{field}={eleven}"), field)
    # repeats and empty terms do not count
    assert admin_api.get_json(f"/admin/entities?{field}=bread,,bread,{'bread,' * 30}").status_code == 200


def test_admin_api_finds_with_the_maximum_number_of_terms(admin_api, make_member):
    make_member(name="Bakery", status=EntityStatus.REJECTED, offers=["sourdough-bread"], wants=["flour"])
    make_member(name="Dairy", offers=["milk", "cheese"], wants=["hay"])
    make_member(name="Garage", offers=["tyres"], wants=["oil"])

    def names(query: str) -> list[str]:
        response = admin_api.get_json(f"/admin/entities?{query}")
        assert response.status_code == 200, response.content
        return [e["name"] for e in response.json()["data"]]

    assert names(f"offers={MAXIMUM},bread,chese") == ["Bakery", "Dairy"]  # part of a tag; a typo
    assert names(f"offers={MAXIMUM},tyre,milk&wants=oil") == ["Garage"]  # singular; both kinds must match
    assert names(f"wants={MAXIMUM},nothing-like-this") == []


def test_admin_search_runs_the_same_queries_for_one_term_as_for_the_maximum(admin_api, make_member):
    make_member(offers=["bread"], wants=["flour"])
    admin_api.get_json("/admin/entities?offers=bread")  # load the fuzzy vocabulary once

    def queries(offers: str) -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            assert admin_api.get_json(f"/admin/entities?offers={offers}&wants={offers}").status_code == 200
        return [q["sql"] for q in captured.captured_queries]

    one, most = queries("bread"), queries(",".join(["bread"] + [f"word{i}" for i in range(MAX_TERMS - 1)]))
    assert len(one) == len(most)
    # the entity query has the same joins whatever the number of terms
    assert [q.count(" JOIN ") for q in one] == [q.count(" JOIN ") for q in most]


def test_admin_web_page_refuses_too_many_terms(client: Client, admin, make_member):
    make_member(name="Bakery", offers=["bread"])
    client.force_login(admin)
    response = client.get(f"/admin/entities?offers={TOO_MANY}")
    assert response.status_code == 400
    assert f"at most {MAX_TERMS} comma-separated search terms" in response.content.decode()
    found = client.get(f"/admin/entities?offers={MAXIMUM},bread")
    assert found.status_code == 200 and "Bakery" in found.content.decode()


@pytest.mark.parametrize("field", ["offers", "wants"])
def test_directory_api_and_page_refuse_too_many_terms(api, client, make_member, field):
    make_member(name="Bakery", status=EntityStatus.TRADING_ACCEPTED, offers=["bread"], wants=["bread"])
    _refused(api.get_json(f"/entities?{field}={TOO_MANY}"), field)
    found = api.get_json(f"/entities?{field}={MAXIMUM},bread")
    assert [e["name"] for e in found.json()["data"]] == ["Bakery"]
    page = client.get(f"/directory?{field}={TOO_MANY[:190]}")
    assert page.status_code == 400
    assert f"at most {MAX_TERMS} comma-separated search terms" in page.content.decode()


def test_tag_search_refuses_too_many_terms(api, make_member):
    make_member(offers=["bread"])
    _refused(api.get_json(f"/tags?fragment={TOO_MANY}"), "fragment")
    assert [t["name"] for t in api.get_json(f"/tags?fragment={MAXIMUM},bread").json()["data"]] == ["bread"]


def test_entity_categories_are_bounded(admin_api, admin, member):
    category_create(actor=admin, name="food")
    names = [f"category-{i}" for i in range(100_000)]
    response = admin_api.patch_json(f"/admin/entities/{member.entity.pk}", {"categories": names})
    assert response.status_code == 400, response.content
    assert str(MAX_ENTITY_CATEGORIES) in response.json()["errors"][0]["message"]
    ok = admin_api.patch_json(f"/admin/entities/{member.entity.pk}", {"categories": ["food"] * 50})
    assert ok.status_code == 200 and ok.json()["data"]["categories"] == ["food"]


def test_offers_list_refused_at_the_first_tag_too_many(member):
    huge = [f"tag{i}" for i in range(200_000)]
    response = member.api.patch_json(f"/user/entities/{member.entity.pk}", {"offers": huge})
    assert response.status_code == 400, response.content
    assert f"At most {MAX_TAGS} offers" in response.json()["errors"][0]["message"]
