"""Rows read with SQL of our own, made into model instances exactly as the ORM makes them (ADR 0165).

For the few statements on the hottest paths (every API request's token, a transfer's acceptance): building and
compiling a query costs the ORM 0.5–2 ms of CPU, several times what the database takes to answer it, and a node's
CPU is what limits how many transfers per second it completes. Those statements are written in SQL; their column
lists come from the models (``columns``), their parameters go through each field's own preparation (``prep``), and
their rows through the same converters the ORM applies (``instance``), so a model change reaches them too and the
instances they return are the ORM's own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sized
from functools import cache
from typing import Any, TypeVar, cast

from django.db import connection
from django.db.models import Field, Model

M = TypeVar("M", bound=Model)
AUTO_FIELDS = ("AutoField", "BigAutoField", "SmallAutoField")


def columns(model: type[Model], alias: str) -> str:
    """``"alias"."column", …`` for every concrete field of ``model``, in the order ``instance`` reads them."""
    return _columns(model, alias, connection.vendor)


def width(model: type[Model]) -> int:
    """How many values of a row ``columns`` selects."""
    return len(model._meta.concrete_fields)


def prep(model: type[Model], field: str, value: object) -> Any:
    """``value`` as the database stores ``field`` (a UUID is hex text on SQLite, a moment is UTC text there…)."""
    return model._meta.get_field(field).get_db_prep_value(value, connection, prepared=False)  # type: ignore[union-attr]


def instance(model: type[M], row: tuple | list, start: int = 0) -> M:
    """The instance the ORM would make of ``row[start:start + width(model)]``."""
    values = list(row[start : start + width(model)])
    for position, converters, column in _converters(model, connection.vendor):
        value = values[position]
        for convert in converters:
            value = convert(value, column, connection)
        values[position] = value
    return model.from_db(connection.alias, _attnames(model), values)


def insert(model: type[Model], values: Mapping[str, object]) -> None:
    """INSERT one row of ``model``: ``values`` by field name (a related instance for a foreign key), each prepared as
    the field saves it; a field not given takes its default; an auto primary key is left to the database. Like
    ``objects.create()`` without ``save()`` or signals, for rows nobody reads back at once (an audit entry)."""
    fields, params = [], []
    for field in model._meta.concrete_fields:
        if field is model._meta.pk and field.get_internal_type() in AUTO_FIELDS:
            continue
        value = values[field.name] if field.name in values else field.get_default()
        if isinstance(value, Model):
            value = value.pk
        fields.append(connection.ops.quote_name(field.column))
        params.append(field.get_db_prep_save(value, connection))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({', '.join(fields)}) "
            f"VALUES ({', '.join(['%s'] * len(fields))})",
            params,
        )


def select(sql: str, params: list[Any]) -> list[tuple]:
    """Every row ``sql`` finds."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def exists(sql: str, *params: object) -> bool:
    """Whether ``sql`` (a SELECT) finds a row."""
    return bool(select(f"{sql} LIMIT 1", list(params)))


def change_key_sql(model: type[Model], stamp: str) -> str:
    """Two scalar subqueries, the rows of ``model`` and the newest ``stamp`` among them: a key that changes when
    a row is added or deleted (and, for a stamp renewed on update, changed). A cache compares it to decide whether
    to read again."""
    table = connection.ops.quote_name(model._meta.db_table)
    column = connection.ops.quote_name(cast(Field, model._meta.get_field(stamp)).column)
    return f"(SELECT COUNT(*) FROM {table}), (SELECT MAX({column}) FROM {table})"  # noqa: S608


def insert_instance(obj: Model) -> None:
    """INSERT ``obj`` (its primary key set by its default, such as a UUID) with ``insert``, and mark it saved, as
    ``objects.create()`` leaves it."""
    insert(type(obj), {field.name: getattr(obj, field.attname) for field in obj._meta.concrete_fields})
    obj._state.adding = False
    obj._state.db = connection.alias


def placeholders(values: Sized) -> str:
    """``%s, %s, …``: one parameter for each of ``values`` (in an ``IN (…)`` list)."""
    return ", ".join(["%s"] * len(values))


def joined(model: type[M], row: tuple | list, start: int) -> M | None:
    """``instance`` of a model read through a ``LEFT JOIN``, or None where the join found no row."""
    if row[start + _pk_position(model)] is None:
        return None
    return instance(model, row, start)


@cache
def _pk_position(model: type[Model]) -> int:
    return model._meta.concrete_fields.index(model._meta.pk)


@cache
def _columns(model: type[Model], alias: str, vendor: str) -> str:
    quote = connection.ops.quote_name
    return ", ".join(f"{quote(alias)}.{quote(field.column)}" for field in model._meta.concrete_fields)


@cache
def _attnames(model: type[Model]) -> list[str]:
    return [field.attname for field in model._meta.concrete_fields]


@cache
def _converters(model: type[Model], vendor: str) -> list[tuple[int, list, Any]]:
    """What the ORM's compiler converts a fetched value of each field with (``SQLCompiler.get_converters``)."""
    found = []
    for position, field in enumerate(model._meta.concrete_fields):
        column = field.get_col(model._meta.db_table)
        converters = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        if converters:
            found.append((position, converters, column))
    return found
