"""Converting one configuration string to its field's type.

Each converter takes a stripped, non-blank string and returns the typed value or raises
`Invalid`. Used by `validate` for values and by `spec` to check a field's default.
"""

import datetime
import json
import math
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from shared.config.spec import FieldSpec

# Used with fullmatch; ASCII so that \d is 0-9 only.
_INTEGER = re.compile(r"[+-]?\d+", re.ASCII)
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", re.ASCII)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}


class Invalid(Exception):
    """A value does not fit its field.

    The problem line reads "<key><subject> <expectation>, got <got>" (`got` defaults to the whole
    value). For a secret only "<key> is invalid" is said, plus the expectation when it is
    `value_free` (holds no part of the value).
    """

    def __init__(
        self,
        expectation: str,
        *,
        subject: str = "",
        got: str | None = None,
        value_free: bool = True,
    ):
        super().__init__(expectation)
        self.expectation = expectation
        self.subject = subject
        self.got = got
        self.value_free = value_free and not subject


def quoted(value: Any) -> str:
    """`value` as JSON (strings in double quotes), readable outside ASCII, for a message."""
    return json.dumps(value, ensure_ascii=False, default=str)


def convert(field: "FieldSpec", text: str) -> Any:
    """The typed value of a stripped, non-blank string; raises `Invalid` if it does not fit."""
    return _CONVERTERS[field.type](field, text)


def _bounds_phrase(field: "FieldSpec") -> str:
    if field.minimum is not None and field.maximum is not None:
        return f" between {field.minimum} and {field.maximum}"
    if field.minimum is not None:
        return f" >= {field.minimum}"
    if field.maximum is not None:
        return f" <= {field.maximum}"
    return ""


def _in_bounds(field: "FieldSpec", number: int | float) -> bool:
    if field.minimum is not None and number < field.minimum:
        return False
    return field.maximum is None or number <= field.maximum


def _to_string(field: "FieldSpec", text: str) -> str:
    return text


def _to_integer(field: "FieldSpec", text: str) -> int:
    # int() alone would also take "1_000" and non-ASCII digits; a config value is plain digits.
    if not _INTEGER.fullmatch(text) or not _in_bounds(field, int(text)):
        raise Invalid(f"must be an integer{_bounds_phrase(field)}")
    return int(text)


def _to_number(field: "FieldSpec", text: str) -> float:
    number = float(text) if _NUMBER.fullmatch(text) else math.nan
    if not math.isfinite(number) or not _in_bounds(field, number):
        raise Invalid(f"must be a number{_bounds_phrase(field)}")
    return number


def _to_boolean(field: "FieldSpec", text: str) -> bool:
    lowered = text.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise Invalid("must be true or false (or 1/0, yes/no)")


def _to_enum(field: "FieldSpec", text: str) -> str:
    for value in field.values:
        if value.lower() == text.lower():
            return value
    raise Invalid(f"must be one of {', '.join(field.values)}")


def _to_date(field: "FieldSpec", text: str) -> datetime.date:
    try:
        if _DATE.fullmatch(text):
            return datetime.date.fromisoformat(text)
    except ValueError:
        pass
    raise Invalid("must be a date YYYY-MM-DD")


def _to_list(field: "FieldSpec", text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def _to_url(field: "FieldSpec", text: str) -> str:
    expectation = "must be an http or https URL with a host, like https://api.example.com"
    if any(character.isspace() for character in text):
        raise Invalid(expectation)
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        raise Invalid(expectation) from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise Invalid(expectation)
    if "?" in text or "#" in text:
        # Paths are joined onto it: a query or fragment would end up in the middle of the URL.
        raise Invalid(
            "must be the root of the API, without a query (?...) or fragment (#...), "
            "like https://api.example.com/v1"
        )
    return text.rstrip("/")


def _to_mapping(field: "FieldSpec", text: str) -> dict[str, Any]:
    mapping: dict[str, Any] = {}
    for item in text.split(","):
        if not item.strip():
            continue
        key, separator, value = (part.strip() for part in item.partition(":"))
        if not separator or not key or not value:
            raise Invalid("must be key:value pairs separated by commas, like temporary:7,log:30")
        if key in mapping:
            raise Invalid(f"must name each key once ({quoted(key)} is repeated)", value_free=False)
        if field.value_type == "integer":
            if not _INTEGER.fullmatch(value) or not _in_bounds(field, int(value)):
                raise Invalid(
                    f"must be an integer{_bounds_phrase(field)}",
                    subject=f" value for {quoted(key)}",
                    got=value,
                )
            mapping[key] = int(value)
        else:
            mapping[key] = value
    return mapping


_CONVERTERS: dict[str, Callable[["FieldSpec", str], Any]] = {
    "string": _to_string,
    "integer": _to_integer,
    "number": _to_number,
    "boolean": _to_boolean,
    "enum": _to_enum,
    "date": _to_date,
    "list": _to_list,
    "url": _to_url,
    "mapping": _to_mapping,
}
TYPES = tuple(_CONVERTERS)
