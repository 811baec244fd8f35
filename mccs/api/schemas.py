"""Shared API schemas: the envelope, errors, pagination meta. Field names follow the MCCS alpha spec."""

from __future__ import annotations

import math
from typing import Generic, TypeVar

from ninja import Schema

T = TypeVar("T")


class ErrorItem(Schema):
    message: str


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


def page_meta(total: int, page_size: int) -> Meta:
    return Meta(numberOfResults=total, totalPages=math.ceil(total / page_size) if total else 0)


ERRORS_4XX = {400: ErrorsOut, 401: ErrorsOut, 403: ErrorsOut, 404: ErrorsOut, 409: ErrorsOut, 429: ErrorsOut}
