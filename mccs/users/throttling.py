"""Throttles, on one table of recent attempts (``LoginFailure``): failed sign-ins per account and per address, for
members and administrators alike, and sign-ups per address."""

from __future__ import annotations

import math
from datetime import timedelta

from django.conf import settings
from django.db.models import Min, Q, QuerySet
from django.utils.translation import ngettext

from mccs.core.clock import now
from mccs.core.errors import TooManyRequests
from mccs.users.models import LoginFailure, normalise_email

SIGN_IN = LoginFailure.Kind.SIGN_IN
SIGN_UP = LoginFailure.Kind.SIGN_UP
SIGN_UP_WINDOW_SECONDS = 3600


def _window_start(seconds: int):
    return now() - timedelta(seconds=seconds)


def _wait(attempts: QuerySet, window_seconds: int) -> tuple[int, int]:
    """Seconds until the oldest attempt in the window leaves it, and the same in whole minutes (at least 1)."""
    oldest = attempts.aggregate(first=Min("at"))["first"]
    retry = window_seconds - (now() - oldest).total_seconds() if oldest else window_seconds
    return max(1, int(retry)), max(1, math.ceil(retry / 60))


def login_throttle_check(*, email: str, ip: str) -> None:
    """Raise TooManyRequests when this account or this address failed too often recently."""
    limit = settings.MCCS_LOGIN_FAILURE_LIMIT
    window = settings.MCCS_LOGIN_FAILURE_WINDOW_SECONDS
    recent = LoginFailure.objects.filter(kind=SIGN_IN, at__gte=_window_start(window))
    for condition in (Q(email=normalise_email(email)), Q(ip=ip) if ip else None):
        if condition is None:
            continue
        failures = recent.filter(condition)
        if failures.count() >= limit:
            retry, minutes = _wait(failures, window)
            raise TooManyRequests(
                ngettext(
                    "Too many failed sign-in attempts. Please wait %(minutes)s minute and try again, or reset "
                    "your password.",
                    "Too many failed sign-in attempts. Please wait %(minutes)s minutes and try again, or reset "
                    "your password.",
                    minutes,
                )
                % {"minutes": minutes},
                retry_after=retry,
            )


def login_failure_record(*, email: str, ip: str) -> None:
    LoginFailure.objects.create(kind=SIGN_IN, email=normalise_email(email)[:254], ip=ip[:45], at=now())
    # Keep the table small: nothing older than the window matters.
    window = settings.MCCS_LOGIN_FAILURE_WINDOW_SECONDS
    LoginFailure.objects.filter(kind=SIGN_IN, at__lt=_window_start(window)).delete()


def login_failures_clear(*, email: str) -> None:
    LoginFailure.objects.filter(kind=SIGN_IN, email=normalise_email(email)).delete()


def signup_throttle(*, ip: str) -> None:
    """Count a sign-up from this address, or raise TooManyRequests when it already made
    ``MCCS_SIGNUP_LIMIT_PER_HOUR`` in the last hour. Without an address (``mccs seed``) nothing is counted.

    Recorded first and counted after, outside any transaction: of sign-ups arriving at the same moment, the one
    whose row is committed as the (limit+1)-th sees at least limit+1 rows, so no race lets more through (a burst
    may refuse one too many). A refused attempt is removed again, so hammering does not extend the wait."""
    if not ip:
        return
    window = SIGN_UP_WINDOW_SECONDS
    LoginFailure.objects.filter(kind=SIGN_UP, at__lt=_window_start(window)).delete()
    attempt = LoginFailure.objects.create(kind=SIGN_UP, email="", ip=ip[:45], at=now())
    recent = LoginFailure.objects.filter(kind=SIGN_UP, ip=ip[:45], at__gte=_window_start(window))
    limit = settings.MCCS_SIGNUP_LIMIT_PER_HOUR
    if recent.count() > limit:
        attempt.delete()
        retry, minutes = _wait(recent, window)
        raise TooManyRequests(
            ngettext(
                "Too many sign-ups from your network: at most %(limit)s an hour. Please wait %(minutes)s minute "
                "and try again.",
                "Too many sign-ups from your network: at most %(limit)s an hour. Please wait %(minutes)s minutes "
                "and try again.",
                minutes,
            )
            % {"limit": limit, "minutes": minutes},
            code="signup_throttled",
            retry_after=retry,
        )
