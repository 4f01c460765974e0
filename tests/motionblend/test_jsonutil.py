"""workspace.jsonutil: JSON read from files, values made safe for the destination."""

import numpy as np
import pytest

from workspace.jsonutil import clean, json_safe, load_json, nesting_depth
from workspace.state import sequence_id
from workspace.ui_events import parse_event


def test_clean_replaces_lone_surrogates_and_non_finite_numbers():
    row = {"a": "caf\udce9", "b": [float("inf"), 1.5], "c\udce9": {"d": float("nan")}}
    assert clean(row) == {"a": "caf?", "b": [None, 1.5], "c?": {"d": None}}
    assert sequence_id("build/\udce9.png") == sequence_id("build/\udce9.png")


def test_json_nested_too_deeply_is_refused_not_a_crash():
    assert load_json(b'{"a": [[1]]}') == {"a": [[1]]}
    assert nesting_depth({"a": [[1]]}) == 3 and nesting_depth(5) == 0
    for raw in (b"[" * 65 + b"]" * 65, b"[" * 100_000 + b"]" * 100_000):
        with pytest.raises(ValueError, match="nested deeper than 64"):
            load_json(raw)
    assert parse_event(b'{"a": ' + b"[" * 100_000 + b"\n") is None
    assert parse_event(b"[" * 100_000 + b"]" * 100_000 + b"\n") is None


def test_json_safe_makes_numpy_and_nan_plain():
    value = {"a": np.float32(1.5), "b": (1, 2), "c": float("nan"), "d": [np.int64(3)]}
    assert json_safe(value) == {"a": 1.5, "b": [1, 2], "c": None, "d": [3]}
