"""Failed sign-in throttling, per account and per address, for members and administrators alike."""

from __future__ import annotations

import math
from datetime import timedelta

from django.conf import settings
from django.db.models import Min, Q
from django.utils.translation import ngettext

from mccs.core.clock import now
from mccs.core.errors import TooManyRequests
from mccs.users.models import LoginFailure, normalise_email


def _window_start():
    return now() - timedelta(seconds=settings.MCCS_LOGIN_FAILURE_WINDOW_SECONDS)


def login_throttle_check(*, email: str, ip: str) -> None:
    """Raise TooManyRequests when this account or this address failed too often recently."""
    limit = settings.MCCS_LOGIN_FAILURE_LIMIT
    since = _window_start()
    recent = LoginFailure.objects.filter(at__gte=since)
    for condition in (Q(email=normalise_email(email)), Q(ip=ip) if ip else None):
        if condition is None:
            continue
        failures = recent.filter(condition)
        if failures.count() >= limit:
            oldest = failures.aggregate(first=Min("at"))["first"]
            retry = settings.MCCS_LOGIN_FAILURE_WINDOW_SECONDS - (now() - oldest).total_seconds()
            minutes = max(1, math.ceil(retry / 60))
            raise TooManyRequests(
                ngettext(
                    "Too many failed sign-in attempts. Please wait %(minutes)s minute and try again, or reset "
                    "your password.",
                    "Too many failed sign-in attempts. Please wait %(minutes)s minutes and try again, or reset "
                    "your password.",
                    minutes,
                )
                % {"minutes": minutes},
                retry_after=max(1, int(retry)),
            )


def login_failure_record(*, email: str, ip: str) -> None:
    LoginFailure.objects.create(email=normalise_email(email)[:254], ip=ip[:45], at=now())
    # Keep the table small: nothing older than the window matters.
    LoginFailure.objects.filter(at__lt=_window_start()).delete()


def login_failures_clear(*, email: str) -> None:
    LoginFailure.objects.filter(email=normalise_email(email)).delete()
