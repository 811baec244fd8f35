"""Shared API schemas: the envelope, errors, pagination meta. Field names follow the MCCS alpha spec."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Annotated, Generic, TypeVar

from ninja import Schema
from pydantic import WithJsonSchema

T = TypeVar("T")


# Amounts leave as JSON numbers (ExactJSONRenderer writes Decimals as numbers), so the document says number —
# pydantic would otherwise describe a Decimal as a string.
Number = Annotated[Decimal, WithJsonSchema({"type": "number", "example": 12.5})]


class ErrorItem(Schema):
    """One error: a sentence for people, a stable ``code`` for programs and, when one field is at fault, its name
    as the request spelled it (a body field, a query parameter or a header)."""

    message: str
    code: str
    field: Annotated[str | None, WithJsonSchema({"type": "string"})] = None


class ErrorsOut(Schema):
    errors: list[ErrorItem]


class Meta(Schema):
    numberOfResults: int
    totalPages: int


class DataOut(Schema, Generic[T]):
    data: T


class PageOut(Schema, Generic[T]):
    data: list[T]
    meta: Meta


class SearchMeta(Meta):
    """A directory search's meta: ``numberOfResults`` is exact, or (``numberOfResultsExact`` false, for a broad
    term in a large directory) a lower bound: there are more results than it says (ADR 0185)."""

    numberOfResultsExact: bool


class SearchPageOut(Schema, Generic[T]):
    data: list[T]
    meta: SearchMeta


def page_meta(total: int, page_size: int) -> Meta:
    return Meta(numberOfResults=total, totalPages=math.ceil(total / page_size) if total else 0)


def search_meta(total: int, page_size: int, *, exact: bool) -> SearchMeta:
    return SearchMeta(**page_meta(total, page_size).model_dump(), numberOfResultsExact=exact)


def errors(*statuses: int) -> dict[int, type[ErrorsOut]]:
    """The error statuses one operation can answer, for its ``response=`` declaration."""
    return dict.fromkeys(sorted(set(statuses)), ErrorsOut)


# The building blocks of those declarations.
PARAMS = (400,)  # any parameter can be malformed (or carry a NUL character)
BODY = (400, 413, 415)  # a JSON body can be malformed, not an object, too large, or not JSON at all
TOKEN = (401, 403)  # no valid token; a valid token of the other kind (member vs administrator)
