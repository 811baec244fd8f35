"""Admin API: curated synonyms, groups of words that mean the same in directory searches (ADR 0130). An MCCS
addition to the alpha admin API (docs/api-compatibility.md)."""

from __future__ import annotations

from ninja import Query, Router, Schema

from mccs.api.auth import admin_auth
from mccs.api.pagination import paginate
from mccs.api.schemas import BODY, PARAMS, TOKEN, DataOut, PageOut, errors
from mccs.directory import synonyms
from mccs.directory.models import SynonymGroup

router = Router(tags=["Admin: Synonyms"], auth=admin_auth)


class SynonymGroupIn(Schema):
    words: list[str]


class SynonymGroupOut(Schema):
    id: str
    words: list[str]


class SynonymFilters(Schema):
    q: str | None = None
    page: int = 1
    page_size: int = 10


def group_out(group: SynonymGroup) -> dict:
    return {"id": str(group.pk), "words": group.words}


@router.get("/synonyms", response={200: PageOut[SynonymGroupOut], **errors(*PARAMS, *TOKEN)})
def synonym_list(request, filters: Query[SynonymFilters]):
    """Every synonym group, oldest first; ``q``: only the groups with a word containing it."""
    page, meta = paginate(synonyms.synonym_groups(query=filters.q or ""), filters.page, filters.page_size)
    return {"data": [group_out(group) for group in page], "meta": meta}


@router.post("/synonyms", response={200: DataOut[SynonymGroupOut], **errors(*BODY, *TOKEN)})
def synonym_create(request, payload: SynonymGroupIn):
    """Words are normalised like tags (``"Car Repair"`` becomes ``car-repair``). A group needs at least two
    different words, and a word belongs to one group at most."""
    return {"data": group_out(synonyms.synonym_group_create(actor=request.auth, words=payload.words))}


@router.put("/synonyms/{groupID}", response={200: DataOut[SynonymGroupOut], **errors(*BODY, *TOKEN, 404)})
def synonym_update(request, groupID: str, payload: SynonymGroupIn):
    """Replaces the words of the group."""
    group = synonyms.synonym_group_get(groupID)
    return {
        "data": group_out(synonyms.synonym_group_update(actor=request.auth, group=group, words=payload.words))
    }


@router.delete(
    "/synonyms/{groupID}", response={200: DataOut[SynonymGroupOut], **errors(*PARAMS, *TOKEN, 404)}
)
def synonym_delete(request, groupID: str):
    group = synonyms.synonym_group_get(groupID)
    return {"data": group_out(synonyms.synonym_group_delete(actor=request.auth, group=group))}
