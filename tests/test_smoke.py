def test_health_answers_with_the_database(api, db):
    response = api.get_json("/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_signup_then_own_entity(api, db):
    response = api.post_json(
        "/signup",
        {
            "userEmail": "Jane@Example.org",
            "password": "1TrulySecurePassword!!",
            "entityName": "New World",
            "offers": ["Café", "3D printing"],
        },
    )
    assert response.status_code == 200, response.content
    data = response.json()["data"]
    api.token = data["token"]
    entities = api.get_json("/user/entities").json()["data"]
    assert [e["id"] for e in entities] == [data["entityID"]]
    assert entities[0]["offers"] == ["café", "3d-printing"]
    assert entities[0]["email"] == "jane@example.org"
    assert entities[0]["status"] == "pending"
