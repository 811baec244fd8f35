"""The administrators' federation page (/admin/federation): this node's place in its Credit Commons tree, each
neighbour's balance, pending amount, limits, link hash and queued changes, a live handshake on demand, each
neighbour's limits and directory sharing. The same services as ``mccs federation`` and the admin API."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from mccs.core.errors import ApplicationError
from mccs.federation import agreement, services
from mccs.web.fields import AmountField
from mccs.web.views.accounts import Form, form_error
from mccs.web.views.admin import staff_required


class NeighbourLimitsForm(Form):
    max_negative_balance = AmountField(allow_zero=True, label=gettext_lazy("Maximum negative balance"))
    max_positive_balance = AmountField(allow_zero=True, label=gettext_lazy("Maximum positive balance"))


def _limits_form(neighbour: dict, data=None) -> NeighbourLimitsForm:
    initial = {
        "max_negative_balance": neighbour["maxNegativeBalance"],
        "max_positive_balance": neighbour["maxPositiveBalance"],
    }
    return NeighbourLimitsForm(data, initial=initial, prefix=neighbour["name"])


def _page(request: HttpRequest, *, failed: tuple[str, NeighbourLimitsForm] | None = None) -> HttpResponse:
    status = agreement.federation_status(live=request.GET.get("handshake") == "1")
    rows = []
    for neighbour in status["neighbours"]:
        form = failed[1] if failed and failed[0] == neighbour["name"] else _limits_form(neighbour)
        cents = {key: int(neighbour[key] * 100) for key in ("balance", "pending")}
        rows.append({"n": neighbour, "form": form, **cents})
    context = {"status": status, "rows": rows, "checked": request.GET.get("handshake") == "1"}
    return render(request, "web/admin/federation.html", context, status=400 if failed else 200)


@staff_required
def federation(request: HttpRequest) -> HttpResponse:
    return _page(request)


@staff_required
@require_POST
def federation_sharing(request: HttpRequest) -> HttpResponse:
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
def neighbour_limits(request: HttpRequest, name: str) -> HttpResponse:
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
