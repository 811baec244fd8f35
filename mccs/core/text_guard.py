"""Text that no database can store: a NUL character is refused at the door with a clear message.

PostgreSQL cannot store NUL in text at all, SQLite would keep it and mislead every later comparison; either way it
is never meaningful in names, tags, messages or passwords.
"""

from __future__ import annotations

from mccs.core.errors import InvalidRequest

NUL_MESSAGE = "Text must not contain NUL (\\u0000) characters."


def contains_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(contains_nul(k) or contains_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(contains_nul(v) for v in value)
    return False


def refuse_nul(value: object) -> None:
    if contains_nul(value):
        raise InvalidRequest(NUL_MESSAGE, code="nul_character")
