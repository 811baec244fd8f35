"""The address a request came from. Only REMOTE_ADDR is trusted unless the operator names a proxy."""

import ipaddress

from django.conf import settings


def _valid(address: str) -> str:
    try:
        return str(ipaddress.ip_address(address.strip()))
    except ValueError:
        return ""


def client_ip(request) -> str:
    """With MCCS_TRUST_X_FORWARDED_FOR, the address the (one, trusted) proxy appended last — the leftmost entries
    are whatever the client sent and prove nothing. Never anything but a valid IP address."""
    remote = _valid(request.META.get("REMOTE_ADDR", "") or "")
    if getattr(settings, "MCCS_TRUST_X_FORWARDED_FOR", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return _valid(forwarded.split(",")[-1]) or remote
    return remote
