"""GET/PATCH /user, GET /user/entities, GET/PATCH /user/entities/{entityID}."""

from __future__ import annotations

import uuid

import pytest

from mccs.audit.models import AuditEntry
from mccs.directory.models import Entity
from tests.accounts.test_api_signup_login import errors_of
from tests.conftest import ApiClient

pytestmark = pytest.mark.django_db


def test_get_user_shows_own_details(member):
    member.user.first_name = "Grace"
    member.user.save()
    data = member.api.get_json("/user").json()["data"]
    assert data["id"] == str(member.user.pk)
    assert data["email"] == member.email
    assert data["firstName"] == "Grace"
    assert {"lastName", "telephone", "lastLoginIP", "lastLoginDate"} <= set(data)


def test_login_records_date_and_address(api, member):
    from tests.conftest import PASSWORD

    api.post_json("/login", {"email": member.email, "password": PASSWORD}, REMOTE_ADDR="192.0.2.7")
    data = member.api.get_json("/user").json()["data"]
    assert data["lastLoginIP"] == "192.0.2.7"
    assert data["lastLoginDate"].endswith("Z")


def test_patch_user_changes_only_given_fields(member):
    response = member.api.patch_json("/user", {"firstName": " Grace ", "telephone": "+44 1234"})
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["firstName"] == "Grace" and data["telephone"] == "+44 1234" and data["lastName"] == ""
    member.user.refresh_from_db()
    assert member.user.first_name == "Grace"
    entry = AuditEntry.objects.get(action="user.update", user_id=member.user.pk)
    assert entry.changes["first_name"] == ["", "Grace"]
    # The email is not changeable here; unknown fields are ignored as in the alpha.
    member.api.patch_json("/user", {"email": "other@example.org"})
    member.user.refresh_from_db()
    assert member.user.email == member.email


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"firstName": "x" * 101}, "at most 100"),
        ({"lastName": "x" * 101}, "at most 100"),
        ({"telephone": "1" * 26}, "at most 25"),
        ({"firstName": 7}, "firstName"),
    ],
)
def test_patch_user_refuses_bad_input(member, body, expected):
    response = member.api.patch_json("/user", body)
    assert response.status_code == 400
    assert expected in " ".join(errors_of(response))


@pytest.mark.parametrize(
    ("method", "path"), [("get", "/user"), ("patch", "/user"), ("get", "/user/entities")]
)
def test_profile_endpoints_need_a_token(api, method, path):
    response = api.call(method, path, {} if method == "patch" else None)
    assert response.status_code == 401


def test_user_entities_lists_the_members_entity(member):
    response = member.api.get_json("/user/entities")
    assert response.status_code == 200
    [entity] = response.json()["data"]
    assert entity["id"] == str(member.entity.pk)
    assert entity["status"] == "pending"
    assert entity["accountNumber"]


def test_get_and_patch_own_entity(member):
    path = f"/user/entities/{member.entity.pk}"
    assert member.api.get_json(path).json()["data"]["name"] == member.entity.name
    response = member.api.patch_json(
        path,
        {
            "name": "Babbage & Co",
            "offers": ["Difference Engines", "difference engines", "cogs"],
            "wants": ["Punch cards"],
            "incType": "ltd",
            "website": "example.org",
            "declaredTurnover": 1000,
            "receiveDailyMatchNotificationEmail": True,
        },
    )
    assert response.status_code == 200, response.content
    data = response.json()["data"]
    assert data["name"] == "Babbage & Co"
    assert data["offers"] == ["difference-engines", "cogs"]
    assert data["wants"] == ["punch-cards"]
    assert data["website"] == "https://example.org"
    assert data["declaredTurnover"] == 1000 and data["receiveDailyMatchNotificationEmail"] is True
    assert AuditEntry.objects.filter(action="entity.update", entity_id=member.entity.pk).exists()


def test_member_cannot_change_status(member):
    response = member.api.patch_json(f"/user/entities/{member.entity.pk}", {"status": "tradingAccepted"})
    assert response.status_code == 200
    assert Entity.objects.get(pk=member.entity.pk).status == "pending"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"name": "n" * 101}, "at most 100"),
        ({"email": "nope"}, "not a valid email"),
        ({"telephone": "1" * 26}, "at most 25"),
        ({"companyNumber": "1" * 21}, "at most 20"),
        ({"postalCode": "1" * 21}, "at most 20"),
        ({"city": "c" * 101}, "at most 100"),
        ({"description": "d" * 501}, "at most 500"),
        ({"incType": "xyz"}, "incorporation type"),
        ({"offers": ["o"] + [f"t{i}" for i in range(10)]}, "At most 10"),
        ({"declaredTurnover": 1.5}, "declaredTurnover"),
    ],
)
def test_patch_entity_refuses_bad_input(member, body, expected):
    response = member.api.patch_json(f"/user/entities/{member.entity.pk}", body)
    assert response.status_code == 400
    assert expected.lower() in " ".join(errors_of(response)).lower()


@pytest.mark.parametrize("method", ["get", "patch"])
def test_another_members_entity_is_not_found(make_member, method):
    me, other = make_member(), make_member()
    response = me.api.call(
        method, f"/user/entities/{other.entity.pk}", {"name": "Hijacked"} if method == "patch" else None
    )
    assert response.status_code == 404
    assert errors_of(response)
    assert Entity.objects.get(pk=other.entity.pk).name != "Hijacked"


@pytest.mark.parametrize("entity_id", ["not-a-uuid", str(uuid.uuid4())])
def test_unknown_entity_is_not_found(member, entity_id):
    assert member.api.get_json(f"/user/entities/{entity_id}").status_code == 404


def test_entity_endpoints_need_a_token(member):
    path = f"/user/entities/{member.entity.pk}"
    assert ApiClient().get_json(path).status_code == 401
    assert ApiClient("bad").patch_json(path, {"name": "x"}).status_code == 401


def test_website_that_grows_past_its_limit_with_the_scheme_is_refused(member):
    response = member.api.patch_json(f"/user/entities/{member.entity.pk}", {"website": "a" * 246 + ".org"})
    assert response.status_code == 400
    assert "at most 255" in response.json()["errors"][0]["message"]
