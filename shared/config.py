"""A connector's configuration, described once in its spec.json and checked against it.

spec.json is the single contract for a connector's configuration: `validate()` turns the strings
Fivetran sends into typed values, and `configuration_form()` builds the setup form from the same
description. (SDK 3.0.0 does not read spec.json itself; this module does.)

spec.json format::

    {"fields": [
      {"name": "api_key", "label": "API key", "type": "string", "required": true, "secret": true,
       "description": "Found under Settings > API."},
      {"name": "base_url", "type": "url", "default": "https://example.com"},
      {"name": "page_size", "type": "integer", "minimum": 1, "maximum": 200, "default": 100},
      {"name": "sync_mode", "type": "enum", "values": ["incremental", "full"],
       "default": "incremental"},
      {"name": "include_artifacts", "type": "boolean", "default": true},
      {"name": "start_date", "type": "date"},
      {"name": "zones", "type": "list"},
      {"name": "retention_days", "type": "mapping", "value_type": "integer", "minimum": 1,
       "default": "default:365"}
    ]}

Attributes of a field (anything else is refused, so a typo in spec.json fails loudly):

- `name` (required): the configuration key.
- `type` (required), and what `validate()` makes of the string it gets:
  - `string`: the text, surrounding whitespace stripped.
  - `integer` / `number`: int / float; optional `minimum` and `maximum` (inclusive).
  - `boolean`: true/false, 1/0, yes/no, any case.
  - `enum`: one of `values` (a non-empty list of strings); matched in any case, returned as
    spelled in the spec.
  - `date`: `YYYY-MM-DD` -> `datetime.date`.
  - `list`: comma-separated -> `list[str]`, items stripped, empty items dropped.
  - `url`: an http or https URL with a host; trailing slashes stripped.
  - `mapping`: `temporary:7,log:30` -> `{"temporary": "7", "log": "30"}`; with
    `"value_type": "integer"` the values become ints (`minimum`/`maximum` then apply to them).
- `label`: shown in the setup form; defaults to the name in words (`page_size` -> "Page size").
- `description`: help text in the setup form.
- `required` (default false): an absent or blank value is an error; a required field has no
  default.
- `secret` (default false): never echoed in an error, registered with `shared.masking` by
  `validate()`, and a password field in the form. Not for boolean or enum; never has a default.
- `default`: used when the key is absent or blank. Written as JSON (`100`, `true`, `["a", "b"]`,
  `{"log": 30}`) or as the string a user would type (`"100"`, `"log:30"`); it is checked against
  the field's type when the spec is loaded.

What `validate()` enforces: every value must be a string (Fivetran sends nothing else); unknown
keys are refused with the closest known key suggested; a value still reading like a template
placeholder (`<YOUR_API_KEY>`) is refused; every problem is reported at once, one line per problem,
each naming the key it concerns. The result has every field of the spec, `None` for an optional
field that is absent, blank, and has no default.

In a connector::

    SPEC = ConfigSpec.load(Path(__file__).with_name("spec.json"))  # not the cwd

    def configuration_form():
        return SPEC.configuration_form(tests=[("Connect to the API", connection_test)])

    def update(configuration, state):
        config = SPEC.validate(configuration)  # typed values; secrets now masked in logs
"""

import copy
import dataclasses
import datetime
import difflib
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fivetran_connector_sdk import ConfigurationForm, form_field

TYPES = ("string", "integer", "number", "boolean", "enum", "date", "list", "url", "mapping")
_MAPPING_VALUE_TYPES = ("string", "integer")
_SECRET_TYPES = ("string", "integer", "number", "date", "list", "url", "mapping")
_BOUNDED_TYPES = ("integer", "number", "mapping")
_FIELD_ATTRIBUTES = {
    "name",
    "label",
    "type",
    "required",
    "secret",
    "description",
    "default",
    "minimum",
    "maximum",
    "values",
    "value_type",
}
# Fivetran refuses a configuration of more than 100 keys.
_MAX_FIELDS = 100
# Used with fullmatch; ASCII so that \d is 0-9 only.
_PLACEHOLDER = re.compile(r"<[^>]+>")
_CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f]")
_INTEGER = re.compile(r"[+-]?\d+", re.ASCII)
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", re.ASCII)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}
# What the setup form shows in an empty field that has no default.
_FORMAT_HINTS = {"date": "YYYY-MM-DD", "list": "a,b,c", "mapping": "key:value,key:value"}
_EMPTY_DEFAULTS: dict[str, Any] = {"string": "", "list": [], "mapping": {}}


class ConfigurationError(ValueError):
    """The configuration does not match the spec; `problems` has one line per problem."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = list(problems)


class SpecError(ValueError):
    """spec.json itself is malformed."""


class _Problem(Exception):
    """One line of a `ConfigurationError`, naming its key."""


class _Invalid(Exception):
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


@dataclasses.dataclass(frozen=True)
class FieldSpec:
    """One configuration key as spec.json describes it (`default` already converted)."""

    name: str
    type: str
    label: str
    required: bool = False
    secret: bool = False
    description: str | None = None
    default: Any = None
    default_text: str | None = None
    minimum: int | float | None = None
    maximum: int | float | None = None
    values: tuple[str, ...] = ()
    value_type: str = "string"

    def convert(self, text: str) -> Any:
        """The typed value of a non-blank string; raises `_Invalid` if it does not fit."""
        return _CONVERTERS[self.type](self, text.strip())


class ConfigSpec:
    """The configuration contract of one connector: its fields, in spec.json order."""

    def __init__(self, fields: Iterable[FieldSpec]):
        self.fields: tuple[FieldSpec, ...] = tuple(fields)
        self._by_name = {field.name: field for field in self.fields}

    @classmethod
    def load(cls, path: str | Path) -> "ConfigSpec":
        """Read and check a spec.json; pass a path built from the connector's `__file__`."""
        path = Path(path)
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as error:
            raise SpecError(f"{path}: cannot read the spec: {error}") from error
        try:
            return cls.from_dict(document)
        except SpecError as error:
            raise SpecError(f"{path}: {error}") from error

    @classmethod
    def from_dict(cls, document: Mapping[str, Any]) -> "ConfigSpec":
        """Check a parsed spec (`{"fields": [...]}`) and build it; raises `SpecError`."""
        if not isinstance(document, Mapping) or set(document) != {"fields"}:
            raise SpecError('the spec must be a JSON object with the single key "fields"')
        entries = document["fields"]
        if not isinstance(entries, list):
            raise SpecError('"fields" must be a list of field objects')
        if len(entries) > _MAX_FIELDS:
            raise SpecError(f"at most {_MAX_FIELDS} fields (Fivetran's limit), got {len(entries)}")
        fields = []
        for position, entry in enumerate(entries):
            fields.append(_field_from_dict(entry, position))
        names = [field.name for field in fields]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise SpecError(f"field names must be unique: {', '.join(duplicates)} repeated")
        return cls(fields)

    @property
    def names(self) -> list[str]:
        return [field.name for field in self.fields]

    @property
    def secret_keys(self) -> list[str]:
        return [field.name for field in self.fields if field.secret]

    def defaults(self) -> dict[str, Any]:
        """The typed default of every field that has one."""
        return {
            field.name: copy.deepcopy(field.default)
            for field in self.fields
            if field.default_text is not None
        }

    def validate(self, configuration: Mapping[str, Any]) -> dict[str, Any]:
        """Typed values for every field, defaults applied; raises `ConfigurationError`.

        Every secret value given (placeholders aside) is registered with `shared.masking`, so that
        logs mask it from then on.
        """
        if not isinstance(configuration, Mapping):
            raise ConfigurationError(
                [f"the configuration must be a JSON object, got {type(configuration).__name__}"]
            )
        # Registered before anything can fail: a caller may log the configuration on failure too.
        _register_secrets(self._secret_values(configuration))
        problems: list[str] = []
        result: dict[str, Any] = {}
        for field in self.fields:
            try:
                result[field.name] = self._value(field, configuration)
            except _Problem as problem:
                problems.append(str(problem))
        for key in configuration:
            if key not in self._by_name:
                problems.append(self._unknown_key(key))
        if problems:
            raise ConfigurationError(problems)
        return result

    def configuration_form(self, tests: Iterable[tuple[str, Callable]] = ()) -> ConfigurationForm:
        """The setup form: a field per spec field, then the `(label, function)` setup tests."""
        form = ConfigurationForm()
        for field in self.fields:
            form.add_field(_form_field(field))
        for label, function in tests:
            form.add_test(label=label, func=function)
        return form

    def _secret_values(self, configuration: Mapping[str, Any]) -> list[str]:
        values = (configuration.get(name) for name in self.secret_keys)
        return [
            value.strip()
            for value in values
            if isinstance(value, str)
            and value.strip()
            and not _PLACEHOLDER.fullmatch(value.strip())
        ]

    def _value(self, field: FieldSpec, configuration: Mapping[str, Any]) -> Any:
        """The typed value of one field; raises `_Problem`."""
        raw = configuration.get(field.name)
        if field.name in configuration and not isinstance(raw, str):
            shown = "null" if raw is None else type(raw).__name__
            if not field.secret and raw is not None:
                shown = f"{shown} {_quoted(raw)}"
            raise _Problem(
                f"{field.name} must be a string in the configuration (Fivetran sends every value "
                f'as a string: write "100", "true", "a,b"), got {shown}'
            )
        if raw is None or not raw.strip():
            if field.required:
                raise _Problem(f"{field.name} is required")
            return copy.deepcopy(field.default)
        text = raw.strip()
        if _CONTROL_CHARACTER.search(text):
            # A pasted line break or tab: an HTTP client would refuse (and quote) the value.
            raise _Problem(
                f"{field.name} contains a control character (line break, tab, ...); "
                "enter it again on one line"
            )
        if _PLACEHOLDER.fullmatch(text):
            raise _Problem(
                f"{field.name} is still the placeholder {text}; set it in configuration.json"
            )
        try:
            return field.convert(text)
        except _Invalid as error:
            raise _Problem(_problem_line(field, text, error)) from None

    def _unknown_key(self, key: Any) -> str:
        known = ", ".join(self.names) or "none"
        problem = f"unknown configuration key {_quoted(str(key))} (known keys: {known})"
        closest = difflib.get_close_matches(str(key), self.names, n=1)
        if closest:
            problem += f"; did you mean {closest[0]}?"
        return problem


def _problem_line(field: FieldSpec, text: str, error: _Invalid) -> str:
    if field.secret:
        # The value of a secret is never shown, not even when it is wrong.
        why = f": it {error.expectation}" if error.value_free else ""
        return f"{field.name} is invalid{why} (the value is secret and not shown)"
    got = text if error.got is None else error.got
    return f"{field.name}{error.subject} {error.expectation}, got {_quoted(got)}"


def _quoted(value: Any) -> str:
    """`value` as JSON (strings in double quotes), readable outside ASCII, for a message."""
    return json.dumps(value, ensure_ascii=False, default=str)


def _register_secrets(secrets: list[str]) -> None:
    if not secrets:
        return
    # Imported here so that this module does not depend on masking's import order.
    from shared.masking import register_secret

    for secret in secrets:
        register_secret(secret)


# Conversions: each takes a stripped, non-blank string.


def _bounds_phrase(field: FieldSpec) -> str:
    if field.minimum is not None and field.maximum is not None:
        return f" between {field.minimum} and {field.maximum}"
    if field.minimum is not None:
        return f" >= {field.minimum}"
    if field.maximum is not None:
        return f" <= {field.maximum}"
    return ""


def _in_bounds(field: FieldSpec, number: int | float) -> bool:
    if field.minimum is not None and number < field.minimum:
        return False
    return field.maximum is None or number <= field.maximum


def _to_string(field: FieldSpec, text: str) -> str:
    return text


def _to_integer(field: FieldSpec, text: str) -> int:
    # int() alone would also take "1_000" and non-ASCII digits; a config value is plain digits.
    if not _INTEGER.fullmatch(text) or not _in_bounds(field, int(text)):
        raise _Invalid(f"must be an integer{_bounds_phrase(field)}")
    return int(text)


def _to_number(field: FieldSpec, text: str) -> float:
    number = float(text) if _NUMBER.fullmatch(text) else math.nan
    if not math.isfinite(number) or not _in_bounds(field, number):
        raise _Invalid(f"must be a number{_bounds_phrase(field)}")
    return number


def _to_boolean(field: FieldSpec, text: str) -> bool:
    lowered = text.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise _Invalid("must be true or false (or 1/0, yes/no)")


def _to_enum(field: FieldSpec, text: str) -> str:
    for value in field.values:
        if value.lower() == text.lower():
            return value
    raise _Invalid(f"must be one of {', '.join(field.values)}")


def _to_date(field: FieldSpec, text: str) -> datetime.date:
    try:
        if _DATE.fullmatch(text):
            return datetime.date.fromisoformat(text)
    except ValueError:
        pass
    raise _Invalid("must be a date YYYY-MM-DD")


def _to_list(field: FieldSpec, text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def _to_url(field: FieldSpec, text: str) -> str:
    expectation = "must be an http or https URL with a host, like https://api.example.com"
    if any(character.isspace() for character in text):
        raise _Invalid(expectation)
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        raise _Invalid(expectation) from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise _Invalid(expectation)
    return text.rstrip("/")


def _to_mapping(field: FieldSpec, text: str) -> dict[str, Any]:
    mapping: dict[str, Any] = {}
    for item in text.split(","):
        if not item.strip():
            continue
        key, separator, value = (part.strip() for part in item.partition(":"))
        if not separator or not key or not value:
            raise _Invalid("must be key:value pairs separated by commas, like temporary:7,log:30")
        if key in mapping:
            raise _Invalid(
                f"must name each key once ({_quoted(key)} is repeated)", value_free=False
            )
        if field.value_type == "integer":
            if not _INTEGER.fullmatch(value) or not _in_bounds(field, int(value)):
                raise _Invalid(
                    f"must be an integer{_bounds_phrase(field)}",
                    subject=f" value for {_quoted(key)}",
                    got=value,
                )
            mapping[key] = int(value)
        else:
            mapping[key] = value
    return mapping


_CONVERTERS: dict[str, Callable[[FieldSpec, str], Any]] = {
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


# Reading a spec entry.


def _field_from_dict(entry: Any, position: int) -> FieldSpec:
    if not isinstance(entry, Mapping):
        raise SpecError(f"field #{position + 1} must be an object")
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip():
        raise SpecError(f'field #{position + 1} needs a "name" (a non-empty string)')
    where = f"field {name}"
    unknown = sorted(set(entry) - _FIELD_ATTRIBUTES)
    if unknown:
        raise SpecError(
            f"{where}: unknown attribute(s) {', '.join(unknown)} "
            f"(known: {', '.join(sorted(_FIELD_ATTRIBUTES))})"
        )
    field_type = entry.get("type")
    if field_type not in TYPES:
        raise SpecError(f"{where}: unknown type {_quoted(field_type)} (known: {', '.join(TYPES)})")
    for flag in ("required", "secret"):
        if not isinstance(entry.get(flag, False), bool):
            raise SpecError(f"{where}: {flag} must be true or false")
    for text_attribute in ("label", "description"):
        if not isinstance(entry.get(text_attribute, ""), str):
            raise SpecError(f"{where}: {text_attribute} must be a string")
    required = entry.get("required", False)
    secret = entry.get("secret", False)
    if secret and field_type not in _SECRET_TYPES:
        raise SpecError(f"{where}: a {field_type} field cannot be secret")

    values: tuple[str, ...] = ()
    if field_type == "enum":
        raw_values = entry.get("values")
        if (
            not isinstance(raw_values, list)
            or not raw_values
            or not all(isinstance(value, str) and value.strip() for value in raw_values)
        ):
            raise SpecError(f'{where}: an enum needs "values", a non-empty list of strings')
        values = tuple(raw_values)
    elif "values" in entry:
        raise SpecError(f'{where}: "values" is only for enum fields')

    value_type = entry.get("value_type", "string")
    if "value_type" in entry and field_type != "mapping":
        raise SpecError(f'{where}: "value_type" is only for mapping fields')
    if value_type not in _MAPPING_VALUE_TYPES:
        raise SpecError(
            f"{where}: value_type must be one of {', '.join(_MAPPING_VALUE_TYPES)}, "
            f"got {_quoted(value_type)}"
        )

    minimum, maximum = entry.get("minimum"), entry.get("maximum")
    if minimum is not None or maximum is not None:
        if field_type not in _BOUNDED_TYPES or (
            field_type == "mapping" and value_type != "integer"
        ):
            raise SpecError(
                f"{where}: minimum/maximum are only for integer, number and integer mapping fields"
            )
        number_types = (float, int) if field_type == "number" else (int,)
        for bound in (minimum, maximum):
            if bound is not None and (
                isinstance(bound, bool) or not isinstance(bound, number_types)
            ):
                raise SpecError(f"{where}: minimum and maximum must be numbers of the field type")
        if minimum is not None and maximum is not None and minimum > maximum:
            raise SpecError(f"{where}: minimum {minimum} is above maximum {maximum}")

    field = FieldSpec(
        name=name,
        type=field_type,
        label=entry.get("label") or name.replace("_", " ").strip().capitalize(),
        required=required,
        secret=secret,
        description=entry.get("description"),
        minimum=minimum,
        maximum=maximum,
        values=values,
        value_type=value_type,
    )
    if "default" not in entry:
        return field
    if required:
        raise SpecError(f"{where}: a required field cannot have a default")
    if secret:
        raise SpecError(f"{where}: a secret field cannot have a default (it would be committed)")
    default_text = _default_text(field, entry["default"])
    if default_text.strip():
        try:
            default = field.convert(default_text)
        except _Invalid as error:
            raise SpecError(
                f"{where}: default {_quoted(default_text)} does not fit: "
                f"{field.name} {error.expectation}"
            ) from None
    elif field_type in _EMPTY_DEFAULTS:
        default = copy.deepcopy(_EMPTY_DEFAULTS[field_type])
    else:
        raise SpecError(f"{where}: an empty default only fits string, list and mapping fields")
    return dataclasses.replace(field, default=default, default_text=default_text)


def _default_text(field: FieldSpec, default: Any) -> str:
    """The default as a user would type it (also the form's placeholder)."""
    where = f"field {field.name}"
    if isinstance(default, str):
        return default
    if isinstance(default, bool):
        if field.type != "boolean":
            raise SpecError(f"{where}: default true/false only fits a boolean field")
        return "true" if default else "false"
    if isinstance(default, int | float) and field.type in ("integer", "number"):
        return str(default)
    if isinstance(default, list) and field.type == "list":
        if not all(isinstance(item, str) for item in default):
            raise SpecError(f"{where}: a list default must hold strings")
        return ",".join(default)
    if isinstance(default, Mapping) and field.type == "mapping":
        if not all(isinstance(value, str | int) for value in default.values()):
            raise SpecError(f"{where}: a mapping default must hold strings or integers")
        return ",".join(f"{key}:{value}" for key, value in default.items())
    raise SpecError(
        f"{where}: default {_quoted(default)} does not fit a {field.type} field; "
        "write it as the string a user would type"
    )


def _form_field(field: FieldSpec) -> Any:
    description = field.description
    if field.type == "boolean":
        return form_field.ToggleField(
            field.name, field.label, description=description, required=field.required
        )
    if field.type == "enum":
        return form_field.DropdownField(
            field.name,
            field.label,
            fields=[form_field.DropdownFieldParam(value=value) for value in field.values],
            description=description,
            required=field.required,
            placeholder=field.default_text or None,
        )
    kind = form_field.TextField.password if field.secret else form_field.TextField.plain_text
    return form_field.TextField(
        field.name,
        field.label,
        kind,
        description=description,
        required=field.required,
        placeholder=field.default_text or _FORMAT_HINTS.get(field.type),
    )
