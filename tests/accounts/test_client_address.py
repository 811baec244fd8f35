"""The client's address behind a reverse proxy: the one the proxy appended, and only when it is trusted."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from mccs.core.client_ip import client_ip


@pytest.mark.parametrize(
    ("forwarded", "expected"),
    [
        ("203.0.113.9", "203.0.113.9"),
        ("1.2.3.4, 203.0.113.9", "203.0.113.9"),  # the client wrote 1.2.3.4; the proxy appended the truth
        ("not-an-address", "10.0.0.1"),
        ("x" * 500, "10.0.0.1"),
    ],
)
def test_forwarded_address_is_the_one_the_proxy_appended(settings, forwarded, expected):
    settings.MCCS_TRUST_X_FORWARDED_FOR = True
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


def test_forwarded_header_is_ignored_unless_trusted(settings):
    settings.MCCS_TRUST_X_FORWARDED_FOR = False
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert client_ip(request) == "10.0.0.1"
