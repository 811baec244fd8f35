"""`GET /metrics`: Prometheus text format — requests, transfers, the outbox. Off unless MCCS_METRICS_TOKEN is set,
and then only with `Authorization: Bearer <token>` (ADR 0081).

Request figures are counted in each process. Under `mccs serve --workers N` the processes write them to files in
PROMETHEUS_MULTIPROC_DIR (set by `mccs serve`), so whichever process answers the scrape reports the whole node,
including workers that have since died. Transfer and outbox figures are read from the database at scrape time.
"""

from __future__ import annotations

import hmac
import os
import time

from django.conf import settings
from django.http import Http404, HttpResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from mccs.ledger.selectors import transfer_counts_by_state
from mccs.notifications.selectors import outbox_figures

METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
INTERFACES = (
    ("/api/", "api"),
    ("/cc/", "cc"),
    ("/static/", "static"),
    ("/admin/", "admin"),
    ("/django-admin/", "admin"),
    ("/metrics", "metrics"),
)

REQUESTS = Counter(
    "mccs_http_requests",
    "HTTP requests answered, by interface (api, web, admin, cc, static, metrics), method and status code.",
    ["interface", "method", "status"],
    registry=None,
)
DURATION = Histogram(
    "mccs_http_request_duration_seconds",
    "Time from the request reaching Django to the answer leaving it, by interface.",
    ["interface"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=None,
)


def interface_of(path: str) -> str:
    for prefix, name in INTERFACES:
        if path.startswith(prefix):
            return name
    return "web"


class RequestMetricsMiddleware:
    """Counts and times every request (first in the middleware list, so static files and refusals count too)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        interface = interface_of(request.path)
        method = request.method if request.method in METHODS else "other"
        REQUESTS.labels(interface, method, str(response.status_code)).inc()
        DURATION.labels(interface).observe(time.perf_counter() - started)
        return response


class NodeCollector:
    """Figures read from the database when Prometheus scrapes."""

    def collect(self):
        transfers = GaugeMetricFamily(
            "mccs_transfers", "Transfers in the ledger, by state.", labels=["state"]
        )
        for state, count in transfer_counts_by_state().items():
            transfers.add_metric([state], count)
        yield transfers
        outbox = outbox_figures()
        yield GaugeMetricFamily("mccs_outbox_pending", "Emails waiting to be sent.", value=outbox["pending"])
        yield GaugeMetricFamily(
            "mccs_outbox_retrying",
            "Emails waiting to be sent that failed at least once (SMTP down or refusing).",
            value=outbox["retrying"],
        )
        yield GaugeMetricFamily(
            "mccs_outbox_failed",
            "Emails given up after permanent SMTP refusals; an administrator can retry them at /admin/emails.",
            value=outbox["failed"],
        )
        yield GaugeMetricFamily(
            "mccs_outbox_oldest_pending_age_seconds",
            "Age of the oldest email waiting to be sent (0 when none waits).",
            value=outbox["oldest_pending_seconds"],
        )
        yield CounterMetricFamily("mccs_outbox_sent", "Emails sent.", value=outbox["sent"])


def scrape_registry() -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(REQUESTS)
        registry.register(DURATION)
    registry.register(NodeCollector())
    return registry


def metrics(request):
    token = settings.MCCS_METRICS_TOKEN
    if not token:
        raise Http404("Metrics are off on this node.")
    supplied = request.headers.get("Authorization", "")
    if not hmac.compare_digest(supplied.encode(), f"Bearer {token}".encode()):
        return HttpResponse(
            "Metrics need Authorization: Bearer <MCCS_METRICS_TOKEN>.\n",
            status=401,
            content_type="text/plain; charset=utf-8",
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    return HttpResponse(generate_latest(scrape_registry()), content_type=CONTENT_TYPE_LATEST)
