"""The alpha spec's page/page_size pagination with a ``meta`` block."""

from __future__ import annotations

from django.utils import formats
from django.utils.translation import gettext as _

from mccs.api.schemas import page_meta
from mccs.core.errors import InvalidRequest

MAX_PAGE_SIZE = 100
# Far beyond any real listing, and keeps OFFSET inside what every database accepts.
MAX_PAGE = 1_000_000


def page_bounds(page: int, page_size: int) -> tuple[int, int]:
    if not 1 <= page <= MAX_PAGE:
        raise InvalidRequest(
            _("page must be between 1 and %(most)s.")
            % {"most": formats.number_format(MAX_PAGE, use_l10n=True, force_grouping=True)},
            field="page",
        )
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise InvalidRequest(
            _("page_size must be between 1 and %(most)s.") % {"most": MAX_PAGE_SIZE}, field="page_size"
        )
    start = (page - 1) * page_size
    return start, start + page_size


def paginate(queryset_or_list, page: int, page_size: int):
    """Returns (items on this page, meta)."""
    start, end = page_bounds(page, page_size)
    total = (
        queryset_or_list.count()
        if hasattr(queryset_or_list, "count") and not isinstance(queryset_or_list, list)
        else len(queryset_or_list)
    )
    return list(queryset_or_list[start:end]), page_meta(total, page_size)
