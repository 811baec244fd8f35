"""Offer/want tag normalisation: lower case, spaces to hyphens, repeated separators collapsed.

Digits and non-ASCII letters are kept: ``Café`` → ``café``, ``3D printing`` → ``3d-printing``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from django.utils.translation import gettext as _

from mccs.core.errors import InvalidRequest, TooManyItems

MAX_TAG_LENGTH = 50
MAX_TAGS = 10

_SEPARATORS = re.compile(r"[\s_\-‐-―/.,;:+&]+")


def normalise_tag(raw: str) -> str:
    text = unicodedata.normalize("NFKC", str(raw)).casefold()
    text = _SEPARATORS.sub("-", text)
    kept = "".join(ch for ch in text if ch == "-" or unicodedata.category(ch)[0] in {"L", "N", "M"})
    return re.sub(r"-{2,}", "-", kept).strip("-")


def normalise_tags(values: object, *, field: str) -> list[str]:
    """Normalise a list of offers or wants: duplicates and empty tags dropped, order kept, limits enforced."""
    if isinstance(values, str) or not isinstance(values, Iterable):
        raise InvalidRequest(
            _("%(field)s must be a list of words or short phrases.") % {"field": field}, field=field
        )
    result: list[str] = []
    for value in values:
        if not isinstance(value, str):
            raise InvalidRequest(_("Each of the %(field)s must be text.") % {"field": field}, field=field)
        tag = normalise_tag(value)
        if not tag or tag in result:
            continue
        if len(tag) > MAX_TAG_LENGTH:
            raise InvalidRequest(
                _("The %(field)s tag '%(tag)s…' is too long: at most %(most)s characters.")
                % {"field": field, "tag": tag[:20], "most": MAX_TAG_LENGTH},
                field=field,
            )
        if len(result) == MAX_TAGS:  # refuse at the first one too many: a huge list costs nothing more
            raise TooManyItems(
                _("At most %(most)s %(field)s are allowed; more were given.")
                % {"most": MAX_TAGS, "field": field},
                field=field,
            )
        result.append(tag)
    return result


def tags_from_text(text: str) -> list[str]:
    """Offers and wants typed as one comma- or line-separated text (the web forms): the words, not yet normalised
    (``normalise_tags`` does that, with its limits)."""
    return [part.strip() for part in text.replace("\n", ",").split(",") if part.strip()]
