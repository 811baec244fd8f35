"""Web pages for the directory: search, categories A–Z, entity pages, favourites, contact form and matches.

They call the same selectors and services as the API (mccs.directory.search, favourites and contact).
"""

from __future__ import annotations

import string
import uuid
from collections.abc import Sequence
from typing import cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from mccs.core.errors import ApplicationError, NotFound
from mccs.directory import contact, favourites, network, search
from mccs.directory.models import Category, Entity, RemoteEntity
from mccs.directory.own_entities import web_entity_for_user
from mccs.directory.policies import can_be_contacted
from mccs.federation import directory_contact
from mccs.ledger.selectors import account_for_entity
from mccs.matching.ranking import Rank
from mccs.web.fields import suggesting_input
from mccs.web.redirects import is_safe_redirect
from mccs.web.request_types import AuthenticatedHttpRequest, HtmxHttpRequest

PAGE_SIZE = 20


def acting_entity(request: HttpRequest) -> Entity | None:
    """The signed-in member's entity (members act for one entity on the web)."""
    if not request.user.is_authenticated or request.user.is_staff:
        return None
    return web_entity_for_user(user=request.user)


class SearchForm(forms.Form):
    offers = forms.CharField(
        required=False,
        max_length=200,
        label=gettext_lazy("Offering"),
        help_text=gettext_lazy(
            "What you are looking for, e.g. vegetables or bike repair. Separate several with commas."
        ),
        widget=suggesting_input(
            datalist="tag-suggestions", url="/directory/suggestions", delay_ms=300, type="search"
        ),
    )
    wants = forms.CharField(
        required=False,
        max_length=200,
        label=gettext_lazy("Wanting"),
        help_text=gettext_lazy("Find members who want something."),
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    name = forms.CharField(
        required=False,
        max_length=100,
        label=gettext_lazy("Name"),
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    category = forms.ChoiceField(required=False, label=gettext_lazy("Category"))
    favorites_only = forms.BooleanField(required=False, label=gettext_lazy("Only my favourites"))

    def __init__(self, *args, show_favorites: bool, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["category"]).choices = [("", _("Any category"))] + [
            (category.name, category.name) for category in search.category_search()
        ]
        if not show_favorites:
            del self.fields["favorites_only"]

    def _terms(self, field: str) -> list[str]:
        try:
            return search.search_terms(self.cleaned_data.get(field), field=field)
        except ApplicationError as exc:
            raise forms.ValidationError(exc.message) from None

    def clean_offers(self) -> list[str]:
        return self._terms("offers")

    def clean_wants(self) -> list[str]:
        return self._terms("wants")


def _page_number(request: HttpRequest) -> int:
    try:
        return max(1, int(request.GET.get("page", "1")))
    except ValueError:
        return 1


# How a result matched the search, as a member reads it after "Matched:" (the API's ``matchedBy`` words).
MATCHED_BY = {
    Rank.EXACT: gettext_lazy("the same word"),
    Rank.INFLECTION: gettext_lazy("another form of the word"),
    Rank.WILDCARD: gettext_lazy("part of the tag"),
    Rank.SYNONYM: gettext_lazy("similar meaning"),
    Rank.FUZZY: gettext_lazy("similar spelling"),
}


def _cards(
    entities: list[Entity | RemoteEntity], me: Entity | None, wanted: search.EntitySearch | None = None
) -> list[dict]:
    favorites = favourites.favorite_ids(me, [e.pk for e in entities if isinstance(e, Entity)])
    explained = network.matched_terms_any(wanted, entities) if wanted is not None else {}
    return [
        {
            "entity": e,
            "is_favorite": e.pk in favorites,
            "matched": [
                {"tag": m.tag, "term": m.term, "same": m.tag == m.term, "how": MATCHED_BY[m.by]}
                for m in explained.get(e.pk, [])
            ],
        }
        for e in entities
    ]


def directory_search(request: HtmxHttpRequest) -> HttpResponse:
    me = acting_entity(request)
    form = SearchForm(request.GET or None, show_favorites=me is not None)
    context: dict[str, object] = {"form": form, "me": me, "searched": bool(request.GET)}
    if form.is_bound and not form.is_valid():
        return render(request, "web/directory/search.html", context, status=400)
    data = form.cleaned_data if form.is_bound else {}
    wanted = search.EntitySearch(
        offers=data.get("offers"),
        wants=data.get("wants"),
        name=data.get("name"),
        category=data.get("category"),
        favorites_of=me if data.get("favorites_only") else None,
    )
    # Members of this node and of the network directory, ranked together (NetworkResults counts and slices).
    number = _page_number(request)
    results = network.NetworkResults(wanted, first=((number - 1) * PAGE_SIZE, number * PAGE_SIZE))
    paginator: Paginator = Paginator(cast(Sequence, results), PAGE_SIZE)
    page = paginator.get_page(number)
    query = request.GET.copy()
    query.pop("page", None)
    cards = _cards(list(page.object_list), me, wanted)
    context.update(page=page, cards=cards, query=query.urlencode(), exact=results.total.exact)
    template = "web/directory/_results.html" if request.htmx else "web/directory/search.html"
    return render(request, template, context)


def categories(request: HttpRequest) -> HttpResponse:
    """Categories A–Z, like the headings of a telephone directory."""
    groups: dict[str, list[Category]] = {}
    for category in search.category_search():
        letter = category.name[:1].upper()
        groups.setdefault(letter if letter in string.ascii_uppercase else "#", []).append(category)
    return render(request, "web/directory/categories.html", {"groups": groups, "letters": list(groups)})


class ContactForm(forms.Form):
    body = forms.CharField(
        label=gettext_lazy("Your message"),
        min_length=contact.MIN_MESSAGE_LENGTH,
        max_length=contact.MAX_MESSAGE_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy(
            "Sent by email. They see your entity's email address so they can reply; you do not see theirs."
        ),
    )


def _entity_or_404(entity_id: uuid.UUID) -> Entity:
    return search.listed_entity(entity_id)


def entity_detail(
    request: HttpRequest, entity_id: uuid.UUID, *, form: ContactForm | None = None, status: int = 200
) -> HttpResponse:
    try:
        entity = _entity_or_404(entity_id)
    except NotFound:
        return _remote_entity_detail(request, entity_id, form=form, status=status)
    me = acting_entity(request)
    form = form or ContactForm()
    show_email = search.email_visible(me, entity)
    if show_email:
        # Their address is on this page already: do not claim it is hidden.
        form.fields["body"].help_text = _(
            "Sent by email. They see your entity's email address, so they can reply."
        )
    context = {
        "entity": entity,
        "me": me,
        "is_me": me is not None and me.pk == entity.pk,
        "is_favorite": entity.pk in favourites.favorite_ids(me, [entity.pk]),
        "show_email": show_email,
        "can_contact": me is not None and can_be_contacted(me) and me.pk != entity.pk,
        "form": form,
        "pay_number": _pay_number(me, entity),
    }
    return render(request, "web/directory/entity.html", context, status=status)


def _remote_entity_detail(
    request: HttpRequest, entity_id: uuid.UUID, *, form: ContactForm | None, status: int
) -> HttpResponse:
    """A member of another node, from this node's copy of the network directory: pay or bill it by its Credit
    Commons path, or write to it (the message is relayed to its node, which emails it)."""
    try:
        entity = network.remote_entity(entity_id)
    except NotFound:
        return render(request, "web/directory/not_found.html", status=404)
    me = acting_entity(request)
    context = {
        "entity": entity,
        "me": me,
        "can_contact": me is not None and can_be_contacted(me),
        "form": form or ContactForm(),
        "pay_path": entity.account_path if me is not None and me.can_trade and entity.can_trade else None,
    }
    return render(request, "web/directory/remote_entity.html", context, status=status)


def _pay_number(me, entity) -> str | None:
    """The account number to pay or bill from this page: only between two members who may trade."""
    if me is None or me.pk == entity.pk or not (me.can_trade and entity.can_trade):
        return None
    account = account_for_entity(entity)
    return account.number if account else None


@login_required
@require_POST
def favorite_toggle(request: AuthenticatedHttpRequest, entity_id: uuid.UUID) -> HttpResponse:
    me = acting_entity(request)
    if me is None:
        return redirect("web:directory_entity", entity_id=entity_id)
    is_favorite = request.POST.get("is_favorite") == "true"
    try:
        favourites.favorite_set(actor=request.user, entity=me, favorite_id=entity_id, is_favorite=is_favorite)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("web:directory_entity", entity_id=entity_id)
    if request.htmx:
        return render(
            request,
            "web/directory/_favorite.html",
            {"entity": _entity_or_404(entity_id), "is_favorite": is_favorite},
        )
    target = request.POST.get("next", "")
    if not is_safe_redirect(request, target):
        target = f"/directory/entities/{entity_id}"
    return redirect(target)


@login_required
@require_POST
def contact_send(request: AuthenticatedHttpRequest, entity_id: uuid.UUID) -> HttpResponse:
    me = acting_entity(request)
    form = ContactForm(request.POST)
    if me is None:
        form.add_error(None, _("Only members can send messages."))
    if not form.is_valid() or me is None:  # (no acting entity has made the form invalid already)
        return entity_detail(request, entity_id, form=form, status=400)
    try:
        directory_contact.contact_send_anywhere(
            actor=request.user, sender=me, receiver_id=entity_id, body=form.cleaned_data["body"]
        )
    except ApplicationError as exc:
        form.add_error("body" if exc.field == "body" else None, exc.message)
        code = {"throttled": 429, "unavailable": 503}.get(exc.code, 400)
        return entity_detail(request, entity_id, form=form, status=code)
    messages.success(request, _("Your message was sent. They will reply by email if they are interested."))
    return redirect("web:directory_entity", entity_id=entity_id)


def _matches_context(request: AuthenticatedHttpRequest) -> dict[str, object]:
    me = acting_entity(request)
    if me is None:
        return {"me": None}
    matches, since = network.network_matches_for_dashboard(me, request.user)  # members anywhere in the tree
    return {"me": me, "matches": matches, "since": since}


@login_required
def matches(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(request, "web/directory/matches.html", _matches_context(request))


@login_required
def matches_panel(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(request, "web/directory/_matches.html", _matches_context(request))


def tag_suggestions(request: HttpRequest) -> HttpResponse:
    """Autocomplete options for the search box (an htmx partial filling a <datalist>)."""
    typed = request.GET.get("offers") or request.GET.get("fragment") or ""
    try:
        tags = search.tag_search(typed)[:10] if typed else []
    except ApplicationError:  # more terms than a search takes: the search form says so when it is sent
        tags = []
    return render(request, "web/directory/_suggestions.html", {"tags": tags})
