"""Small things a new user notices: the favicon, branded error pages, an email subject with an apostrophe."""

from __future__ import annotations

from django.core import mail
from django.test import Client, RequestFactory
from django.views.defaults import server_error

from mccs.directory.models import EntityStatus
from tests.conftest import deliver_outbox
from tests.ledger.conftest import propose


def test_the_favicon_exists(db):
    client = Client()
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert b"<svg" in b"".join(client.get(response["Location"]).streaming_content)
    assert 'rel="icon"' in client.get("/").content.decode()


def test_an_unknown_address_gets_a_branded_404(db):
    response = Client().get("/no-such-page")
    page = response.content.decode()
    assert response.status_code == 404
    assert "Page not found" in page and 'class="site-header"' in page and 'href="/directory"' in page


def test_a_server_error_gets_a_branded_500_that_needs_no_database():
    response = server_error(RequestFactory().get("/"))
    page = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong" in page and 'class="site-header"' in page and "mccs.css" in page


def test_an_email_subject_keeps_its_apostrophe(make_member):
    # The welcome no longer names the entity (issue 8, item 5); a payment request names the other party.
    payer = make_member("ann@example.org", name="Ann's Apples", status=EntityStatus.TRADING_ACCEPTED)
    payee = make_member("bob@example.org", name="Bob", status=EntityStatus.TRADING_ACCEPTED)
    mail.outbox.clear()
    propose(payer, payee, 5)
    deliver_outbox()
    subjects = [m.subject for m in mail.outbox]
    assert any("Ann's Apples" in s for s in subjects), subjects
    assert not any("&#x27;" in s for s in subjects), subjects


def test_incorporation_types_keep_their_capitals(make_member):
    member = make_member()
    client = Client()
    client.force_login(member.user)
    page = client.get("/profile/entity").content.decode()
    assert ">LLP (limited liability partnership)<" in page and ">CIC (community interest company)<" in page
    assert ">IPS (industrial and provident society)<" in page and "Llp" not in page and "Cic" not in page


def test_admin_pages_show_category_names_as_words(make_member, admin):
    from mccs.directory import curation

    curation.category_create(actor=admin, name="Bakeries & Patisserie")
    client = Client()
    client.force_login(admin)
    page = client.get("/admin/categories").content.decode()
    assert '>Bakeries patisserie <small class="muted">bakeries-patisserie</small>' in page
    assert 'data-label="Name"' in page  # a card on a phone


def test_the_page_declares_the_language_it_is_served_in(db):
    for accept in ("en", "de", "es;q=0.9, en;q=0.5"):
        response = Client().get("/", HTTP_ACCEPT_LANGUAGE=accept)
        assert f'<html lang="{response["Content-Language"]}">' in response.content.decode()


def test_a_language_without_translations_is_not_claimed(db):
    """A browser asking for a language the node has no catalogue for (Portuguese) gets English pages declared as
    English, not English pages labelled Portuguese."""
    response = Client().get("/", HTTP_ACCEPT_LANGUAGE="pt")
    assert response["Content-Language"] == "en"
    assert '<html lang="en">' in response.content.decode()
    assert "Mutual credit for your community" in response.content.decode()
