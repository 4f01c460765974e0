"""shared.values: every declared SDK type, what fits, what does not, and what is kept."""

import datetime

import pytest

from shared.values import (
    INVALID_VALUES_COLUMN,
    InvalidValue,
    TableTyping,
    coerce,
    coerce_record,
    original,
)


@pytest.mark.parametrize(
    ("column_type", "value", "expected"),
    [
        ("INT", 42, 42),
        ("INT", "42", 42),
        ("INT", 3.0, 3),
        ("INT", 2**31 - 1, 2**31 - 1),
        ("SHORT", -(2**15), -(2**15)),
        ("LONG", 2**63 - 1, 2**63 - 1),
        ("LONG", "3000000000", 3_000_000_000),
        ("DOUBLE", "12.5", 12.5),
        ("DOUBLE", 7, 7.0),
        ("FLOAT", 1.25, 1.25),
        ({"type": "DECIMAL", "precision": 10, "scale": 2}, "12.34", "12.34"),
        ("BOOLEAN", True, True),
        ("BOOLEAN", "Yes", True),
        ("BOOLEAN", 0, False),
        ("NAIVE_DATE", "2024-12-31", "2024-12-31"),
        ("NAIVE_DATE", datetime.date(2024, 1, 2), "2024-01-02"),
        ("NAIVE_DATE", "", None),
        ("NAIVE_DATETIME", "2024-01-02T03:04:05", "2024-01-02T03:04:05"),
        ("UTC_DATETIME", "2018-06-09T17:51:53.359Z", "2018-06-09T17:51:53.359000Z"),
        ("UTC_DATETIME", "2024-01-02T03:04:05+02:00", "2024-01-02T01:04:05Z"),
        ("STRING", 0, "0"),
        ("STRING", True, "true"),
        ("STRING", {"a": 1}, '{"a": 1}'),
        ("STRING", "a\x00b", "a\x00b"),
        ("JSON", {"a": [1, 2]}, {"a": [1, 2]}),
        ("BINARY", b"\x00\x01", b"\x00\x01"),
        ("INT", None, None),
    ],
)
def test_values_that_fit_are_written_as_the_sdk_expects(column_type, value, expected):
    assert coerce(value, column_type) == expected


@pytest.mark.parametrize(
    ("column_type", "value", "reason"),
    [
        ("INT", 3_000_000_000, "outside the INT range"),
        ("INT", 2**40, "outside the INT range"),
        ("LONG", 10**19, "outside the LONG range"),
        ("LONG", 1e19, "outside the LONG range"),
        ("SHORT", 40_000, "outside the SHORT range"),
        ("INT", "ten", "not a number"),
        ("INT", 2.5, "not a whole number"),
        ("INT", True, "boolean"),
        ("DOUBLE", "n/a", "not a number"),
        ("DOUBLE", float("nan"), "not a finite number"),
        ("DOUBLE", "inf", "not a finite number"),
        ("DOUBLE", [1], "not a number"),
        ("BOOLEAN", "maybe", "not a boolean"),
        ("NAIVE_DATE", "31/12/2024", "not a YYYY-MM-DD date"),
        ("NAIVE_DATE", "2024-02-30", "not a YYYY-MM-DD date"),
        ("UTC_DATETIME", "2024-01-02T03:04:05", "no UTC offset"),
        ("NAIVE_DATETIME", "2024-01-02T03:04:05Z", "has a UTC offset"),
        ("STRING", "bad \ud800 text", "lone surrogate"),
        ("JSON", {"x": float("nan")}, "cannot be written"),
        ("BINARY", "text", "not binary"),
    ],
)
def test_values_that_do_not_fit_say_why(column_type, value, reason):
    with pytest.raises(InvalidValue, match=reason):
        coerce(value, column_type)


def test_a_record_keeps_every_value_and_nulls_only_what_does_not_fit():
    columns = {"id": "STRING", "cost": "DOUBLE", "made": "NAIVE_DATE", "years": "INT"}
    record = {"id": "r1", "cost": "n/a", "made": "31/12/2024", "years": 2**40, "extra": "kept"}
    row, problems = coerce_record(record, columns, primary_key=["id"])
    assert row == {
        "id": "r1",
        "cost": None,
        "made": None,
        "years": None,
        "extra": "kept",
        INVALID_VALUES_COLUMN: {"cost": "n/a", "made": "31/12/2024", "years": 2**40},
    }
    assert set(problems) == {"cost", "made", "years"}
    assert "outside the INT range" in problems["years"][1]


def test_a_clean_record_has_no_invalid_values_entry():
    row, problems = coerce_record({"id": "r1", "cost": "1.5"}, {"id": "STRING", "cost": "DOUBLE"})
    assert row == {"id": "r1", "cost": 1.5}
    assert problems == {}


@pytest.mark.parametrize("record", [{"cost": 1.0}, {"id": None}, {"id": "\ud800"}])
def test_a_primary_key_is_never_nulled(record):
    with pytest.raises(InvalidValue, match="primary key id"):
        coerce_record(record, {"id": "STRING", "cost": "DOUBLE"}, primary_key=["id"])


def test_originals_that_json_cannot_hold_are_kept_as_escaped_text():
    assert original("bad \ud800") == "bad \\ud800"
    assert original(float("nan")) == "nan"
    assert original(2**40) == 2**40


def test_table_typing_reports_one_warning_per_field_and_counts(monkeypatch):
    warnings: list[str] = []
    monkeypatch.setattr("shared.values.log.warning", warnings.append)
    typing = TableTyping("t", {"id": "STRING", "cost": "DOUBLE", "n": "INT"}, primary_key=["id"])
    assert typing.columns[INVALID_VALUES_COLUMN] == "JSON"
    for number in range(7):
        typing.row({"id": f"r{number}", "cost": "n/a", "n": 1}, key=f"r{number}")
    typing.row({"id": "r9", "cost": 1, "n": "ten"}, key="r9")
    assert typing.report("page 1") == 8
    assert len(warnings) == 2
    cost_line = next(line for line in warnings if " cost " in line)
    assert "7 value(s) of cost did not fit DOUBLE in page 1" in cost_line
    assert "records r0, r1, r2, r3, r4 and 2 more" in cost_line
    assert typing.invalid_total == 8
    assert typing.report() == 0
