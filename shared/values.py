"""Values meet their declared column types here, before any `op.upsert`.

The SDK rejects a whole sync when one value does not fit its declared column (a 2**40 in an INT
column, "n/a" in a DOUBLE one), naming neither the field nor the record, and the same page then
fails on every later sync. So every value is checked first, as Airbyte's typing does: a value that
does not fit is written as null and its original is kept in the row's `_invalid_values` JSON
column (`{"material_cost": "n/a"}`). Nothing is lost, and nothing is stuck.

    typing = TableTyping("mso_records", {"record_id": "STRING", "material_cost": "DOUBLE"},
                         primary_key=["record_id"])
    schema -> {"table": ..., "primary_key": [...], "columns": typing.columns}
    for record in page:
        op.upsert("mso_records", typing.row(record, key=record["record_id"]))
    typing.report("page 3")   # one warning per field that had invalid values on this page
    typing.invalid_total      # for the sync summary

What each declared type accepts (anything else does not fit):

- SHORT, INT, LONG: integers in the type's signed range (16, 32, 64 bits), integral floats
  (`3.0`) and integer text (`"42"`); never booleans.
- FLOAT, DOUBLE: finite numbers and number text; never booleans, NaN or infinities.
- DECIMAL: finite numbers and number text.
- BOOLEAN: booleans, 0/1 and the text true/false/1/0/yes/no (any case).
- NAIVE_DATE: `YYYY-MM-DD` text or a `date`. NAIVE_DATETIME: ISO 8601 text without an offset,
  or a naive `datetime`. UTC_DATETIME: ISO 8601 text with an offset (`Z` included) or an aware
  `datetime`, written as UTC (`...Z`). Empty text is null for every non-text type.
- STRING, XML: text; numbers and booleans become their JSON text (`true`, `1.5`); lists and
  dicts become JSON text (the SDK would store a Python repr). Text with a lone surrogate (which no
  UTF-8 writer accepts) does not fit.
- JSON: anything JSON can hold (no NaN, no lone surrogates).
- BINARY: bytes.

A primary-key column is never nulled: a key that is missing or does not fit raises
`InvalidValue`, for the caller to turn into an error row or a loud failure.
"""

import datetime
import decimal
import json
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from shared.masking import log

INVALID_VALUES_COLUMN = "_invalid_values"

INTEGER_RANGES = {
    "SHORT": (-(2**15), 2**15 - 1),
    "INT": (-(2**31), 2**31 - 1),
    "LONG": (-(2**63), 2**63 - 1),
}
_TRUE_TEXT = frozenset({"true", "1", "yes"})
_FALSE_TEXT = frozenset({"false", "0", "no"})
# Warnings name this many record keys at most; the count says how many there were.
_KEYS_PER_WARNING = 5


class InvalidValue(ValueError):
    """A value that does not fit its declared column type; the message says why."""


def coerce(value: Any, column_type: str | Mapping[str, Any]) -> Any:
    """`value` as the SDK expects it in a column of `column_type`, or InvalidValue."""
    if value is None:
        return None
    kind = column_type.get("type") if isinstance(column_type, Mapping) else column_type
    kind = str(kind).upper()
    if kind in ("STRING", "XML"):
        return _to_text(value)
    if isinstance(value, str) and not value.strip():
        return None
    converter = _CONVERTERS.get(kind)
    if converter is None:
        raise ValueError(f"unknown SDK column type {column_type!r}")
    return converter(value, kind)


def _to_text(value: Any) -> str:
    text = value if isinstance(value, str) else _json_text(value)
    _check_encodable(text)
    return text


def _json_text(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise InvalidValue(f"cannot be written as text ({error})") from None


def _check_encodable(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidValue("text holds a lone surrogate, which is not valid Unicode") from None


def _to_integer(value: Any, kind: str) -> int:
    low, high = INTEGER_RANGES[kind]
    if isinstance(value, bool):
        raise InvalidValue(f"a boolean is not an {kind}")
    number = value
    if isinstance(value, str):
        text = value.strip()
        try:
            number = int(text)
        except ValueError:
            number = _finite_float(text)
    if isinstance(number, float):
        if not math.isfinite(number) or not number.is_integer():
            raise InvalidValue(f"{value!r} is not a whole number")
        number = int(number)
    if not isinstance(number, int):
        raise InvalidValue(f"a {type(value).__name__} is not an {kind}")
    if not low <= number <= high:
        raise InvalidValue(f"{number} is outside the {kind} range [{low}, {high}]")
    return number


def _finite_float(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str | decimal.Decimal):
        raise InvalidValue(f"a {type(value).__name__} is not a number")
    try:
        number = float(value)
    except (ValueError, OverflowError):
        raise InvalidValue(f"{value!r} is not a number") from None
    if not math.isfinite(number):
        raise InvalidValue(f"{value!r} is not a finite number")
    return number


def _to_double(value: Any, kind: str) -> float:
    return _finite_float(value)


def _to_decimal(value: Any, kind: str) -> str:
    _finite_float(value)
    return str(value).strip()


def _to_boolean(value: Any, kind: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE_TEXT:
            return True
        if text in _FALSE_TEXT:
            return False
    raise InvalidValue(f"{value!r} is not a boolean")


def _to_naive_date(value: Any, kind: str) -> str:
    if isinstance(value, datetime.datetime):
        raise InvalidValue("a datetime is not a date")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, str):
        text = value.strip()
        try:
            if len(text) == 10:
                return datetime.date.fromisoformat(text).isoformat()
        except ValueError:
            pass
    raise InvalidValue(f"{value!r} is not a YYYY-MM-DD date")


def _parse_datetime(value: Any) -> datetime.datetime:
    if isinstance(value, datetime.datetime):
        return value
    if isinstance(value, str):
        try:
            return datetime.datetime.fromisoformat(value.strip())
        except ValueError:
            pass
    raise InvalidValue(f"{value!r} is not an ISO 8601 timestamp")


def _to_naive_datetime(value: Any, kind: str) -> str:
    moment = _parse_datetime(value)
    if moment.tzinfo is not None:
        raise InvalidValue(f"{value!r} has a UTC offset; NAIVE_DATETIME has none")
    return moment.isoformat()


def _to_utc_datetime(value: Any, kind: str) -> str:
    moment = _parse_datetime(value)
    if moment.tzinfo is None:
        raise InvalidValue(f"{value!r} has no UTC offset")
    moment = moment.astimezone(datetime.UTC)
    return moment.replace(tzinfo=None).isoformat() + "Z"


def _to_json(value: Any, kind: str) -> Any:
    _check_encodable(_json_text(value))
    return value


def _to_binary(value: Any, kind: str) -> bytes:
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    raise InvalidValue(f"a {type(value).__name__} is not binary")


_CONVERTERS = {
    "SHORT": _to_integer,
    "INT": _to_integer,
    "LONG": _to_integer,
    "FLOAT": _to_double,
    "DOUBLE": _to_double,
    "DECIMAL": _to_decimal,
    "BOOLEAN": _to_boolean,
    "NAIVE_DATE": _to_naive_date,
    "NAIVE_DATETIME": _to_naive_datetime,
    "UTC_DATETIME": _to_utc_datetime,
    "JSON": _to_json,
    "BINARY": _to_binary,
}


def original(value: Any) -> Any:
    """`value` in a form the `_invalid_values` JSON column can hold, as close to the source's as
    possible: JSON values as they are, anything else as text (lone surrogates escaped)."""
    try:
        json.dumps(value, allow_nan=False, ensure_ascii=False).encode("utf-8")
        return value
    except (TypeError, ValueError, UnicodeEncodeError):
        text = value if isinstance(value, str) else repr(value)
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


def coerce_record(
    record: Mapping[str, Any],
    columns: Mapping[str, Any],
    primary_key: Iterable[str] = (),
) -> tuple[dict[str, Any], dict[str, tuple[Any, str]]]:
    """(row, problems): the record with every declared column coerced, and for each value that
    did not fit, `{field: (original, reason)}`. The row has those fields as null and, when there
    are any, the originals under `_invalid_values`. Undeclared fields pass through unchanged.

    Raises InvalidValue, naming the field, when a primary-key value is missing or does not fit.
    """
    row = dict(record)
    problems: dict[str, tuple[Any, str]] = {}
    keys = set(primary_key)
    for name, column_type in columns.items():
        if name == INVALID_VALUES_COLUMN or (name not in row and name not in keys):
            continue
        value = row.get(name)
        try:
            row[name] = coerce(value, column_type)
        except InvalidValue as error:
            if name in keys:
                raise InvalidValue(f"primary key {name} = {value!r}: {error}") from None
            row[name] = None
            problems[name] = (original(value), str(error))
        if name in keys and row[name] is None:
            raise InvalidValue(f"primary key {name} is missing")
    if problems:
        row[INVALID_VALUES_COLUMN] = {name: value for name, (value, _) in problems.items()}
    return row, problems


class TableTyping:
    """A table's declared columns, the coercion of its records, and what did not fit.

    `columns` is what `schema()` declares for the table, `_invalid_values` (JSON) included.
    `row()` coerces one record; `report()` logs one warning per field with invalid values since
    the last report (naming a few record keys), so a page of bad values is a few lines, not
    thousands; `invalid_total` counts every value nulled in this sync.
    """

    def __init__(self, table: str, columns: Mapping[str, Any], primary_key: Iterable[str] = ()):
        self.table = table
        self.primary_key = list(primary_key)
        self.columns = {**columns, INVALID_VALUES_COLUMN: "JSON"}
        self.invalid_total = 0
        self._pending: dict[str, list[tuple[Any, str]]] = defaultdict(list)

    def row(self, record: Mapping[str, Any], key: Any = None) -> dict[str, Any]:
        """The record coerced to the table's columns; `key` names the record in warnings."""
        row, problems = coerce_record(record, self.columns, self.primary_key)
        for name, (_, reason) in problems.items():
            self._pending[name].append((key, reason))
        self.invalid_total += len(problems)
        return row

    def report(self, where: str = "") -> int:
        """Log what did not fit since the last report; return how many values that was."""
        count = 0
        for name, cases in self._pending.items():
            count += len(cases)
            keys = ", ".join(str(key) for key, _ in cases[:_KEYS_PER_WARNING] if key is not None)
            more = len(cases) - _KEYS_PER_WARNING
            log.warning(
                f"{self.table}: {len(cases)} value(s) of {name} did not fit "
                f"{_type_name(self.columns[name])}{f' in {where}' if where else ''} "
                f"(e.g. {cases[0][1]}); written as null, originals kept in "
                f"{INVALID_VALUES_COLUMN}"
                + (f"; records {keys}" if keys else "")
                + (f" and {more} more" if more > 0 else "")
            )
        self._pending.clear()
        return count


def _type_name(column_type: Any) -> str:
    return column_type.get("type") if isinstance(column_type, Mapping) else str(column_type)
