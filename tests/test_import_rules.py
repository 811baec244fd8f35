"""What import-linter cannot say: it forbids only whole external packages, not ``django.http``. Domain apps never
handle HTTP requests or answers; the one exception is the Credit Commons protocol's own adapter, whose views are
the federation app's wire interface (docs/architecture.md)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

MCCS = Path(__file__).resolve().parents[1] / "mccs"
DOMAIN_APPS = ["core", "users", "directory", "matching", "ledger", "federation", "notifications", "audit"]
WIRE_ADAPTERS = {"federation/views.py"}


def imported_modules(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


@pytest.mark.parametrize("app", DOMAIN_APPS)
def test_domain_apps_do_not_import_django_http(app):
    offending = [
        str(path.relative_to(MCCS))
        for path in sorted((MCCS / app).rglob("*.py"))
        if str(path.relative_to(MCCS)) not in WIRE_ADAPTERS
        and any(m == "django.http" or m.startswith("django.http.") for m in imported_modules(path))
    ]
    assert offending == []


def test_the_check_sees_an_import_of_django_http():
    assert "django.http" in imported_modules(MCCS / "federation" / "views.py")
