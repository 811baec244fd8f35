"""Who is asking, from where: set once per request so the audit log can record the address of every write."""

from __future__ import annotations

from contextvars import ContextVar

from mccs.core.client_ip import client_ip

current_ip: ContextVar[str] = ContextVar("mccs_current_ip", default="")


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = current_ip.set(client_ip(request))
        try:
            return self.get_response(request)
        finally:
            current_ip.reset(token)
