"""Reading a connector's spec.json: the field definitions, checked once when loaded.

`load_fields(path)` / `read_fields(document)` return the `FieldSpec`s in spec order or raise
`SpecError`; the format is described in `shared.config`'s docstring. Nothing here looks at a
configuration: that is `shared.config.validate`.
"""

import copy
import dataclasses
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from shared.config.convert import TYPES, Invalid, convert, quoted

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
MAX_FIELDS = 100
_EMPTY_DEFAULTS: dict[str, Any] = {"string": "", "list": [], "mapping": {}}


class SpecError(ValueError):
    """spec.json itself is malformed."""


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
        """The typed value of a non-blank string; raises `Invalid` if it does not fit."""
        return convert(self, text.strip())


def load_fields(path: str | Path) -> tuple[FieldSpec, ...]:
    """Read and check a spec.json; pass a path built from the connector's `__file__`."""
    path = Path(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise SpecError(f"{path}: cannot read the spec: {error}") from error
    try:
        return read_fields(document)
    except SpecError as error:
        raise SpecError(f"{path}: {error}") from error


def read_fields(document: Mapping[str, Any]) -> tuple[FieldSpec, ...]:
    """Check a parsed spec (`{"fields": [...]}`) and return its fields; raises `SpecError`."""
    if not isinstance(document, Mapping) or set(document) != {"fields"}:
        raise SpecError('the spec must be a JSON object with the single key "fields"')
    entries = document["fields"]
    if not isinstance(entries, list):
        raise SpecError('"fields" must be a list of field objects')
    if len(entries) > MAX_FIELDS:
        raise SpecError(f"at most {MAX_FIELDS} fields (Fivetran's limit), got {len(entries)}")
    fields = [_field_from_dict(entry, position) for position, entry in enumerate(entries)]
    names = [field.name for field in fields]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise SpecError(f"field names must be unique: {', '.join(duplicates)} repeated")
    return tuple(fields)


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
        raise SpecError(f"{where}: unknown type {quoted(field_type)} (known: {', '.join(TYPES)})")
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
            f"got {quoted(value_type)}"
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
        except Invalid as error:
            raise SpecError(
                f"{where}: default {quoted(default_text)} does not fit: "
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
        f"{where}: default {quoted(default)} does not fit a {field.type} field; "
        "write it as the string a user would type"
    )
