"""The address a request came from. Only REMOTE_ADDR is trusted unless the operator names a proxy."""

from django.conf import settings


def client_ip(request) -> str:
    if getattr(settings, "MCCS_TRUST_X_FORWARDED_FOR", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip()
    return request.META.get("REMOTE_ADDR", "") or ""
