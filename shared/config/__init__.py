"""A connector's configuration, described once in its spec.json and checked against it.

Three modules: `spec` reads spec.json into field definitions (`FieldSpec`), `validate` checks a
configuration's values against them, `form` builds the setup form; `convert` holds the per-type
conversion both spec (defaults) and validate (values) use. `ConfigSpec` ties them together.

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
  - `url`: an http or https URL with a host, without a query or fragment (paths are joined onto
    it with `shared.http.join_url`); trailing slashes stripped.
  - `mapping`: `temporary:7,log:30` -> `{"temporary": "7", "log": "30"}`; with
    `"value_type": "integer"` the values become ints (`minimum`/`maximum` then apply to them).
- `label`: shown in the setup form; defaults to the name in words (`page_size` -> "Page size").
- `description`: help text in the setup form.
- `required` (default false): an absent or blank value is an error; a required field has no
  default.
- `secret` (default false): never echoed in an error, registered with `shared.masking` by
  `validate()` in every form (as written, stripped, converted), returned as a `SecretText` whose
  repr is masked, and a password field in the form. Refused when shorter than 4 characters
  (masking ignores such short values) or outside Latin-1 (it could not be sent in an HTTP
  header). Not for boolean or enum; never has a default.
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
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from fivetran_connector_sdk import ConfigurationForm

from shared.config.convert import TYPES
from shared.config.form import configuration_form
from shared.config.spec import FieldSpec, SpecError, load_fields, read_fields
from shared.config.validate import ConfigurationError, SecretText, validate_values

__all__ = [
    "TYPES",
    "ConfigSpec",
    "ConfigurationError",
    "FieldSpec",
    "SecretText",
    "SpecError",
]


class ConfigSpec:
    """The configuration contract of one connector: its fields, in spec.json order."""

    def __init__(self, fields: Iterable[FieldSpec]):
        self.fields: tuple[FieldSpec, ...] = tuple(fields)

    @classmethod
    def load(cls, path: str | Path) -> "ConfigSpec":
        """Read and check a spec.json; pass a path built from the connector's `__file__`."""
        return cls(load_fields(path))

    @classmethod
    def from_dict(cls, document: Mapping[str, Any]) -> "ConfigSpec":
        """Check a parsed spec (`{"fields": [...]}`) and build it; raises `SpecError`."""
        return cls(read_fields(document))

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

        Every secret value given (placeholders aside) is registered with `shared.masking` first,
        so that logs mask it from then on.
        """
        return validate_values(self.fields, configuration)

    def configuration_form(self, tests: Iterable[tuple[str, Callable]] = ()) -> ConfigurationForm:
        """The setup form: a field per spec field, then the `(label, function)` setup tests."""
        return configuration_form(self.fields, tests)
