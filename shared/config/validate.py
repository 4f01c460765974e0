"""Validating a configuration against a spec's fields: typed values, or every problem at once.

Secrets get special care, because whatever reaches an exception, a log line or a crash report
lands on disk:

* every form of a secret value is registered with `shared.masking` before anything can fail: as
  written (the form Fivetran's crash report hides), stripped, and as converted (the forms the
  connector uses);
* a secret is returned as `SecretText`, a `str` whose repr is masked, so that a crash report
  listing a frame's local variables (`settings = {...}`) does not show it;
* a secret too short to be masked by anyone, or one that cannot be sent in an HTTP header, is
  refused here, naming the key and never showing the value.
"""

import copy
import difflib
import re
from collections.abc import Iterable, Mapping
from typing import Any

from shared.config.convert import Invalid, quoted
from shared.config.spec import FieldSpec
from shared.masking import MASK, MIN_SECRET_LENGTH, register_secret

_PLACEHOLDER = re.compile(r"<[^>]+>")
_CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f]")


class ConfigurationError(ValueError):
    """The configuration does not match the spec; `problems` has one line per problem."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = list(problems)


class SecretText(str):
    """A secret configuration value: used like any string, shown as `'***'` by repr()."""

    __slots__ = ()

    def __repr__(self) -> str:
        return repr(MASK)


class _Problem(Exception):
    """One line of a `ConfigurationError`, naming its key."""


def validate_values(
    fields: Iterable[FieldSpec], configuration: Mapping[str, Any]
) -> dict[str, Any]:
    """Typed values for every field, defaults applied; raises `ConfigurationError`."""
    fields = tuple(fields)
    if not isinstance(configuration, Mapping):
        raise ConfigurationError(
            [f"the configuration must be a JSON object, got {type(configuration).__name__}"]
        )
    # Registered before anything can fail: a caller may log the configuration on failure too.
    for field in fields:
        if field.secret:
            _register_forms(configuration.get(field.name))
    problems: list[str] = []
    result: dict[str, Any] = {}
    for field in fields:
        try:
            result[field.name] = _value(field, configuration)
        except _Problem as problem:
            problems.append(str(problem))
    names = [field.name for field in fields]
    problems += [_unknown_key(key, names) for key in configuration if key not in names]
    if problems:
        raise ConfigurationError(problems)
    return result


def _register_forms(value: Any) -> None:
    """Register a secret as written and stripped (the converted forms follow in `_value`)."""
    if not isinstance(value, str) or _PLACEHOLDER.fullmatch(value.strip()):
        return
    register_secret(value)
    register_secret(value.strip())


def _value(field: FieldSpec, configuration: Mapping[str, Any]) -> Any:
    """The typed value of one field; raises `_Problem`."""
    raw = configuration.get(field.name)
    if field.name in configuration and not isinstance(raw, str):
        shown = "null" if raw is None else type(raw).__name__
        if not field.secret and raw is not None:
            shown = f"{shown} {quoted(raw)}"
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
    if field.secret:
        _check_secret(field, text)
    try:
        value = field.convert(text)
    except Invalid as error:
        raise _Problem(_problem_line(field, text, error)) from None
    return _as_secret(value) if field.secret else value


def _check_secret(field: FieldSpec, text: str) -> None:
    if len(text) < MIN_SECRET_LENGTH:
        # Masking ignores values this short (they would mask common words), so such a key
        # would be printed everywhere; no real credential is this short.
        raise _Problem(
            f"{field.name} looks too short to be a real key (fewer than {MIN_SECRET_LENGTH} "
            "characters; the value is secret and not shown)"
        )
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        # HTTP headers are Latin-1: requests would fail later with an encoding error naming no key.
        raise _Problem(
            f"{field.name} contains a character that cannot be sent in an HTTP header (outside "
            "Latin-1, such as a typographic quote or dash); enter it again, typed or copied "
            "from the source (the value is secret and not shown)"
        ) from None


def _as_secret(value: Any) -> Any:
    """Register the converted forms of a secret and wrap its strings in `SecretText`."""
    if isinstance(value, str):
        register_secret(value)
        return SecretText(value)
    if isinstance(value, list):
        return [_as_secret(item) for item in value]
    if isinstance(value, dict):
        return {key: _as_secret(item) for key, item in value.items()}
    register_secret(str(value))
    return value


def _problem_line(field: FieldSpec, text: str, error: Invalid) -> str:
    if field.secret:
        # The value of a secret is never shown, not even when it is wrong.
        why = f": it {error.expectation}" if error.value_free else ""
        return f"{field.name} is invalid{why} (the value is secret and not shown)"
    got = text if error.got is None else error.got
    return f"{field.name}{error.subject} {error.expectation}, got {quoted(got)}"


def _unknown_key(key: Any, names: list[str]) -> str:
    known = ", ".join(names) or "none"
    problem = f"unknown configuration key {quoted(str(key))} (known keys: {known})"
    closest = difflib.get_close_matches(str(key), names, n=1)
    if closest:
        problem += f"; did you mean {closest[0]}?"
    return problem
