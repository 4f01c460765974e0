"""The setup form of a connector, built from its spec's fields."""

from collections.abc import Callable, Iterable
from typing import Any

from fivetran_connector_sdk import ConfigurationForm, form_field

from shared.config.spec import FieldSpec

# What the setup form shows in an empty field that has no default.
_FORMAT_HINTS = {"date": "YYYY-MM-DD", "list": "a,b,c", "mapping": "key:value,key:value"}


def configuration_form(
    fields: Iterable[FieldSpec], tests: Iterable[tuple[str, Callable]] = ()
) -> ConfigurationForm:
    """The setup form: a field per spec field, then the `(label, function)` setup tests."""
    form = ConfigurationForm()
    for field in fields:
        form.add_field(_form_field(field))
    for label, function in tests:
        form.add_test(label=label, func=function)
    return form


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
