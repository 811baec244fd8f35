"""The node-to-node Credit Commons API under ``/cc/``, wire-compatible with the reference node 0.8.

Answers are ``application/json`` exactly (a PHP node refuses ``; charset=…``); errors are
``{"errors": [{"class": …, "node", "method", "path", "user", "trace", …the class's fields}]}``. A wrong hash is
refused with 403 ``HashMismatchFailure`` that names the hash presented, never the one expected.
"""

from __future__ import annotations

import json
import logging
from decimal import Decimal

from django.db.models import Q, Sum
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt

from mccs.core.amount import Amount
from mccs.core.errors import ApplicationError
from mccs.core.text_guard import refuse_unstorable_text
from mccs.federation import client, services
from mccs.federation.models import CCState, FederatedTransfer, Neighbour
from mccs.ledger.models import Account, Posting, Transfer, TransferState

log = logging.getLogger(__name__)
ANONYMOUS = "-anon-"


def _json(body, status: int = 200) -> HttpResponse:
    return HttpResponse(
        client.encode(body) if body is not None else b"", status=status, content_type="application/json"
    )


def _error(request, exc: services.CCError, user: str) -> HttpResponse:
    body = {
        **exc.fields,
        "node": exc.origin or (node.name if (node := services.node_get()) else ""),
        "class": exc.cc_class,
        "method": request.method,
        "path": request.path.removeprefix("/cc"),
        "user": user,
        "trace": [],
    }
    return _json({"errors": [body]}, status=exc.status)


def _credentials(request) -> tuple[str, str]:
    user = request.headers.get("CC-User") or request.headers.get("cc-node") or ""
    auth = request.headers.get("CC-Auth")
    if auth is None:
        auth = request.headers.get("last-hash") or ""
    return user.strip(), auth.strip()


def endpoint(*, methods: tuple[str, ...], anonymous: bool = False, repeat: bool = False):
    def wrap(view):
        @csrf_exempt
        def handler(request, *args, **kwargs):
            user, auth = _credentials(request)
            try:
                if request.method not in methods:
                    raise services.CCError(
                        f"{request.method} is not allowed here.", cc_class="CCViolation", status=405
                    )
                if services.node_get() is None:
                    raise services.CCError(
                        "Federation is not set up on this node.", cc_class="CCFailure", status=404
                    )
                neighbour = None
                if user:
                    neighbour = services.node_authenticate(user, auth, allow_repeat=repeat)
                elif not anonymous:
                    raise services.CCError(
                        "This endpoint is for neighbour nodes: send CC-User and CC-Auth.",
                        cc_class="PermissionViolation",
                        status=403,
                    )
                return view(request, neighbour, auth, *args, **kwargs)
            except services.CCError as exc:
                return _error(request, exc, user or ANONYMOUS)
            except ApplicationError as exc:
                return _error(
                    request, services.CCError(exc.message, cc_class="CCViolation"), user or ANONYMOUS
                )

        return handler

    return wrap


def _body(request):
    try:
        data = json.loads(request.body or b"null", parse_float=Decimal)
    except ValueError:
        raise services.CCError("The body is not valid JSON.", cc_class="CCViolation") from None
    refuse_unstorable_text(data)  # a NUL or a lone surrogate: a 400 (CCViolation), not a database error
    return data


# --- endpoints ----------------------------------------------------------------------------------------------------

PERMITTED = {
    "absolutePath": ["get", "/absolutepath"],
    "accountNames": ["get", "/account/names"],
    "accountHistory": ["get", "/account/history"],
    "accountLimits": ["get", "/account/limits"],
    "accountSummary": ["get", "/account/summary"],
    "about": ["get", "/about"],
    "filterTransactions": ["get", "/transactions"],
    "filterTransactionEntries": ["get", "/entries"],
    "getTransaction": ["get", "/transaction/{uuid}"],
    "handshake": ["get", "/handshake"],
    "relayTransaction": ["post", "/transaction/relay"],
    "permittedEndpoints": ["options", "/"],
    "stateChange": ["patch", "/transaction/{uuid}/{dest_state}"],
}


@endpoint(methods=("OPTIONS", "GET"), anonymous=True)
def root(request, neighbour, auth):
    if neighbour is None:
        return _json({"data": {k: v for k, v in PERMITTED.items() if k in {"about", "permittedEndpoints"}}})
    return _json({"data": PERMITTED})


@endpoint(methods=("GET",), anonymous=True)
def about(request, neighbour, auth):
    top = services.topology()
    trunk = Neighbour.objects.filter(direction="trunkward").first()
    return _json(
        {
            "data": {
                "format": "<quantity>",
                "rate": trunk.rate.normalize() if trunk else Decimal(1),
                "node": top.name,
                "trunk": top.trunk or "",
                "branches": sorted(top.children),
            }
        }
    )


@endpoint(methods=("GET",))
def absolute_path(request, neighbour, auth):
    top = services.topology()
    return _json({"data": [p for p in (top.trunk, top.name) if p]})


@endpoint(methods=("GET",))
def handshake(request, neighbour, auth):
    # The reference asks its other neighbours in turn; a leaf answers an empty list.
    results = {}
    for other in Neighbour.objects.exclude(pk=neighbour.pk).filter(direction="leafward"):
        results[other.name] = services.handshake(other)
    return _json({"data": results or []})


@endpoint(methods=("POST",))
def relay(request, neighbour, auth):
    entries = services.relay_receive(neighbour=neighbour, body=_body(request))
    return _json({"data": entries})


@endpoint(methods=("PATCH",), repeat=True)
def state_change(request, neighbour, auth, uuid, state):
    status = services.state_receive(neighbour=neighbour, presented=auth, uuid=uuid, state=state)
    return HttpResponse(b"", status=status, content_type="application/json")


def _transitions(ft: FederatedTransfer) -> dict | list:
    if ft.state == CCState.VALIDATED:
        return {"pending": f"/transaction/{ft.uuid}/pending", "null": f"/transaction/{ft.uuid}/null"}
    if ft.state == CCState.PENDING:
        return {"completed": f"/transaction/{ft.uuid}/completed"}
    return []


@endpoint(methods=("GET",))
def transaction(request, neighbour, auth, uuid):
    ft = _visible(neighbour).filter(pk=_uuid(uuid)).first()
    if ft is None:
        raise services.CCError(
            "No such transaction.",
            cc_class="DoesNotExistViolation",
            fields={"type": "transaction", "id": uuid},
            status=404,
        )
    return _json(
        {
            "data": services.wire_transaction(ft, viewer=neighbour),
            "meta": {"transitions": {str(ft.uuid): _transitions(ft)}},
        }
    )


def _uuid(value: str):
    import uuid as uuid_lib

    try:
        return uuid_lib.UUID(value)
    except ValueError:
        raise services.CCError(
            "No such transaction.",
            cc_class="DoesNotExistViolation",
            fields={"type": "transaction", "id": value},
            status=404,
        ) from None


def _visible(neighbour: Neighbour):
    """A neighbour sees the transactions that crossed its link."""
    return FederatedTransfer.objects.filter(Q(upstream=neighbour) | Q(downstream=neighbour)).select_related(
        "upstream", "downstream"
    )


@endpoint(methods=("GET",))
def transactions(request, neighbour, auth):
    qs = _visible(neighbour)
    requested = {s for s in request.GET.get("states", "").split(",") if s}
    # Only known states go into the query, so a client's list never decides its size (an unknown state matched
    # nothing before and still matches nothing).
    qs = (
        qs.filter(state__in=requested & set(CCState.values))
        if requested
        else qs.exclude(state=CCState.ERASED)
    )
    items = list(qs.order_by("-written")[:100])
    return _json(
        {
            "data": [services.wire_transaction(ft, viewer=neighbour) for ft in items],
            "meta": {
                "number_of_results": len(items),
                "current_page": 1,
                "transitions": {str(ft.uuid): _transitions(ft) for ft in items},
            },
            "links": [],
        }
    )


@endpoint(methods=("GET",))
def entries(request, neighbour, auth):
    top = services.topology()
    rows = []
    for ft in _visible(neighbour).exclude(state=CCState.ERASED).order_by("-written")[:100]:
        for entry in services.wire_entries(ft, neighbour, top):
            rows.append(
                {
                    "uuid": str(ft.uuid),
                    **entry,
                    "type": ft.workflow,
                    "author": ft.author,
                    "state": ft.state,
                    "written": ft.written.strftime("%Y-%m-%d %H:%M:%S"),
                }
            )
    return _json({"data": rows, "meta": {"number_of_results": len(rows), "current_page": 1}, "links": []})


def _local_account(path: str) -> tuple[str, Account]:
    top = services.topology()
    try:
        local = top.normalise(path)
    except ValueError:
        local = ""
    if top.route(local) if local else True:
        raise services.CCError(
            f"No account {path} on this node.",
            cc_class="DoesNotExistViolation",
            fields={"type": "account", "id": path},
        )
    account = Account.objects.filter(number=local).exclude(neighbour__isnull=False).first()
    if account is None:
        raise services.CCError(
            f"No account {path} on this node.",
            cc_class="DoesNotExistViolation",
            fields={"type": "account", "id": path},
        )
    return local, account


def _stats(account: Account, states: list[str]) -> dict:
    transfers = Transfer.objects.filter(Q(payer=account) | Q(payee=account), state__in=states)
    gross_in = transfers.filter(payee=account).aggregate(s=Sum("amount"))["s"] or 0
    gross_out = transfers.filter(payer=account).aggregate(s=Sum("amount"))["s"] or 0
    partners = set(transfers.filter(payee=account).values_list("payer_id", flat=True)) | set(
        transfers.filter(payer=account).values_list("payee_id", flat=True)
    )
    return {
        "balance": Amount(gross_in - gross_out).to_decimal().normalize(),
        "trades": transfers.count(),
        "entries": 0,
        "gross_in": Amount(gross_in).to_decimal().normalize(),
        "gross_out": Amount(gross_out).to_decimal().normalize(),
        "partners": len(partners),
        "volume": Amount(gross_in + gross_out).to_decimal().normalize(),
    }


@endpoint(methods=("GET",))
def account_summary(request, neighbour, auth):
    local, account = _local_account(request.GET.get("acc_path", ""))
    return _json(
        {
            "data": {
                local: {
                    "completed": _stats(account, [TransferState.COMPLETED]),
                    "pending": _stats(account, [TransferState.COMPLETED, TransferState.PENDING]),
                }
            }
        }
    )


@endpoint(methods=("GET",))
def account_limits(request, neighbour, auth):
    local, account = _local_account(request.GET.get("acc_path", ""))
    return _json(
        {
            "data": {
                local: {
                    "min": -Amount(account.max_negative_balance).to_decimal().normalize(),
                    "max": Amount(account.max_positive_balance).to_decimal().normalize(),
                }
            }
        }
    )


@endpoint(methods=("GET",))
def account_history(request, neighbour, auth):
    local, account = _local_account(request.GET.get("acc_path", ""))
    points: dict[str, Decimal] = {}
    running = 0
    for posting in Posting.objects.filter(account=account).order_by("created_at", "id"):
        running += posting.amount
        points[posting.created_at.strftime("%Y-%m-%d %H:%M:%S")] = Amount(running).to_decimal().normalize()
    values = list(points.values()) or [Decimal(0)]
    keys = list(points.keys())
    return _json(
        {
            "data": points or [],
            "meta": {
                "min": min(values),
                "max": max(values),
                "points": len(points),
                "start": keys[0] if keys else "",
                "end": keys[-1] if keys else "",
            },
        }
    )


@endpoint(methods=("GET",))
def account_names(request, neighbour, auth):
    top = services.topology()
    fragment = request.GET.get("acc_path", "").strip("/")
    if fragment.startswith(top.name):
        fragment = fragment[len(top.name) :].lstrip("/")
    try:
        limit = max(1, min(int(request.GET.get("limit", "10")), 100))
    except ValueError:
        limit = 10
    accounts = (
        Account.objects.filter(number__startswith=fragment, neighbour__isnull=True)
        .filter(entity__status="tradingAccepted")
        .order_by("number")
        .values_list("number", flat=True)[:limit]
    )
    return _json({"data": [f"{top.name}/{number}" for number in accounts]})
