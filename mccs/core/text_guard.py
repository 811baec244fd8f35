"""Text guards. Text that no database can store is refused at the door with a clear message.

A NUL character: PostgreSQL cannot store it in text at all, SQLite would keep it and mislead every later comparison.
A lone surrogate (``"\\udc80"`` in JSON, half of a UTF-16 pair): it is not a character, cannot be encoded as UTF-8,
and would fail at the database or when the answer is written. Neither is ever meaningful in names, tags, messages
or passwords. Names (of entities and users) are also refused any character that is not seen but changes what is
seen around it, so that nobody can pass for somebody else on screen (ADR 0050).
"""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from mccs.core.errors import InvalidRequest

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

NUL_MESSAGE = gettext_noop("Text must not contain NUL (\\u0000) characters.")
SURROGATE_MESSAGE = gettext_noop(
    "Text must be valid Unicode: a lone surrogate (such as \\udc80, half of a UTF-16 pair) is not a character."
)


def _fault(text: str) -> InvalidRequest | None:
    if "\x00" in text:
        return InvalidRequest(_(NUL_MESSAGE), code="nul_character")
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return InvalidRequest(_(SURROGATE_MESSAGE), code="invalid_unicode")
    return None


def _first_fault(value: object) -> InvalidRequest | None:
    if isinstance(value, str):
        return _fault(value)
    if isinstance(value, dict):
        for key, item in value.items():
            if fault := _first_fault(key) or _first_fault(item):
                return fault
    elif isinstance(value, list | tuple):
        for item in value:
            if fault := _first_fault(item):
                return fault
    return None


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
        raise InvalidRequest(_(NUL_MESSAGE), code="nul_character")


# Control characters (Cc: CR, LF, tab, …), format characters (Cf: the bidirectional overrides and isolates
# U+202A-202E and U+2066-2069, the marks U+200E/200F, zero-width space, non-joiner and joiner U+200B-200D, word
# joiner U+2060, byte-order mark U+FEFF, soft hyphen, …) and the line and paragraph separators (Zl, Zp).
NAME_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})


def name_refused_character(value: str) -> str | None:
    """The first character of ``value`` that a name may not contain, or None."""
    return next((ch for ch in value if unicodedata.category(ch) in NAME_REFUSED_CATEGORIES), None)


def name_check(value: str, *, label: StrOrPromise, field: str) -> str:
    """``value`` unchanged, or InvalidRequest (code ``invalid_character``) naming the character at fault."""
    refused = name_refused_character(value)
    if refused is not None:
        what = unicodedata.name(refused, "a control character").lower()
        raise InvalidRequest(
            _(
                "The %(label)s contains a character that is not allowed in names (%(code)s, %(character)s). "
                "Names cannot contain line breaks, tabs, control characters or invisible formatting characters "
                "such as right-to-left overrides or zero-width spaces."
            )
            % {"label": label, "code": f"U+{ord(refused):04X}", "character": what},
            code="invalid_character",
            field=field,
        )
    return value


def refuse_unstorable_text(value: object) -> None:
    """Refuses a NUL or a lone surrogate anywhere in a decoded JSON value, keys included. In an object, the error
    names the top-level key whose value holds it (never a key that is itself at fault: it could not be written
    back)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if fault := _first_fault(key):
                raise fault
            if fault := _first_fault(item):
                fault.field = key
                raise fault
    elif fault := _first_fault(value):
        raise fault
