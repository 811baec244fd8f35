"""docs/architecture.md names every module in its app's rows, so a newcomer finds where each thing lives from one
page."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PLUMBING = {"__init__.py", "apps.py", "models.py", "admin.py"}  # described once, for every app


def rows_by_app(page: str) -> dict[str, str]:
    """The module table's text per app: a row whose first cell is empty continues the app above it."""
    table = page.split("## Where things are", 1)[1]
    found: dict[str, str] = {}
    app = ""
    for line in table.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if not line.startswith("|") or len(cells) < 3 or set(cells[0]) <= {"-"} and cells[0]:
            continue
        app = cells[0] or app
        found[app] = found.get(app, "") + " ".join(cells[1:]) + "\n"
    return found


def test_every_module_is_named_in_its_apps_rows():
    rows = rows_by_app((ROOT / "docs" / "architecture.md").read_text())
    rows["the node"] = rows.get("the node", "")
    missing = []
    for path in sorted((ROOT / "mccs").rglob("*.py")):
        relative = path.relative_to(ROOT / "mccs")
        if "migrations" in relative.parts or path.name in PLUMBING:
            continue
        app = relative.parts[0] if len(relative.parts) > 1 else "the node"
        text = rows.get(app, "")
        if (
            app in {"web", "api"} and len(relative.parts) > 2
        ):  # views/, routers/, templatetags/: named as folders
            if f"{relative.parts[1]}/" not in text:
                missing.append(str(relative))
            continue
        within_app = "/".join(relative.parts[1:])
        if not any(f"`{name}`" in text for name in (path.name, within_app, f"mccs/{relative}")):
            missing.append(str(relative))
    assert missing == []
