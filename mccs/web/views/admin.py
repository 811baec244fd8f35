"""Web pages for administrators at /admin/: the approval queue, entities, users, limits, categories and tags,
transfers and the audit log. Staff only; every page works as a full navigation, htmx only swaps rows.

Each view validates a form and calls the same service as the admin API; domain errors become form errors.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import partial, wraps
from typing import cast
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from mccs.audit.selectors import audit_category, audit_detail, audit_search
from mccs.core.amount import Amount
from mccs.core.errors import ApplicationError, NotFound
from mccs.directory import curation
from mccs.directory import status as entity_status
from mccs.directory.fields import MEMBER_EDITABLE_FIELDS
from mccs.directory.models import Category, EntityStatus, Tag
from mccs.directory.search import category_search
from mccs.ledger import administration
from mccs.ledger.idempotency import Idempotency
from mccs.ledger.selectors import (
    admin_entity_get,
    admin_entity_search,
    admin_user_get,
    admin_user_search,
    approval_queue,
    transfer_get,
    transfer_list,
)
from mccs.matching.normalise import tags_from_text
from mccs.web.fields import AmountField, entity_form_field
from mccs.web.request_types import AuthenticatedHttpRequest
from mccs.web.templatetags.mccs_web import STATUS_LABELS, status_label
from mccs.web.views.accounts import Form, form_error

PAGE_SIZE = 25
STATUS_CHOICES = [(s.value, STATUS_LABELS[s.value]) for s in EntityStatus]


def staff_required(view):
    """Signed-out visitors go to the sign-in page (staff sign in there too); members get 403."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect(f"{reverse('web:login')}?{urlencode({'next': request.get_full_path()})}")
        if not request.user.is_staff:
            return HttpResponseForbidden(_("Administrators only."))
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404(exc.message) from None

    return wrapped


def _page(request: HttpRequest, items):
    return Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))


def _query_without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


# --- dashboard and approval queue -------------------------------------------------------------------------------


@staff_required
def dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    queue = approval_queue()
    return render(
        request,
        "web/admin/dashboard.html",
        {
            "queue": queue,
            "recent": audit_search()[:10],
        },
    )


# What accepting or rejecting means for each waiting status.
@staff_required
@require_POST
def entity_decide(request: AuthenticatedHttpRequest, entity_id: str) -> HttpResponse:
    """One click from the queue: accept or reject the application the entity is waiting on."""
    entity = admin_entity_get(entity_id=entity_id)
    target = entity_status.entity_decide(
        actor=request.user, entity=entity, decision=request.POST.get("decision", "")
    )
    if target is None:
        message = _("%(name)s is no longer waiting for a decision (status: %(status)s).") % {
            "name": entity,
            "status": status_label(entity.status),
        }
    else:
        message = _("%(name)s is now: %(status)s.") % {"name": entity, "status": status_label(target)}
    if request.htmx:
        return render(request, "web/admin/_queue_row_done.html", {"entity": entity, "message": message})
    messages.success(request, message)
    return redirect("web:admin_dashboard")


class FilterForm(Form):
    """A search or filter form of the admin pages: every field may be left empty (an empty field filters nothing)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False


# --- entities ---------------------------------------------------------------------------------------------------


class EntitySearchForm(FilterForm):
    name = forms.CharField(label=gettext_lazy("Name"))
    email = forms.CharField(label=gettext_lazy("Email"))
    account_number = forms.CharField(label=gettext_lazy("Account number"))
    status = forms.ChoiceField(
        label=gettext_lazy("Status"), choices=[("", gettext_lazy("any")), *STATUS_CHOICES]
    )
    offers = forms.CharField(label=gettext_lazy("Offers"))
    wants = forms.CharField(label=gettext_lazy("Wants"))
    category = forms.CharField(label=gettext_lazy("Category"))
    city = forms.CharField(label=gettext_lazy("City"))


@staff_required
def entity_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = EntitySearchForm(request.GET or None)
    entities = admin_entity_search()
    if form.is_bound and form.is_valid():
        try:
            entities = admin_entity_search(**form.cleaned_data)
        except ApplicationError as exc:
            form_error(form, exc)
    page = _page(request, entities)
    rows = [{"entity": e, "balance": _balance(e)} for e in page]
    context = {"form": form, "page": page, "rows": rows, "query": _query_without_page(request)}
    return render(request, "web/admin/entities.html", context, status=400 if form.errors else 200)


def _balance(entity):
    account = getattr(entity, "account", None)
    return account.balance if account is not None else None


class EntityForm(Form):
    name = entity_form_field("name")
    email = entity_form_field("email", label=gettext_lazy("Entity email"))
    telephone = entity_form_field("telephone")
    website = entity_form_field("website")
    description = entity_form_field("description", widget=forms.Textarea)
    address = entity_form_field("address")
    city = entity_form_field("city")
    region = entity_form_field("region")
    postal_code = entity_form_field("postal_code")
    country = entity_form_field("country")
    offers = entity_form_field("offers", help_text=gettext_lazy("Comma-separated."))
    wants = entity_form_field("wants", help_text=gettext_lazy("Comma-separated."))
    status = forms.ChoiceField(
        choices=STATUS_CHOICES,
        label=gettext_lazy("Status"),
        help_text=gettext_lazy("The member is emailed when it changes."),
    )
    categories = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, label=gettext_lazy("Categories")
    )
    max_positive_balance = AmountField(allow_zero=True, label=gettext_lazy("Maximum positive balance"))
    max_negative_balance = AmountField(allow_zero=True, label=gettext_lazy("Maximum negative balance"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["categories"]).choices = [
            (c.name, c.name) for c in category_search()
        ]


ENTITY_FORM_ERRORS = {
    "maxPositiveBalance": "max_positive_balance",
    "maxNegativeBalance": "max_negative_balance",
}


def _entity_initial(entity) -> dict:
    account = getattr(entity, "account", None)
    return {
        **{name: getattr(entity, name) for name in EntityForm.base_fields if name in MEMBER_EDITABLE_FIELDS},
        "status": entity.status,
        "offers": ", ".join(entity.offers),
        "wants": ", ".join(entity.wants),
        "categories": [c.name for c in entity.categories.all()],
        "max_positive_balance": Amount(account.max_positive_balance) if account else None,
        "max_negative_balance": Amount(account.max_negative_balance) if account else None,
    }


@staff_required
def entity_detail(request: AuthenticatedHttpRequest, entity_id: str) -> HttpResponse:
    entity = admin_entity_get(entity_id=entity_id)
    initial = _entity_initial(entity)
    form = EntityForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = {**form.cleaned_data, **{k: tags_from_text(form.cleaned_data[k]) for k in ("offers", "wants")}}
        save = partial(administration.admin_entity_update, actor=request.user, entity=entity)
        if _changes_saved(form, initial=initial, data=data, save=save, fields=ENTITY_FORM_ERRORS):
            messages.success(request, _("%(name)s has been saved.") % {"name": entity})
            return redirect("web:admin_entity", entity_id=entity.pk)
    context = {
        "entity": entity,
        "form": form,
        "balance": _balance(entity),
        "history": audit_search(entity_id=str(entity.pk))[:20],
        "pending": _pending_transfers(entity),
    }
    return render(request, "web/admin/entity.html", context, status=400 if request.method == "POST" else 200)


def _changes_saved(
    form: Form,
    *,
    initial: dict,
    data: dict,
    save: Callable[..., object],
    fields: dict[str, str] | None = None,
) -> bool:
    """An edit page's valid POST: the values that differ from ``initial`` go to ``save`` (a service that takes
    ``changes``); a refusal lands on the form (``fields`` maps the service's field names to the form's)."""
    try:
        save(changes={k: v for k, v in data.items() if v != initial.get(k)})
    except ApplicationError as exc:
        form_error(form, exc, fields)
        return False
    return True


def _pending_transfers(entity):
    account = getattr(entity, "account", None)
    if account is None:
        return []
    return transfer_list(status="initiated").filter(Q(payer=account) | Q(payee=account))


@staff_required
@require_POST
def entity_delete(request: AuthenticatedHttpRequest, entity_id: str) -> HttpResponse:
    entity = admin_entity_get(entity_id=entity_id)
    try:
        administration.admin_entity_delete(actor=request.user, entity=entity)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("web:admin_entity", entity_id=entity_id)
    messages.success(request, _("%(name)s has been deleted.") % {"name": entity})
    return redirect("web:admin_entities")


# --- users ------------------------------------------------------------------------------------------------------


class UserSearchForm(FilterForm):
    last_name = forms.CharField(label=gettext_lazy("Last name"))
    email = forms.CharField(label=gettext_lazy("Email"))


class UserForm(Form):
    email = forms.EmailField(
        max_length=254,
        label=gettext_lazy("Email"),
        help_text=gettext_lazy("Changing it signs the member out everywhere."),
    )
    first_name = forms.CharField(max_length=100, required=False, label=gettext_lazy("First name"))
    last_name = forms.CharField(max_length=100, required=False, label=gettext_lazy("Last name"))
    telephone = forms.CharField(max_length=25, required=False, label=gettext_lazy("Telephone"))


@staff_required
def user_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = UserSearchForm(request.GET or None)
    users = admin_user_search(**(form.cleaned_data if form.is_bound and form.is_valid() else {}))
    return render(
        request,
        "web/admin/users.html",
        {
            "form": form,
            "page": _page(request, users),
            "query": _query_without_page(request),
        },
    )


@staff_required
def user_detail(request: AuthenticatedHttpRequest, user_id: str) -> HttpResponse:
    user = admin_user_get(user_id=user_id)
    initial = {name: getattr(user, name) for name in UserForm.base_fields}
    form = UserForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        save = partial(administration.admin_user_update, actor=request.user, user=user)
        if _changes_saved(form, initial=initial, data=form.cleaned_data, save=save):
            messages.success(request, _("%(email)s has been saved.") % {"email": user.email})
            return redirect("web:admin_user", user_id=user.pk)
    context = {"member": user, "form": form, "history": audit_search(user_id=str(user.pk))[:20]}
    return render(request, "web/admin/user.html", context, status=400 if request.method == "POST" else 200)


@staff_required
@require_POST
def user_delete(request: AuthenticatedHttpRequest, user_id: str) -> HttpResponse:
    user = admin_user_get(user_id=user_id)
    email = user.email
    _user, deleted = administration.admin_user_delete(actor=request.user, user=user)
    messages.success(
        request,
        (
            _("%(email)s has been deleted.")
            if deleted
            else _(
                "%(email)s made transfers, which the ledger keeps, so the account was deactivated instead."
            )
        )
        % {"email": email},
    )
    return redirect("web:admin_users")


# --- categories and tags ----------------------------------------------------------------------------------------


class NameForm(Form):
    name = forms.CharField(max_length=100, label=gettext_lazy("Name"))


CURATED: dict[str, type[curation.Curated]] = {"categories": Category, "tags": Tag}
CURATED_TITLES = {"categories": gettext_lazy("Categories"), "tags": gettext_lazy("Tags")}


@staff_required
def curation_list(request: AuthenticatedHttpRequest, kind: str) -> HttpResponse:
    model = CURATED[kind]
    form = NameForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                item = curation.curated_create(model, actor=request.user, name=form.cleaned_data["name"])
            except ApplicationError as exc:
                form_error(form, exc)
            else:
                messages.success(request, _("%(name)s has been created.") % {"name": item.name})
                return redirect(f"web:admin_{kind}")
        status = 400
    query = request.GET.get("q", "").strip()
    return render(
        request,
        "web/admin/curation.html",
        {
            "kind": kind,
            "title": CURATED_TITLES[kind],
            "form": form,
            "page": _page(request, curation.curated_with_uses(model, query=query)),
            "q": query,
            "query": _query_without_page(request),
        },
        status=status,
    )


@staff_required
@require_POST
def curation_change(request: AuthenticatedHttpRequest, kind: str, item_id: str) -> HttpResponse:
    item = curation.curated_get(CURATED[kind], item_id)
    try:
        if request.POST.get("action") == "delete":
            curation.curated_delete(actor=request.user, item=item)
            messages.success(request, _("%(name)s has been deleted from every entity.") % {"name": item.name})
        else:
            old = item.name
            result = curation.curated_rename(actor=request.user, item=item, name=request.POST.get("name", ""))
            messages.success(
                request, _("%(old)s is now %(new)s on every entity.") % {"old": old, "new": result.name}
            )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect(f"web:admin_{kind}")


# --- transfers --------------------------------------------------------------------------------------------------


class TransferForm(Form):
    payer = forms.CharField(max_length=16, label=gettext_lazy("Payer account number"))
    payee = forms.CharField(max_length=16, label=gettext_lazy("Payee account number"))
    amount = AmountField(label=gettext_lazy("Amount"))
    description = forms.CharField(max_length=500, required=False, label=gettext_lazy("Description"))
    override_limits = forms.BooleanField(
        required=False,
        label=gettext_lazy("Override limits"),
        help_text=gettext_lazy(
            "Raise the payer's or payee's limit as far as this transfer needs (recorded in the log)."
        ),
    )
    # One key per rendered form: a double click or a resubmitted page makes the transfer once.
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=255, required=False)


TRANSFER_FORM_ERRORS = {"payer": "payer", "payee": "payee", "amount": "amount", "description": "description"}


@staff_required
def transfer_list_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    status_filter = request.GET.get("status", "all")
    if status_filter not in ("all", "initiated", "completed", "cancelled"):
        status_filter = "all"
    form = TransferForm(request.POST or None, initial={"idempotency_key": uuid.uuid4().hex})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                administration.admin_transfer_create(
                    actor=request.user,
                    payer=data["payer"],
                    payee=data["payee"],
                    amount=data["amount"],
                    description=data["description"],
                    override_limits=data["override_limits"],
                    idempotency=Idempotency(user=request.user, key=key)
                    if (key := data["idempotency_key"])
                    else None,
                )
            except ApplicationError as exc:
                form_error(form, exc, TRANSFER_FORM_ERRORS)
            else:
                messages.success(request, _("The transfer has been made."))
                return redirect("web:admin_transfers")
        status = 400
    page = _page(request, transfer_list(status=status_filter).select_related("initiated_by"))
    rows = [{"transfer": t, "amount": t.amount} for t in page]
    context = {
        "form": form,
        "page": page,
        "rows": rows,
        "status_filter": status_filter,
        "query": _query_without_page(request),
    }
    return render(request, "web/admin/transfers.html", context, status=status)


@staff_required
@require_POST
def transfer_cancel(request: AuthenticatedHttpRequest, transfer_id: str) -> HttpResponse:
    transfer = transfer_get(transfer_id=transfer_id)
    try:
        administration.admin_transfer_cancel(
            actor=request.user, transfer_id=transfer.pk, reason=request.POST.get("reason", "")
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The transfer has been cancelled; both parties have been told."))
    return redirect("web:admin_transfers")


# --- the log ----------------------------------------------------------------------------------------------------


class LogFilterForm(FilterForm):
    email = forms.CharField(label=gettext_lazy("Who (email)"))
    user_id = forms.CharField(label=gettext_lazy("User id"))
    entity_id = forms.CharField(label=gettext_lazy("Entity id"))
    action = forms.CharField(
        label=gettext_lazy("Action"),
        help_text=gettext_lazy("e.g. entity.update, account, login"),
    )
    category = forms.ChoiceField(
        label=gettext_lazy("Category"),
        choices=[
            ("", gettext_lazy("anyone")),
            ("admin", gettext_lazy("administrators")),
            ("user", gettext_lazy("members")),
            ("system", gettext_lazy("system")),
        ],
    )
    date_from = forms.DateField(label=gettext_lazy("From"), widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=gettext_lazy("To"), widget=forms.DateInput(attrs={"type": "date"}))


@staff_required
def log_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = LogFilterForm(request.GET or None)
    entries = audit_search()
    if form.is_bound and form.is_valid():
        data = {
            k: (v.isoformat() if hasattr(v, "isoformat") else v or "") for k, v in form.cleaned_data.items()
        }
        try:
            entries = audit_search(**data)
        except ApplicationError as exc:
            form_error(form, exc)
    page = _page(request, entries)
    rows = [{"entry": e, "category": audit_category(e), "detail": audit_detail(e)} for e in page]
    return render(
        request,
        "web/admin/logs.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "query": _query_without_page(request),
        },
    )
