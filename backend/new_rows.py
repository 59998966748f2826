"""New table rows for the hot write path, without SQLModel's per-attribute constructor.

A table model's constructor sets every field through pydantic's ``__setattr__`` and then
SQLAlchemy's instrumented attribute (with its history bookkeeping): about 70 µs for an
:class:`~backend.models.Event` of 19 fields, a tenth of the CPU a batch spends per event.
A row that is new (it will be INSERTed whole) needs none of that history: SQLAlchemy writes
what the instance's ``__dict__`` holds. :func:`new_row` makes the instance through the
mapper's own class manager, fills its fields and their defaults exactly as the model's
constructor would, and sets pydantic's bookkeeping the same way, in a fifth of the time.

Only for rows that are about to be added to a session. Stricter than the constructor: an
unknown name or a missing required field raises ``TypeError`` instead of being ignored.
:func:`fill_new_row` sets more fields on such a row the same way, while it has never been
flushed (a flushed row's UPDATE is made from the history this skips, so it refuses those).

:func:`insert_new_rows` stores rows that nothing reads back through the session (the
disclosures and milestone actions that follow an event) with one Core ``INSERT`` per table:
a unit-of-work flush of one such row costs about five times the statement itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar, cast

from pydantic.fields import FieldInfo
from sqlalchemy import Table, insert
from sqlmodel import Session, SQLModel

Row = TypeVar("Row", bound=SQLModel)


@dataclass(frozen=True)
class _Plan:
    """A model's fields: which are required, and how each optional one gets its default."""

    names: frozenset[str]
    required: frozenset[str]
    defaults: tuple[tuple[str, FieldInfo], ...]  # every optional field, by name
    table: Table
    #: Columns left out of an INSERT while they hold None, as a flush leaves them out: the
    #: primary key the database numbers, and any column with a default of its own.
    omitted_when_none: frozenset[str]


@cache
def _plan(model: type[SQLModel]) -> _Plan:
    if getattr(model, "__table__", None) is None:
        raise TypeError(f"{model.__name__} is not a table model")
    if model.__sqlmodel_relationships__:  # the constructor sets those through the mapper
        raise TypeError(f"{model.__name__} has relationships: build it with its constructor")
    fields = model.model_fields
    required = frozenset(name for name, info in fields.items() if info.is_required())
    optional = tuple((name, info) for name, info in fields.items() if not info.is_required())
    table = cast(Table, model.__table__)
    defaulted = frozenset(
        column.key
        for column in table.columns
        if column.primary_key or column.default is not None or column.server_default is not None
    )
    return _Plan(frozenset(fields), required, optional, table, defaulted)


def _known(model: type[SQLModel], values: dict[str, Any]) -> _Plan:
    """The model's plan, once every name in ``values`` is one of its fields."""
    plan = _plan(model)
    unknown = values.keys() - plan.names
    if unknown:
        raise TypeError(f"{model.__name__} has no field {sorted(unknown)[0]!r}")
    return plan


def new_row(model: type[Row], **values: Any) -> Row:
    """A new, transient ``model`` row holding ``values`` and the model's defaults."""
    plan = _known(model, values)
    missing = plan.required - values.keys()
    if missing:
        raise TypeError(f"{model.__name__} needs {sorted(missing)[0]!r}")
    row: Row = model._sa_class_manager.new_instance()  # type: ignore[attr-defined]
    state = row.__dict__
    state.update(values)
    for name, info in plan.defaults:
        if name not in values:
            state[name] = info.get_default(call_default_factory=True)
    object.__setattr__(row, "__pydantic_fields_set__", set(values))
    object.__setattr__(row, "__pydantic_extra__", None)
    object.__setattr__(row, "__pydantic_private__", None)
    return row


def fill_new_row(row: SQLModel, **values: Any) -> None:
    """Set ``values`` on a row that has never been flushed, as :func:`new_row` sets them.

    Such a row is INSERTed whole from what it holds, so the instrumented ``__setattr__``
    (pydantic's validation hooks, then SQLAlchemy's change history) buys nothing; a row the
    database already has is refused with ``TypeError``: its UPDATE is built from that history.
    """
    _known(type(row), values)
    if row._sa_instance_state.key is not None:  # type: ignore[attr-defined]
        raise TypeError(f"this {type(row).__name__} is stored already: set its fields instead")
    row.__dict__.update(values)
    row.__pydantic_fields_set__.update(values)


def insert_new_rows(session: Session, rows: Sequence[SQLModel]) -> None:
    """INSERT ``rows`` (never flushed, never added to a session) in ``session``'s transaction.

    One statement per table and shape, executed at once, in the order given; the rows stay
    transient (their database ids are not read back), so this is for rows nothing goes on to
    use as objects. Rows they reference must be flushed first: there is no unit of work here
    to order the statements.
    """
    groups: dict[tuple[Table, tuple[str, ...]], list[dict[str, Any]]] = {}
    for row in rows:
        plan = _plan(type(row))
        if row._sa_instance_state.key is not None or row in session:  # type: ignore[attr-defined]
            raise TypeError(f"this {type(row).__name__} is in a session already")
        held = {column.key: row.__dict__.get(column.key) for column in plan.table.columns}
        values = {
            key: value
            for key, value in held.items()
            if value is not None or key not in plan.omitted_when_none
        }
        groups.setdefault((plan.table, tuple(values)), []).append(values)
    for (table, _), params in groups.items():
        session.execute(insert(table), params)
