"""The one place the code asks for the time, so tests can move it (the ``clock`` fixture in tests/conftest.py)."""

from datetime import timedelta

from django.utils import timezone

# How far tests have moved the clock forward; zero outside tests.
offset = timedelta()


def now():
    return timezone.now() + offset
