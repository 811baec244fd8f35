"""Find Entities: directory search, tags, categories, favourites and the private contact relay."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Router, Schema
from pydantic import StrictBool

from mccs.api.auth import member_auth, optional_member_auth
from mccs.api.entities import EntityOut, entity_public_fields, remote_entity_out
from mccs.api.pagination import page_bounds, paginate
from mccs.api.schemas import BODY, PARAMS, TOKEN, DataOut, PageOut, SearchPageOut, errors, search_meta
from mccs.core.errors import InvalidRequest, NotAuthenticated, NotFound
from mccs.directory import favourites, network, search
from mccs.directory.models import Entity, EntityTag, RemoteEntity
from mccs.directory.own_entities import acting_entity
from mccs.federation import directory_contact

router = Router(tags=["Find Entities"])
_FIELDS: dict[str, str] = {EntityTag.Kind.OFFER: "offers", EntityTag.Kind.WANT: "wants"}


class TagOut(Schema):
    id: str
    name: str


class MatchedTermOut(Schema):
    term: str
    tag: str
    by: str
    field: str


if TYPE_CHECKING:

    class DirectoryEntityOut(Schema): ...

else:

    class DirectoryEntityOut(EntityOut):
        """An entity in the directory; with an ``offers``/``wants`` search, also why it was found."""

        matchedBy: str | None = None
        matchedTerms: list[MatchedTermOut] | None = None


class CategoryOut(Schema):
    id: str
    name: str


class FavoriteIn(Schema):
    addToEntityID: str
    favoriteEntityID: str
    isFavorite: StrictBool


class SendEmailIn(Schema):
    senderEntityID: str
    receiverEntityID: str
    body: str


def _querying_entity(request, querying_entity_id: str | None) -> Entity | None:
    """The caller's own entity named by ``querying_entity_id``: needs a token, and must be theirs (403)."""
    if not querying_entity_id:
        return None
    if not request.user.is_authenticated:
        raise NotAuthenticated(_("querying_entity_id needs you to be signed in: send your bearer token."))
    return acting_entity(actor=request.user, entity_id=querying_entity_id, field="querying_entity_id")


def _directory_out(entity: Entity, querying: Entity | None, favorites: set) -> dict:
    data = entity_public_fields(entity, include_email=search.email_visible(querying, entity))
    data["isFavorite"] = entity.pk in favorites
    return data


@router.get(
    "/entities",
    response={200: SearchPageOut[DirectoryEntityOut], **errors(*PARAMS, *TOKEN)},
    auth=optional_member_auth,
    exclude_none=True,
)
def entities_list(
    request,
    offers: str | None = None,
    wants: str | None = None,
    category: str | None = None,
    tagged_since: str | None = None,
    name: str | None = None,
    favorites_only: bool = False,
    querying_entity_id: str | None = None,
    page: int = 1,
    page_size: int = 10,
):
    """Listed entities matching the filters. ``offers``/``wants`` are comma-separated terms that match tags exactly,
    as another form of the word, as part of a tag, by meaning or despite a typo; exact matches come first. With
    ``offers`` or ``wants``, each result says how it matched: ``matchedBy`` (its best match: ``exact``,
    ``inflection``, ``wildcard``, ``synonym`` or ``fuzzy``) and ``matchedTerms`` (each of its tags that matched,
    with the term and how). With federation on, listed entities of other nodes that share their directory come
    too, ranked alike, each with ``node`` and ``accountPath`` (the Credit Commons path that pays it) and never an
    email. ``meta.numberOfResultsExact`` is false when a broad search finds more than 10,000 entities: then there
    are more than ``numberOfResults`` (10,000), and pages past ``totalPages`` still answer."""
    querying = _querying_entity(request, querying_entity_id)
    if favorites_only and querying is None:
        raise InvalidRequest(
            _("favorites_only needs querying_entity_id: the entity whose favourites to list."),
            field="favorites_only",
        )
    start, end = page_bounds(page, page_size)
    wanted = search.EntitySearch(
        offers=offers,
        wants=wants,
        category=category,
        tagged_since=search.parse_since(tagged_since),
        name=name,
        favorites_of=querying if favorites_only else None,
    )
    hits, total = network.network_search_page(wanted, start=start, end=end)
    meta = search_meta(total.value, page_size, exact=total.exact)
    entities = network.hits_load(hits, with_accounts=True, names_only=True)
    favorites = favourites.favorite_ids(querying, [h.id for h in hits if not h.remote])
    explained = network.matched_terms_any(wanted, entities)
    data = []
    for entity in entities:
        out = (
            remote_entity_out(entity)
            if isinstance(entity, RemoteEntity)
            else _directory_out(entity, querying, favorites)
        )
        if matched := explained.get(entity.pk):
            out["matchedBy"] = matched[0].by.label
            out["matchedTerms"] = [
                {"term": m.term, "tag": m.tag, "by": m.by.label, "field": _FIELDS[m.kind]} for m in matched
            ]
        data.append(out)
    return {"data": data, "meta": meta}


@router.get(
    "/entities/{entityID}",
    response={200: DataOut[EntityOut], **errors(*PARAMS, *TOKEN, 404)},
    auth=optional_member_auth,
    exclude_none=True,
)
def entity_get(request, entityID: str, querying_entity_id: str | None = None):
    querying = _querying_entity(request, querying_entity_id)
    try:
        entity = search.listed_entity(entityID)
    except NotFound:
        return {"data": remote_entity_out(network.remote_entity(entityID))}
    return {"data": _directory_out(entity, querying, favourites.favorite_ids(querying, [entity.pk]))}


@router.get("/tags", response={200: PageOut[TagOut], **errors(*PARAMS)}, auth=None)
def tags_list(request, fragment: str | None = None, page: int = 1, page_size: int = 10):
    """All tags A–Z, or the tags matching ``fragment`` (exactly, another form of a word, a word starting with it, a
    typo), best first."""
    items, meta = paginate(search.tag_search(fragment), page, page_size)
    return {"data": [{"id": str(t.id), "name": t.name} for t in items], "meta": meta}


@router.get("/categories", response={200: PageOut[CategoryOut], **errors(*PARAMS)}, auth=None)
def categories_list(
    request, prefix: str | None = None, fragment: str | None = None, page: int = 1, page_size: int = 10
):
    items, meta = paginate(search.category_search(prefix=prefix, fragment=fragment), page, page_size)
    return {"data": [{"id": str(c.id), "name": c.name} for c in items], "meta": meta}


@router.post("/favorites", response={200: None, **errors(*BODY, *TOKEN, 404)}, auth=member_auth)
def favorites_set(request, payload: FavoriteIn):
    """Mark (``isFavorite: true``) or unmark a listed entity as a favourite of one of your entities."""
    entity = acting_entity(actor=request.auth, entity_id=payload.addToEntityID, field="addToEntityID")
    favourites.favorite_set(
        actor=request.auth,
        entity=entity,
        favorite_id=payload.favoriteEntityID,
        is_favorite=payload.isFavorite,
    )
    return HttpResponse(status=200)


@router.post("/send-email", response={200: None, **errors(*BODY, *TOKEN, 404, 429, 503)}, auth=member_auth)
def send_email(request, payload: SendEmailIn):
    """Email a listed entity without learning its address; your entity's address is its Reply-To. A member of
    another node (an id from the network directory) gets it through its node; 503 when that node cannot be
    reached just now (nothing was sent, and it does not count against your hourly limit)."""
    sender = acting_entity(actor=request.auth, entity_id=payload.senderEntityID, field="senderEntityID")
    directory_contact.contact_send_anywhere(
        actor=request.auth, sender=sender, receiver_id=payload.receiverEntityID, body=payload.body
    )
    return HttpResponse(status=200)
