"""Searching the audit log."""

from __future__ import annotations

import datetime

from django.db.models import Q, QuerySet
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from mccs.audit.models import AuditEntry
from mccs.core.errors import InvalidRequest
from mccs.core.ids import uuid_or_none

CATEGORIES = ("admin", "user", "system")


def _moment(value: str, *, field: str, end: bool) -> datetime.datetime:
    """An ISO date or date-time. A bare date covers that whole day (UTC)."""
    text = value.strip()
    try:  # well-formed but impossible dates (2024-02-30) raise ValueError
        moment = parse_datetime(text.replace(" ", "+")) if "T" in text or ":" in text else None
        day = parse_date(text) if moment is None and len(text) == 10 else None
    except ValueError:
        moment = day = None
    if moment is None:
        if day is None:
            raise InvalidRequest(
                _("%(field)s must be a date (2024-05-31) or a date and time (2024-05-31T14:00:00Z).")
                % {"field": field},
                field=field,
            )
        moment = datetime.datetime.combine(day, datetime.time.min)
        if end:
            moment += datetime.timedelta(days=1)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment


def audit_search(
    *,
    email: str = "",
    user_id: str = "",
    entity_id: str = "",
    action: str = "",
    category: str = "",
    object_type: str = "",
    object_id: str = "",
    date_from: str = "",
    date_to: str = "",
) -> QuerySet[AuditEntry]:
    """Newest first. ``email`` matches the actor's address (part of it will do); ``user_id`` matches entries made by
    the user or about the user; ``action`` matches a whole action (``entity.update``), a prefix (``entity``) or a
    verb (``login``); ``category`` is ``admin``, ``user`` or ``system``; dates are inclusive."""
    entries = AuditEntry.objects.all()
    if email.strip():
        entries = entries.filter(actor_email__icontains=email.strip())
    if user_id.strip():
        value = user_id.strip()
        about = Q(user_id=value)
        entries = entries.filter(about | Q(actor_id=value) if uuid_or_none(value) is not None else about)
    if entity_id.strip():
        entries = entries.filter(entity_id=entity_id.strip())
    if action.strip():
        value = action.strip()
        if "." in value:
            entries = entries.filter(action=value)
        else:
            entries = entries.filter(
                Q(action__startswith=f"{value}.")
                | Q(action__endswith=f".{value}")
                | Q(action__contains=f".{value}_")
            )
    if category.strip():
        value = category.strip().lower()
        if value not in CATEGORIES:
            raise InvalidRequest(
                _("category must be one of: %(values)s.") % {"values": ", ".join(CATEGORIES)},
                field="category",
            )
        if value == "admin":
            entries = entries.filter(actor_is_admin=True)
        elif value == "user":
            entries = entries.filter(actor_is_admin=False).exclude(actor_email="", actor__isnull=True)
        else:
            entries = entries.filter(actor__isnull=True, actor_is_admin=False)
    if object_type.strip():
        entries = entries.filter(object_type=object_type.strip())
    if object_id.strip():
        entries = entries.filter(object_id=object_id.strip())
    if date_from.strip():
        entries = entries.filter(at__gte=_moment(date_from, field="date_from", end=False))
    if date_to.strip():
        if len(date_to.strip()) == 10:  # a bare date: up to the end of that day
            entries = entries.filter(at__lt=_moment(date_to, field="date_to", end=True))
        else:
            entries = entries.filter(at__lte=_moment(date_to, field="date_to", end=False))
    return entries.order_by("-at", "-id")


def audit_category(entry: AuditEntry) -> str:
    if entry.actor_is_admin:
        return "admin"
    if entry.actor_id is None and not entry.actor_email:
        return "system"
    return "user"


def audit_detail(entry: AuditEntry) -> str:
    """One line for people: what object, and each field's before → after."""
    parts = [f"{entry.object_type} {entry.object_id}".strip()]
    for field, pair in (entry.changes or {}).items():
        if isinstance(pair, list | tuple) and len(pair) == 2:
            parts.append(f"{field}: {_short(pair[0])} → {_short(pair[1])}")
        else:
            parts.append(f"{field}: {_short(pair)}")
    if entry.ip:
        parts.append(f"from {entry.ip}")
    return "; ".join(p for p in parts if p)


def _short(value: object) -> str:
    if value is None or value == "":
        return "—"
    text = ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)
    return text if len(text) <= 80 else text[:79] + "…"
