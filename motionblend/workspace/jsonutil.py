"""JSON read from workspace files, and values made safe for the destination."""

import json
import math

MAX_JSON_DEPTH = 64  # deeper JSON (a manifest, a UI event) is refused as malformed


def load_json(raw: bytes):
    """Parse JSON text from a file; ValueError for anything unusable, including nesting deeper
    than MAX_JSON_DEPTH (which would overflow the stack here or in the SDK)."""
    try:
        document = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise ValueError(f"not UTF-8: {error}") from None
    except RecursionError:
        raise ValueError(f"nested deeper than {MAX_JSON_DEPTH} levels") from None
    except json.JSONDecodeError as error:
        raise ValueError(str(error)) from None
    if nesting_depth(document) > MAX_JSON_DEPTH:
        raise ValueError(f"nested deeper than {MAX_JSON_DEPTH} levels")
    return document


def nesting_depth(value) -> int:
    """How deeply lists and dicts nest in `value` (counted without recursion)."""
    deepest, pending = 0, [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            deepest = max(deepest, depth)
            pending.extend((child, depth + 1) for child in item)
    return deepest


def json_safe(value):
    """`value` with anything JSON cannot hold made plain: numpy scalars and arrays, tuples,
    bytes; NaN and infinities become null."""
    return clean(json.loads(json.dumps(value, default=_plain)))


def clean(value):
    """A row or value the destination can take: NaN and infinities become null, and text with
    lone surrogates (undecodable bytes from a file) gets `?` in their place."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return value.encode("utf-8", "replace").decode("utf-8")
        return value
    if isinstance(value, dict):
        return {clean(key): clean(item) for key, item in value.items()}
    if isinstance(value, list):
        return [clean(item) for item in value]
    return value


def _plain(value):
    if hasattr(value, "item"):  # numpy scalar
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)
