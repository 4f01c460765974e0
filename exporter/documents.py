"""Warehouse rows -> bulk actions: the document, its id, its external version, index or delete.

A source yields rows as tuples in the order of its `columns`, the first being the watermark in
epoch microseconds (`WATERMARK`) and timestamps already ISO 8601 UTC strings. Each row becomes
one action: `index` for an active row with `metrics_status = 'ok'`, `delete` for a soft-deleted
row or one whose metrics are no longer ok (the index serves only good rows). The action's
external version is the watermark, so the cluster itself refuses to go back in time.

What goes to the cluster is each action's lines of the `_bulk` body (NDJSON: the action line,
then the document for an index). `DocumentBuilder` checks and converts every value in Python,
then `Action.lines` serialises them with orjson. A source that can write the lines itself in
SQL (DuckDB, when every column already has its field's type: see sources/duckdb_table.py) yields
`(watermark, id, lines)` rows instead, which `SqlLines` only checks: no Python object per
value, the largest cost of the exporter before.
"""

import math
from collections.abc import Callable
from typing import NamedTuple

import orjson

from exporter import schema

WATERMARK = "__watermark_us"


class InvalidRow(ValueError):
    """A row that cannot become a document (a value of the wrong type, a missing id)."""


_NEWLINE = orjson.OPT_APPEND_NEWLINE


class Action(NamedTuple):  # a named tuple: one is made per row, and that is cheap
    op: str  # "index" or "delete"
    id: str
    version: int  # the watermark, epoch microseconds
    source: dict | None = None  # the document (None for a delete)

    def bulk(self, index: str) -> dict:
        """The action in the shape both official clients' bulk helpers take."""
        action = {
            "_op_type": self.op,
            "_index": index,
            "_id": self.id,
            "version": self.version,
            "version_type": "external",
        }
        if self.source is not None:
            action["_source"] = self.source
        return action

    def metadata(self, index: str) -> dict:
        """The action line of the `_bulk` body."""
        return {
            self.op: {
                "_index": index,
                "_id": self.id,
                "version": self.version,
                "version_type": "external",
            }
        }

    def lines(self, index: str) -> bytes:
        """The action's lines of the `_bulk` body, each ending with a newline."""
        head = orjson.dumps(self.metadata(index), option=_NEWLINE)
        if self.source is None:
            return head
        return head + orjson.dumps(self.source, option=_NEWLINE)


def _float(value):
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError("not a number")
    value = float(value)
    return value if math.isfinite(value) else None  # NaN and infinities have no JSON form


def _integer(value):
    if isinstance(value, bool):
        raise TypeError("not an integer")
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if not isinstance(value, int):
        raise TypeError("not an integer")
    return value


def _boolean(value):
    if not isinstance(value, bool):
        raise TypeError("not a boolean")
    return value


def _keyword(value):
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise TypeError("not a string")


def _date(value):
    if not isinstance(value, str):
        raise TypeError("not an ISO 8601 timestamp")
    return value


_CONVERTERS: dict[str, Callable] = {
    "float": _float,
    "integer": _integer,
    "boolean": _boolean,
    "keyword": _keyword,
    "date": _date,
}


class DocumentBuilder:
    """Turns one source's rows into actions; built once per source from its column names.

    `exact` names the columns whose values the source guarantees to be of the field's JSON
    type already (its SQL type matches, NaN and infinities nulled in SQL): they are copied as
    they are, which is most of the work saved per row. The others are checked one by one.
    """

    def __init__(self, columns: list[str], exact: frozenset[str] = frozenset()):
        if not columns or columns[0] != WATERMARK:
            raise ValueError(f"a source's first column must be {WATERMARK}")
        names = schema.column_map(columns[1:])
        fields = [(i, c, names[c]) for i, c in enumerate(columns) if c in names]
        self._exact = [(i, f) for i, c, f in fields if c in exact]
        self._fields = [
            (i, f, _CONVERTERS[schema.FIELDS[f]]) for i, c, f in fields if c not in exact
        ]
        lowered = [c.lower() for c in columns]
        self._id = next(i for i, _, f in fields if f == schema.ID_FIELD)
        self._deleted = _position(lowered, schema.DELETED_COLUMN)
        self._status = _position(lowered, schema.STATUS_COLUMN)

    def action(self, row: tuple) -> Action:
        """The action for one row; raises InvalidRow naming the field and the value."""
        blend_id = row[self._id]
        if blend_id is None or blend_id == "":
            raise InvalidRow("blend_id is empty")
        blend_id = str(blend_id)
        version = row[0]
        if not isinstance(version, int) or version < 0:
            raise InvalidRow(f"blend {blend_id}: watermark {version!r} is not a timestamp")
        deleted = self._deleted is not None and row[self._deleted] is True
        if self._status is not None and row[self._status] != schema.EXPORTED_STATUS:
            deleted = True
        if deleted:
            return Action("delete", blend_id, version, None)
        document = {field: row[position] for position, field in self._exact}
        for position, field, convert in self._fields:
            value = row[position]
            if value is None:
                document[field] = None
                continue
            try:
                document[field] = convert(value)
            except TypeError as error:
                raise InvalidRow(
                    f"blend {blend_id}: {field} = {value!r} is {error} "
                    f"(the index maps it as {schema.FIELDS[field]})"
                ) from None
        return Action("index", blend_id, version, document)


DELETE_PREFIX = b'{"delete"'  # how a delete's lines start (orjson and DuckDB alike)


def is_delete(lines: bytes) -> bool:
    return lines.startswith(DELETE_PREFIX)


def action_of(lines: bytes) -> dict:
    """An action's lines back in the form `Action.bulk` gives (for dead letters and dry runs)."""
    head, _, document = lines.partition(b"\n")
    ((op, meta),) = orjson.loads(head).items()
    action = {"_op_type": op, **meta}
    if document.strip():
        action["_source"] = orjson.loads(document)
    return action


class SqlLines:
    """Checks `(watermark_us, blend_id, lines)` rows whose `_bulk` lines the source wrote.

    The values were typed by their columns and NaN nulled in SQL, so only the id, the version
    and the reading order are checked here: the watermark logic relies on rows arriving in
    watermark order. Calling it returns the lines as bytes."""

    def __init__(self):
        self._last_us = -1

    def __call__(self, row: tuple) -> bytes:
        version, blend_id, lines = row
        if version < self._last_us:
            raise RuntimeError(f"rows out of watermark order at blend {blend_id}")
        self._last_us = version
        if blend_id is None or blend_id == "":
            raise InvalidRow("blend_id is empty")
        if version < 0:
            raise InvalidRow(f"blend {blend_id}: watermark {version!r} is not a timestamp")
        return lines.encode()


def _position(columns: list[str], name: str) -> int | None:
    return columns.index(name) if name in columns else None
