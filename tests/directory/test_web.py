"""The directory web pages: same search semantics as the API, entity pages, favourites, contact, matches."""

from __future__ import annotations

import pytest
from django.test import Client

from mccs.directory.models import ContactMessage
from mccs.notifications.models import OutboxEmail
from tests.conftest import PASSWORD


def web_client(member) -> Client:
    client = Client()
    assert client.login(email=member.email, password=PASSWORD)
    return client


@pytest.fixture
def farm(make_member, category):
    m = make_member(
        "farm@example.org",
        name="Green Farm",
        status="tradingAccepted",
        offers=["organic-vegetables"],
        wants=["van-rental"],
        city="Leeds",
    )
    m.entity.categories.add(category("agriculture"))
    return m


def test_search_page_forgives_typos_and_hides_unlisted(client, farm, make_member):
    make_member(name="Hidden Farm", status="pending", offers=["vegetables"])
    page = client.get("/directory", {"offers": "vegetalbes"}).content.decode()
    assert "Green Farm" in page and "Hidden Farm" not in page
    assert "1 member found" in page
    assert "Green Farm" not in client.get("/directory", {"offers": "plumbing"}).content.decode()
    partial = client.get("/directory", {"offers": "vegetable"}, HTTP_HX_REQUEST="true").content.decode()
    assert partial.lstrip().startswith('<section id="results"') and "Green Farm" in partial
    assert "farm@example.org" not in client.get("/directory").content.decode()


def test_each_result_shows_what_it_matched(client, farm, make_member):
    make_member(name="Veg Box", status="accepted", offers=["vegetables"])
    page = client.get("/directory", {"offers": "vegetalbes"}).content.decode()
    assert "Matched:" in page and "organic-vegetables ≈ vegetalbes (similar spelling)" in page
    exact = client.get("/directory", {"offers": "vegetables"}).content.decode()
    assert "vegetables (the same word)" in exact
    assert "Matched:" not in client.get("/directory", {"name": "farm"}).content.decode()
    spanish = client.get("/directory", {"offers": "vegetalbes"}, HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Coincide con:" in spanish and "(ortografía parecida)" in spanish


def test_categories_a_to_z_and_filter(client, farm, category):
    category("bakeries")
    page = client.get("/directory/categories").content.decode()
    assert page.index(">Agriculture<") < page.index(">Bakeries<")  # names shown as words
    assert 'id="letter-A"' in page and 'id="letter-B"' in page
    assert 'href="/directory?category=agriculture"' in page
    assert "Green Farm" in client.get("/directory", {"category": "agriculture"}).content.decode()
    assert "Green Farm" not in client.get("/directory", {"category": "bakeries"}).content.decode()


def test_entity_page_and_email_rule(client, farm, make_member):
    anonymous = client.get(f"/directory/entities/{farm.entity.id}").content.decode()
    assert "Green Farm" in anonymous and "organic-vegetables" in anonymous
    assert "farm@example.org" not in anonymous and "Log in</a> to send" in anonymous
    accepted = make_member(status="accepted")
    assert (
        "farm@example.org"
        not in web_client(accepted).get(f"/directory/entities/{farm.entity.id}").content.decode()
    )
    trading = make_member(status="tradingAccepted")
    assert (
        "farm@example.org"
        in web_client(trading).get(f"/directory/entities/{farm.entity.id}").content.decode()
    )
    pending = make_member(status="pending")
    assert client.get(f"/directory/entities/{pending.entity.id}").status_code == 404


def test_favorite_toggle_full_and_htmx(farm, make_member):
    me = make_member(status="accepted")
    web = web_client(me)
    r = web.post(f"/directory/entities/{farm.entity.id}/favorite", {"is_favorite": "true"})
    assert r.status_code == 302 and me.entity.favorites.filter(pk=farm.entity.pk).exists()
    assert "★ Favourite" in web.get(f"/directory/entities/{farm.entity.id}").content.decode()
    assert "Green Farm" in web.get("/directory", {"favorites_only": "on"}).content.decode()
    r = web.post(
        f"/directory/entities/{farm.entity.id}/favorite", {"is_favorite": "false"}, HTTP_HX_REQUEST="true"
    )
    assert r.status_code == 200 and "Add to favourites" in r.content.decode()
    assert not me.entity.favorites.exists()
    assert "Green Farm" not in web.get("/directory", {"favorites_only": "on"}).content.decode()


def test_contact_form_sends_without_revealing_address(farm, make_member):
    me = make_member("me@example.org", status="accepted")
    web = web_client(me)
    r = web.post(
        f"/directory/entities/{farm.entity.id}/contact", {"body": "Can you deliver on Fridays?"}, follow=True
    )
    page = r.content.decode()
    assert "Your message was sent" in page and "farm@example.org" not in page
    email = OutboxEmail.objects.get(subject__contains="sent you a message")
    assert email.to == ["farm@example.org"] and email.reply_to == ["me@example.org"]
    assert web.post(f"/directory/entities/{farm.entity.id}/contact", {"body": ""}).status_code == 400
    assert ContactMessage.objects.count() == 1


def test_unlisted_member_cannot_contact(farm, make_member):
    me = make_member(status="pending")
    web = web_client(me)
    assert (
        "once an administrator has accepted"
        in web.get(f"/directory/entities/{farm.entity.id}").content.decode()
    )
    r = web.post(f"/directory/entities/{farm.entity.id}/contact", {"body": "Hello there"})
    assert r.status_code == 400 and ContactMessage.objects.count() == 0


def test_matches_panel_and_page(farm, make_member):
    me = make_member(status="accepted", name="Van Hire", offers=["van-rentals"], wants=["vegetables"])
    web = web_client(me)
    for path in ("/directory/matches", "/directory/matches/panel"):
        page = web.get(path).content.decode()
        assert "Members who want what you offer" in page
        assert page.count("Green Farm") == 2  # wants our vans, offers the vegetables we want
    assert "/directory/matches/panel" in web.get("/dashboard").content.decode()


def test_search_box_suggests_tags(client, farm):
    options = client.get(
        "/directory/suggestions", {"offers": "vegtables"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert '<option value="organic-vegetables">' in options
    assert client.get("/directory/suggestions").content.decode().strip() == ""


def test_favorite_toggle_never_redirects_off_site(farm, make_member):
    web = web_client(make_member(status="accepted"))
    r = web.post(
        f"/directory/entities/{farm.entity.id}/favorite",
        {"is_favorite": "true", "next": "https://evil.example/"},
    )
    assert r.status_code == 302 and r["Location"] == f"/directory/entities/{farm.entity.id}"
    r = web.post(
        f"/directory/entities/{farm.entity.id}/favorite",
        {"is_favorite": "false", "next": "/directory?offers=veg"},
    )
    assert r["Location"] == "/directory?offers=veg"


def test_search_pages_count_and_read_in_one_statement(client, make_member, django_assert_max_num_queries):
    """The directory page counts its results and reads the page it shows in the same statement; the last page
    (shorter than the others) and a page past the end (the last page is shown) list the right members."""
    for i in range(23):
        make_member(name=f"Baker {i:02}", status="accepted", offers=["bread"])
    client.get("/directory", {"offers": "bread"})  # the process's vocabulary is loaded once
    with django_assert_max_num_queries(50) as captured:
        first = client.get("/directory", {"offers": "bread"}).content.decode()
    counted = [q["sql"] for q in captured.captured_queries if "rows_read" in q["sql"]]
    assert len(counted) == 1 and "23 members found" in first
    assert "Baker 00" in first and "Baker 19" in first and "Baker 20" not in first
    for page in ("2", "99"):
        last = client.get("/directory", {"offers": "bread", "page": page}).content.decode()
        assert "Page 2 of 2" in last and "Baker 19" not in last
        assert all(f"Baker {i}" in last for i in (20, 21, 22))
