"""Every paginated list refuses absurd pages with a 400 and a message, never a 500 (found by schemathesis)."""

import pytest

HUGE = "149644891516587875525287481442304"


@pytest.mark.parametrize("path", ["/entities", "/tags", "/categories"])
@pytest.mark.parametrize("page", [HUGE, "1000001", "0", "-3"])
def test_public_lists_refuse_absurd_pages(api, db, path, page):
    response = api.get_json(f"{path}?page={page}")
    assert response.status_code == 400, response.content
    assert "page" in response.json()["errors"][0]["message"]


def test_transfers_refuse_an_absurd_page(member):
    response = member.api.get_json(f"/transfers?querying_entity_id={member.entity.pk}&status=all&page={HUGE}")
    assert response.status_code == 400, response.content


@pytest.mark.parametrize("path", ["/admin/users", "/admin/entities", "/admin/transfers", "/admin/logs"])
def test_admin_lists_refuse_an_absurd_page(admin_api, path):
    response = admin_api.get_json(f"{path}?page={HUGE}")
    assert response.status_code == 400, response.content


def test_the_last_allowed_page_is_simply_empty(api, db):
    response = api.get_json("/categories?page=1000000")
    assert response.status_code == 200
    assert response.json()["data"] == []
