"""Offer/want tag normalisation: lower case, spaces to hyphens, repeated separators collapsed.

Digits and non-ASCII letters are kept: ``Café`` → ``café``, ``3D printing`` → ``3d-printing``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from mccs.core.errors import InvalidRequest

MAX_TAG_LENGTH = 50
MAX_TAGS = 10

_SEPARATORS = re.compile(r"[\s_\-‐-―/.,;:+&]+")


def normalise_tag(raw: str) -> str:
    text = unicodedata.normalize("NFKC", str(raw)).casefold()
    text = _SEPARATORS.sub("-", text)
    kept = "".join(ch for ch in text if ch == "-" or unicodedata.category(ch)[0] in {"L", "N", "M"})
    return re.sub(r"-{2,}", "-", kept).strip("-")


def normalise_tags(values: Iterable[object], *, field: str) -> list[str]:
    """Normalise a list of offers or wants: duplicates and empty tags dropped, order kept, limits enforced."""
    if isinstance(values, str) or not isinstance(values, Iterable):
        raise InvalidRequest(f"{field} must be a list of words or short phrases.", field=field)
    result: list[str] = []
    for value in values:
        if not isinstance(value, str):
            raise InvalidRequest(f"Each of the {field} must be text.", field=field)
        tag = normalise_tag(value)
        if not tag or tag in result:
            continue
        if len(tag) > MAX_TAG_LENGTH:
            raise InvalidRequest(
                f"The {field} tag '{tag[:20]}…' is too long: at most {MAX_TAG_LENGTH} characters.",
                field=field,
            )
        if len(result) == MAX_TAGS:  # refuse at the first one too many: a huge list costs nothing more
            raise InvalidRequest(
                f"At most {MAX_TAGS} {field} are allowed; more were given.",
                code="too_many_items",
                field=field,
            )
        result.append(tag)
    return result
