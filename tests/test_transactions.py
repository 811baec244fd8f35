"""One use-case, one durable transaction: every ``transaction.atomic`` in the domain apps is durable, unless the line
above says why not (a step of a larger use-case, or a savepoint on purpose). See docs/ledger.md, "Transactions"."""

from __future__ import annotations

import re
from pathlib import Path

import mccs

DOMAIN = ("core", "users", "directory", "matching", "ledger", "notifications", "audit", "federation")
ATOMIC = re.compile(r"transaction\.atomic\((?P<args>[^)]*)\)")


def atomic_blocks():
    root = Path(mccs.__file__).parent
    for app in DOMAIN:
        for path in sorted((root / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            lines = path.read_text().splitlines()
            for number, line in enumerate(lines, start=1):
                if match := ATOMIC.search(line):
                    yield path.relative_to(root.parent), number, match["args"], lines[number - 2]


def test_every_domain_transaction_is_durable_or_says_why_not():
    undocumented = [
        f"{path}:{number}"
        for path, number, args, previous in atomic_blocks()
        if "durable=True" not in args and not re.search(r"#\s*(Not durable|Savepoint)", previous)
    ]
    assert undocumented == []


def test_the_scan_sees_the_services():
    blocks = list(atomic_blocks())
    assert sum("durable=True" in args for _, _, args, _ in blocks) >= 20


# Files that still call select_for_update themselves instead of going through a lock module (to be emptied).
OWN_LOCKS: set[str] = set()


def test_row_locks_live_in_lock_modules():
    root = Path(mccs.__file__).parent
    elsewhere = sorted(
        str(path.relative_to(root.parent))
        for app in DOMAIN
        for path in (root / app).rglob("*.py")
        if "migrations" not in path.parts
        and path.name not in {"locks.py", "lock_objects.py"}
        and "select_for_update(" in path.read_text()
    )
    assert set(elsewhere) <= OWN_LOCKS, elsewhere
