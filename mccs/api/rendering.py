"""JSON in and out without floats: request numbers arrive as Decimal, Decimal amounts leave as JSON numbers."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal

import simplejson
from django.utils.translation import gettext as _
from ninja.parser import Parser
from ninja.renderers import BaseRenderer

from mccs.core.errors import InvalidRequest, UnsupportedMediaType
from mccs.core.text_guard import refuse_unstorable_text


def _refuse_constant(name: str):
    raise InvalidRequest(_("%(name)s is not a valid number.") % {"name": name})


def is_json(content_type: str) -> bool:
    return content_type.split(";", 1)[0].strip().lower() == "application/json"


class ExactJSONParser(Parser):
    def parse_body(self, request):
        if not request.body:
            return {}
        # Only a JSON body is read. A cross-site page can send text/plain, form or multipart bodies without a
        # preflight, so reading those as JSON would let any web page act through a visitor's browser.
        if not is_json(request.META.get("CONTENT_TYPE") or ""):
            raise UnsupportedMediaType(
                _("The request body must be JSON, sent with Content-Type: application/json."),
                field="Content-Type",
            )
        try:
            data = simplejson.loads(request.body, parse_float=Decimal, parse_constant=_refuse_constant)
        except (ValueError, UnicodeDecodeError) as exc:
            raise InvalidRequest(
                _("The request body is not valid JSON (%(error)s).") % {"error": exc.__class__.__name__},
                code="invalid_json",
            ) from None
        if not isinstance(data, dict):
            # Every operation takes an object; a list, string, number or null must not pass as "no changes".
            raise InvalidRequest(_("The request body must be a JSON object."), code="not_an_object")
        try:
            refuse_unstorable_text(data)  # NUL or a lone surrogate ("\udc80"): no database can store either
        except InvalidRequest as exc:
            # the field is named exactly as the body spelled it (not translated like a model field's name)
            if exc.field:
                request.api_field_names = {**getattr(request, "api_field_names", {}), exc.field: exc.field}
            raise
        return data


def iso_utc(value: datetime.datetime) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(datetime.UTC)
    return value.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


def _default(value):
    if isinstance(value, datetime.datetime):
        return iso_utc(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if hasattr(value, "model_dump"):
        return value.model_dump(by_alias=True)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dumps(data) -> str:
    return simplejson.dumps(data, use_decimal=True, default=_default, ensure_ascii=False)


class ExactJSONRenderer(BaseRenderer):
    media_type = "application/json"

    def render(self, request, data, *, response_status):
        return dumps(data)
