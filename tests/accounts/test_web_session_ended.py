"""A session that ends in the middle of an htmx action sends the whole page to the sign-in page (and back after),
instead of swapping the sign-in page into a panel, failing silently, or showing a bare CSRF 403."""

from __future__ import annotations

from django.test import Client

from mccs.directory.models import EntityStatus

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_CURRENT_URL": "http://testserver/dashboard"}


def test_an_htmx_action_after_the_session_ended_redirects_the_page_to_sign_in(make_member):
    other = make_member(status=EntityStatus.TRADING_ACCEPTED)
    response = Client().post(
        f"/directory/entities/{other.entity.pk}/favorite", {"is_favorite": "true"}, **HTMX
    )
    assert response["HX-Redirect"] == "/login?next=%2Fdashboard"
    assert b"<form" not in response.content  # no sign-in page to swap into the button


def test_htmx_without_cookies_fails_csrf_and_still_goes_to_sign_in(db):
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/transfers/00000000-0000-0000-0000-000000000000/act", {"action": "accept"}, **HTMX
    )
    assert response["HX-Redirect"] == "/login?next=%2Fdashboard"


def test_a_plain_form_without_cookies_goes_to_sign_in_and_comes_back(db):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/logout", HTTP_REFERER="http://testserver/directory?offers=bread")
    assert response.status_code == 302
    assert response["Location"] == "/login?next=%2Fdirectory%3Foffers%3Dbread"
    page = client.get(response["Location"]).content.decode()
    assert "Your session has ended" in page


def test_a_signed_in_member_whose_page_expired_is_told_so_plainly(make_member):
    member = make_member()
    client = Client(enforce_csrf_checks=True)
    client.force_login(member.user)
    response = client.post("/profile", {"first_name": "X"})
    assert response.status_code == 403
    assert (
        "This page had expired" in response.content.decode()
        and "Nothing was changed" in response.content.decode()
    )


def test_signing_in_from_there_returns_to_the_page(make_member):
    member = make_member()
    client = Client()
    response = client.post(
        "/login?next=/directory", {"email": member.email, "password": member.password, "next": "/directory"}
    )
    assert response["Location"] == "/directory"


def test_htmx_answers_for_signed_in_members_are_left_alone(make_member):
    member = make_member(status=EntityStatus.TRADING_ACCEPTED)
    other = make_member(status=EntityStatus.TRADING_ACCEPTED)
    client = Client()
    client.force_login(member.user)
    response = client.post(f"/directory/entities/{other.entity.pk}/favorite", {"is_favorite": "true"}, **HTMX)
    assert response.status_code == 200 and "HX-Redirect" not in response and b"Favourite" in response.content
