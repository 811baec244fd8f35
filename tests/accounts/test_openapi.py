"""The OpenAPI document and the interactive docs, served without internet; the committed copy stays current."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.test import Client

from mccs.cli import openapi_document

pytestmark = pytest.mark.django_db
COMMITTED = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
ACCOUNT_PATHS = [
    "/signup",
    "/login",
    "/logout",
    "/password-reset",
    "/password-reset/{token}",
    "/password-change",
    "/user",
    "/user/entities",
    "/user/entities/{entityID}",
    "/health",
    "/admin/login",
]


def test_openapi_document_is_served_and_lists_the_account_endpoints():
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in ACCOUNT_PATHS:
        assert f"/api/v1{path}" in paths, path
    login = paths["/api/v1/login"]["post"]
    assert {"200", "400", "429"} <= set(login["responses"])
    assert (
        "bearer" in json.dumps(paths["/api/v1/user"]["get"]["security"]).lower()
        or paths["/api/v1/user"]["get"]["security"]
    )


def test_docs_page_loads_everything_from_this_server():
    client = Client()
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html), (
        "the docs page must not load from the internet"
    )
    assets = re.findall(r"""(?:src|href)=["'](/static/[^"']+)""", html)
    assert any(a.endswith(".js") for a in assets) and any(a.endswith(".css") for a in assets)
    for asset in assets:
        served = client.get(asset)
        assert served.status_code == 200, asset


def test_committed_openapi_document_matches_the_code():
    """If this fails, an endpoint changed: run `mccs export-openapi` (or `make openapi`) and commit docs/openapi.json."""
    assert COMMITTED.exists(), "docs/openapi.json is missing: run `mccs export-openapi`"
    expected = openapi_document()
    if COMMITTED.read_text(encoding="utf-8") != expected:
        committed = json.loads(COMMITTED.read_text(encoding="utf-8"))
        current = json.loads(expected)
        added = sorted(set(current["paths"]) - set(committed["paths"]))
        removed = sorted(set(committed["paths"]) - set(current["paths"]))
        pytest.fail(
            "docs/openapi.json is out of date; run `mccs export-openapi` (or `make openapi`) and commit it. "
            f"Paths added: {added}; paths removed: {removed}; other differences are in schemas or operations."
        )


def test_export_openapi_command_writes_the_document(tmp_path):
    from mccs.cli import main

    target = tmp_path / "openapi.json"
    assert main(["export-openapi", "--output", str(target)]) == 0
    assert json.loads(target.read_text())["info"]["title"] == "MCCS API"
