"""The administrators' federation page (/admin/federation): this node's place in its Credit Commons tree, each
neighbour's balance, pending amount, limits, link hash and queued changes, a live handshake on demand, each
neighbour's limits and directory sharing; naming this node, adding a branch and joining a trunk. The same services
as ``mccs federation`` and the admin API."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from mccs.core.errors import ApplicationError
from mccs.federation import agreement, reconcile, services
from mccs.web.fields import AmountField
from mccs.web.request_types import AuthenticatedHttpRequest
from mccs.web.views.accounts import Form, form_error
from mccs.web.views.admin import staff_required


class NeighbourLimitsForm(Form):
    max_negative_balance = AmountField(allow_zero=True, label=gettext_lazy("Maximum negative balance"))
    max_positive_balance = AmountField(allow_zero=True, label=gettext_lazy("Maximum positive balance"))


class NodeNameForm(Form):
    name = forms.CharField(
        label=gettext_lazy("This node's name in the tree"),
        max_length=50,
        help_text=gettext_lazy(
            "Lower-case letters, digits, '-' or '_'. Its neighbours will know it by this name."
        ),
    )


class NeighbourAddForm(Form):
    direction = forms.ChoiceField(
        label=gettext_lazy("Which neighbour?"),
        widget=forms.RadioSelect,
        initial="leafward",
        choices=[
            ("leafward", gettext_lazy("A branch: another node joins this one")),
            ("trunkward", gettext_lazy("A trunk: this node joins another one")),
        ],
    )
    name = forms.CharField(label=gettext_lazy("Its name"), max_length=50)
    url = forms.CharField(
        label=gettext_lazy("Its Credit Commons address"),
        max_length=500,
        help_text=gettext_lazy(
            "http://host:port/cc for an MCCS node; the server's root for the reference node."
        ),
    )
    rate = forms.CharField(
        label=gettext_lazy("Rate (a trunk only)"),
        required=False,
        max_length=30,
        initial="1",
        help_text=gettext_lazy("How many of the trunk's units one unit of this node is worth."),
    )
    max_negative_balance = AmountField(
        allow_zero=True, required=False, label=gettext_lazy("Maximum negative balance")
    )
    max_positive_balance = AmountField(
        allow_zero=True, required=False, label=gettext_lazy("Maximum positive balance")
    )


# Where a service's refusal belongs on the form that adds a neighbour.
ADD_FIELDS = {"max-negative": "max_negative_balance", "max-positive": "max_positive_balance"}


def _limits_form(neighbour: dict, data=None) -> NeighbourLimitsForm:
    initial = {
        "max_negative_balance": neighbour["maxNegativeBalance"],
        "max_positive_balance": neighbour["maxPositiveBalance"],
    }
    return NeighbourLimitsForm(data, initial=initial, prefix=neighbour["name"])


def _page(
    request: HttpRequest,
    *,
    failed: tuple[str, NeighbourLimitsForm] | None = None,
    name_form: NodeNameForm | None = None,
    add_form: NeighbourAddForm | None = None,
) -> HttpResponse:
    status = agreement.federation_status(live=request.GET.get("handshake") == "1")
    rows = []
    for neighbour in status["neighbours"]:
        form = failed[1] if failed and failed[0] == neighbour["name"] else _limits_form(neighbour)
        cents = {key: int(neighbour[key] * 100) for key in ("balance", "pending")}
        rows.append({"n": neighbour, "form": form, **cents})
    context = {
        "status": status,
        "rows": rows,
        "checked": request.GET.get("handshake") == "1",
        "name_form": name_form or NodeNameForm(),
        "add_form": add_form or NeighbourAddForm(),
        "has_trunk": any(n["direction"] == "trunkward" for n in status["neighbours"]),
    }
    refused = failed or (name_form and name_form.errors) or (add_form and add_form.errors)
    return render(request, "web/admin/federation.html", context, status=400 if refused else 200)


@staff_required
def federation(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _page(request)


@staff_required
@require_POST
def federation_sharing(request: AuthenticatedHttpRequest) -> HttpResponse:
    try:
        node = services.sharing_set(actor=request.user, on=request.POST.get("sharing") == "on")
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        if node.sharing:
            messages.success(request, _("This node now shares its public directory with its neighbours."))
        else:
            messages.success(request, _("This node no longer shares its public directory."))
    return redirect("web:admin_federation")


@staff_required
@require_POST
def neighbour_limits(request: AuthenticatedHttpRequest, name: str) -> HttpResponse:
    status = services.federation_status(live=False)
    neighbour = next((n for n in status["neighbours"] if n["name"] == name), None)
    if neighbour is None:
        messages.error(request, _("No neighbour is called %(name)s.") % {"name": name})
        return redirect("web:admin_federation")
    form = _limits_form(neighbour, request.POST)
    if form.is_valid():
        try:
            services.neighbour_limits_set(
                actor=request.user,
                name=name,
                max_negative=form.cleaned_data["max_negative_balance"].to_decimal(),
                max_positive=form.cleaned_data["max_positive_balance"].to_decimal(),
            )
        except ApplicationError as exc:
            form_error(
                form,
                exc,
                {"maxNegativeBalance": "max_negative_balance", "maxPositiveBalance": "max_positive_balance"},
            )
        else:
            messages.success(request, _("The limits of %(name)s are saved.") % {"name": name})
            return redirect("web:admin_federation")
    return _page(request, failed=(name, form))


@staff_required
@require_POST
def neighbour_reconcile(request: AuthenticatedHttpRequest, name: str) -> HttpResponse:
    """The same as ``mccs federation reconcile NAME``: each line of what it did becomes a message on the page."""
    try:
        report = reconcile.reconcile(name=name, actor=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("web:admin_federation")
    for line in report.lines:
        messages.info(request, line)
    if report.settled:
        messages.success(request, _("The link with %(name)s is reconciled.") % {"name": name})
    else:
        messages.error(
            request,
            _("Some differences on the link with %(name)s could not be settled (see above).")
            % {"name": name},
        )
    return redirect(reverse("web:admin_federation") + "?handshake=1")


@staff_required
@require_POST
def federation_init(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The same as ``mccs federation init --name NAME``."""
    form = NodeNameForm(request.POST)
    if form.is_valid():
        try:
            node = services.federation_init(name=form.cleaned_data["name"].strip())
        except ApplicationError as exc:
            form_error(form, exc)
        else:
            messages.success(
                request, _("This node is now called %(name)s in its tree.") % {"name": node.name}
            )
            return redirect("web:admin_federation")
    return _page(request, name_form=form)


@staff_required
@require_POST
def neighbour_add(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The same as ``mccs federation add-branch`` or ``join``: the neighbour becomes an account in this ledger."""
    form = NeighbourAddForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        limits = {
            key: data[field].to_decimal() if data[field] is not None else None  # empty: the node's default
            for key, field in (
                ("max_negative", "max_negative_balance"),
                ("max_positive", "max_positive_balance"),
            )
        }
        try:
            if data["direction"] == "trunkward":
                neighbour, handshake = services.trunk_join(
                    name=data["name"], url=data["url"], rate=data["rate"] or "1", actor=request.user, **limits
                )
            else:
                neighbour, handshake = (
                    services.branch_add(name=data["name"], url=data["url"], actor=request.user, **limits),
                    "",
                )
        except ApplicationError as exc:
            form_error(form, exc, ADD_FIELDS)
        else:
            messages.success(
                request, _("%(name)s is now a neighbour of this node.") % {"name": neighbour.name}
            )
            if handshake and handshake != "ok":
                messages.error(
                    request,
                    _(
                        "It did not answer the handshake yet (%(reason)s); members can trade with it once it does."
                    )
                    % {"reason": handshake},
                )
            return redirect("web:admin_federation")
    return _page(request, add_form=form)
