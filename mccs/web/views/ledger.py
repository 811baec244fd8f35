"""Web pages for the ledger: pay or request payment, answer pending transfers, the statement (HTML and CSV)."""

from __future__ import annotations

import csv
import datetime
import uuid

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.messages.storage.base import Message
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from mccs.core.amount import cents_to_decimal, money
from mccs.core.errors import ApplicationError, InvalidRequest, NotFound
from mccs.directory.models import Entity
from mccs.directory.own_entities import entities_for_user, entity_for_user
from mccs.federation import routing
from mccs.federation import services as federation
from mccs.ledger import selectors
from mccs.ledger.errors import CounterpartyAmbiguous, IdempotencyKeyReused
from mccs.ledger.idempotency import Idempotency
from mccs.ledger.models import Transfer, TransferState
from mccs.web.fields import AmountField, suggesting_input
from mccs.web.pending import pending_lines
from mccs.web.redirects import safe_next
from mccs.web.request_types import AuthenticatedHttpRequest

# The pay form's hidden Idempotency-Key came back with other details (the form was edited and sent again).
FORM_SENT_WITH_OTHER_DETAILS = gettext_lazy(
    "This form was already sent with other details. Open the pay form again to make another payment."
)


class TransferForm(forms.Form):
    direction = forms.ChoiceField(
        label=gettext_lazy("What do you want to do?"),
        widget=forms.RadioSelect,
        initial="out",
        choices=[("out", gettext_lazy("Pay someone")), ("in", gettext_lazy("Request a payment"))],
    )
    counterparty = forms.CharField(
        label=gettext_lazy("Member (name or account number)"),
        max_length=100,
        help_text=gettext_lazy(
            "Type the member's name, or their 16-digit account number. A member of another node of the "
            "network: their account path, such as trunk/riverside/1234567890123452."
        ),
        # The browser suggests members as you type.
        widget=suggesting_input(datalist="payee-options", url="/transfers/payees", delay_ms=250),
    )
    amount = AmountField(label=gettext_lazy("Amount"))
    description = forms.CharField(
        label=gettext_lazy("Description (optional)"), max_length=500, required=False
    )
    # One key per form: the same form sent twice is one payment (pwa.js makes a new key per page it shows).
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=255)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


def _entity(request: AuthenticatedHttpRequest) -> Entity:
    """The entity the member acts for: ``?entity=<id>`` or their first one. Administrators have none."""
    entity_id = request.GET.get("entity") or request.POST.get("entity")
    try:
        entity = entity_for_user(user=request.user, entity_id=entity_id) if entity_id else None
    except NotFound:
        entity = None
    entity = entity or (None if entity_id else entities_for_user(user=request.user).first())
    if entity is None or selectors.account_for_entity(entity) is None:
        raise Http404("You have no account here.")
    return entity


@login_required
def transfer_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    entity = _entity(request)
    account = selectors.account_for_entity(entity)
    assert account is not None  # _entity answers 404 for an entity without an account
    form = TransferForm(
        request.POST or None, initial={"idempotency_key": uuid.uuid4().hex, **_from_link(request)}
    )
    choices: list = []
    if request.method == "POST" and entity.can_trade and form.is_valid():
        data = form.cleaned_data
        if federation.looks_like_path(data["counterparty"]):
            sent = _propose_remote(request, form, account)
            if sent:
                return sent
    if request.method == "POST" and entity.can_trade and form.is_valid() and not form.errors:
        data = form.cleaned_data
        try:
            other_account = selectors.counterparty_resolve(
                query=data["counterparty"], account=account, choice=request.POST.get("choice", "")
            )
        except CounterpartyAmbiguous as exc:
            choices = exc.matches
            form.add_error("counterparty", exc.message)
        except ApplicationError as exc:
            form.add_error("counterparty", exc.message)
        else:
            transfer = _send(request, form, account, other_account.number)
            if transfer is not None:
                other = other_account.entity.name
                words = {"name": other, "amount": money(transfer.amount)}
                what = (
                    _("You offered to pay %(name)s %(amount)s. Nothing moves until they accept.")
                    if data["direction"] == "out"
                    else _("You asked %(name)s to pay you %(amount)s. Nothing moves until they accept.")
                )
                messages.success(request, what % words)
                return redirect("web:dashboard")
    status = 403 if request.method == "POST" and not entity.can_trade else 200
    payee = None
    if request.method == "GET" and request.GET.get("to"):
        found = selectors.counterparty_search(query=request.GET["to"], exclude=account, limit=2)
        payee = found[0] if len(found) == 1 else None
    context = {
        "form": form,
        "entity": entity,
        "account": account,
        "payee": payee,
        "unit": settings.MCCS_CURRENCY_UNIT,
        "choices": choices,
    }
    return render(request, "web/ledger/new.html", context, status=status)


def _send(request: AuthenticatedHttpRequest, form: TransferForm, account, receiver: str) -> Transfer | None:
    """Propose the transfer the form describes to ``receiver`` (an account number here, or a path to another node);
    a refusal becomes a form error (None). The form's hidden key makes the same form sent twice (a double tap, a
    reload) one transfer, here or across the tree."""
    data = form.cleaned_data
    try:
        return routing.transfer_propose(
            actor=request.user,
            initiator=account.number,
            receiver=receiver,
            direction=data["direction"],
            amount=data["amount"],
            description=data["description"],
            idempotency=(
                Idempotency(user=request.user, key=data["idempotency_key"])
                if data["idempotency_key"]
                else None
            ),
        )
    except IdempotencyKeyReused:
        form.add_error(None, FORM_SENT_WITH_OTHER_DETAILS)
    except ApplicationError as exc:
        form.add_error({"amount": "amount", "receiver": "counterparty"}.get(exc.field or ""), exc.message)
    return None


def _propose_remote(request: AuthenticatedHttpRequest, form: TransferForm, account) -> HttpResponse | None:
    """The payee is an account on another node, by its Credit Commons path (``trunk/branch2/1234…``)."""
    data = form.cleaned_data
    path = data["counterparty"].strip().strip("/")
    transfer = _send(request, form, account, path)
    if transfer is None:
        return None
    node = path.rsplit("/", 1)[0]
    words = {"path": path, "node": node, "amount": money(transfer.amount)}
    what = (
        _(
            "You offered to pay %(path)s (on node %(node)s) %(amount)s. Nothing moves until they accept on their node."
        )
        if data["direction"] == "out"
        else _(
            "You asked %(path)s (on node %(node)s) to pay you %(amount)s. "
            "Nothing moves until they accept on their node."
        )
    )
    messages.success(request, what % words)
    return redirect("web:dashboard")


def _from_link(request: HttpRequest) -> dict:
    """A pay link (QR code, "pay" on a member's page) fills in the payee, and maybe the amount and description."""
    if request.method != "GET":
        return {}
    initial = {
        field: request.GET[param][:limit]
        for param, field, limit in [
            ("to", "counterparty", 100),
            ("amount", "amount", 30),
            ("description", "description", 500),
        ]
        if request.GET.get(param)
    }
    if request.GET.get("direction") in ("in", "out"):
        initial["direction"] = request.GET["direction"]
    return initial


@login_required
def payee_options(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The suggestions for the payee field: members accepted for trading, by name or account number."""
    entity = _entity(request)
    query = request.GET.get("counterparty", "")
    found = selectors.counterparty_search(query=query, exclude=selectors.account_for_entity(entity), limit=8)
    return render(
        request, "web/ledger/_payee_options.html", {"accounts": found if len(query.strip()) >= 2 else []}
    )


class GetPaidForm(forms.Form):
    amount = AmountField(label=gettext_lazy("Amount (optional)"), required=False)
    description = forms.CharField(
        label=gettext_lazy("Description (optional)"), max_length=200, required=False
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


@login_required
def get_paid(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A QR code and link for one payment: the member may fix the amount and description first."""
    entity = _entity(request)
    form = GetPaidForm(request.GET or None)
    amount, description = "", ""
    if form.is_bound and form.is_valid():
        amount = str(form.cleaned_data["amount"]) if form.cleaned_data["amount"] else ""
        description = form.cleaned_data["description"]
    context = {
        "form": form,
        "entity": entity,
        "amount": amount,
        "description": description,
        "unit": settings.MCCS_CURRENCY_UNIT,
    }
    return render(request, "web/ledger/get_paid.html", context)


@login_required
@require_POST
def transfer_act(request: AuthenticatedHttpRequest, transfer_id) -> HttpResponse:
    action = request.POST.get("action")
    reason = request.POST.get("reason", "")
    notes = {
        "accept": _("Transfer accepted: the credit has moved."),
        "reject": _("Transfer rejected."),
        "cancel": _("Transfer cancelled."),
    }
    try:
        if action not in notes:
            raise InvalidRequest(_("Choose accept, reject or cancel."))
        transfer = routing.transfer_act(
            actor=request.user, transfer_id=transfer_id, action=action, reason=reason
        )
        note = notes[action]
        if action == "accept" and transfer.state == TransferState.PENDING:
            # Federated, and the other node has not answered yet: it completes when it does.
            note = _(
                "Transfer accepted: the other node has not confirmed yet; the credit moves when it does."
            )
    except ApplicationError as exc:
        level, note = messages.ERROR, exc.message
    else:
        level = messages.SUCCESS
    if request.htmx:
        entity = _entity(request)
        message = Message(level, note)
        return render(
            request, "web/ledger/_dashboard_panel.html", {"entity": entity, "ledger_messages": [message]}
        )
    messages.add_message(request, level, note)
    return redirect(safe_next(request, "/dashboard"))


def _date(value: str | None, refusal: str) -> datetime.date | None:
    if not value:
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise InvalidRequest(refusal) from None


@login_required
def statement(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    entity = _entity(request)
    account = selectors.account_for_entity(entity)
    assert account is not None  # _entity answers 404 for an entity without an account
    error = None
    try:
        date_from = _date(request.GET.get("date_from"), _("The from date must look like 2024-12-31."))
        date_to = _date(request.GET.get("date_to"), _("The to date must look like 2024-12-31."))
        if date_from and date_to and date_from > date_to:
            raise InvalidRequest(
                _("The period starts (%(start)s) after it ends (%(end)s). Swap the two dates.")
                % {"start": date_from.isoformat(), "end": date_to.isoformat()}
            )
    except InvalidRequest as exc:
        error, date_from, date_to = exc.message, None, None
    if request.GET.get("format") == "csv" and not error:
        return _statement_csv(account, date_from, date_to)
    try:
        page = _page(request.GET.get("page"))
    except InvalidRequest as exc:
        error, page = exc.message, 1
    result = selectors.statement_page(account=account, date_from=date_from, date_to=date_to, page=page)
    period = "".join(
        f"{name}={value.isoformat()}&"
        for name, value in (("date_from", date_from), ("date_to", date_to))
        if value
    )
    return render(
        request,
        "web/ledger/statement.html",
        {
            "entity": entity,
            "statement": result,
            "lines": result.lines,  # newest first; the running balance is still chronological
            "period_query": period,
            "pending": pending_lines(account),
            "closed": selectors.closed_transfers_for_account(account=account),
            "error": error,
            "date_from": date_from.isoformat() if date_from else request.GET.get("date_from", "")[:10],
            "date_to": date_to.isoformat() if date_to else request.GET.get("date_to", "")[:10],
        },
        status=400 if error else 200,
    )


def _page(value: str | None) -> int:
    if not value:
        return 1
    if not value.isdigit() or not 1 <= int(value) <= 1_000_000:
        raise InvalidRequest(
            _("The page must be a whole number from 1; got '%(value)s'.") % {"value": value[:20]}
        )
    return int(value)


class _Line:
    """What ``csv.writer`` writes into: hands the formatted line back instead of keeping it."""

    def write(self, text: str) -> str:
        return text


def _statement_csv(account, date_from, date_to) -> StreamingHttpResponse:
    """The whole period as CSV, oldest first, streamed: the lines are read and sent in chunks, so an account with
    years of history neither waits for the whole file nor holds it in the server's memory."""
    writer = csv.writer(_Line())

    def rows():
        yield writer.writerow(
            [
                "date",
                "transfer id",
                "counterparty",
                "counterparty account",
                "description",
                "amount",
                "balance",
            ]
        )
        for line in selectors.statement_lines(account=account, date_from=date_from, date_to=date_to):
            other = line.transfer.payee if line.amount < 0 else line.transfer.payer
            yield writer.writerow(
                [
                    line.at.isoformat(),
                    line.transfer.id,
                    _csv_safe(other.entity.name),
                    other.number,
                    _csv_safe(line.transfer.description),
                    # Plain numbers (-1234.50), the same in every language, for spreadsheets and scripts.
                    cents_to_decimal(line.amount),
                    cents_to_decimal(line.balance),
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="statement-{account.number}.csv"'
    return response


def _csv_safe(text: str) -> str:
    """Spreadsheets run cells that start with = + - @ as formulas; a leading apostrophe keeps them text."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
