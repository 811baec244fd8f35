"""Calls to a neighbour's Credit Commons API (standard library only). Answers are parsed as JSON whatever their
Content-Type, because an error relayed through a PHP node arrives as ``application/javascript``."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from decimal import Decimal

import simplejson
from django.conf import settings


class Unreachable(Exception):
    """No answer: refused connection, timeout, or a reply that is not HTTP."""


@dataclass
class Answer:
    status: int
    body: object

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def errors(self) -> list[dict]:
        if isinstance(self.body, dict) and isinstance(self.body.get("errors"), list):
            return [e for e in self.body["errors"] if isinstance(e, dict)]
        return []

    def error_class(self) -> str:
        errors = self.errors()
        return str(errors[0].get("class", "")) if errors else ""

    def message(self) -> str:
        errors = self.errors()
        if not errors:
            return f"HTTP {self.status}"
        first = errors[0]
        return str(
            first.get("message") or first.get("translated") or first.get("class") or f"HTTP {self.status}"
        )


def encode(body) -> bytes:
    """JSON with Decimals written as exact numbers (``10``, ``0.5``), never through a float."""
    return simplejson.dumps(_plain(body), use_decimal=True).encode()


def _plain(value):
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else value.normalize()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def call(
    base_url: str, method: str, path: str, *, node: str, auth: str, body=None, timeout: float | None = None
) -> Answer:
    url = base_url.rstrip("/") + path
    data = None
    headers = {"Accept": "application/json", "CC-User": node, "CC-Auth": auth}
    if body is not None:
        data = encode(body)
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    timeout = timeout if timeout is not None else settings.MCCS_FEDERATION_TIMEOUT_SECONDS
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return Answer(response.status, _parse(response.read()))
    except urllib.error.HTTPError as exc:
        try:
            raw = exc.read()
        except OSError:
            raw = b""
        return Answer(exc.code, _parse(raw))
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise Unreachable(str(getattr(exc, "reason", exc))) from exc


def _parse(raw: bytes):
    if not raw:
        return None
    try:
        return json.loads(raw, parse_float=Decimal)
    except ValueError:
        return None
