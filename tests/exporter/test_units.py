"""Unit tests of the exporter's pieces: names, documents, the watermark tracker, the state file."""

from __future__ import annotations

import json

import pytest

from exporter import schema
from exporter.documents import WATERMARK, DocumentBuilder, InvalidRow
from exporter.state import StateFile, target_key
from exporter.watermark import WatermarkTracker


def test_fivetran_names_and_both_spellings_map_back():
    assert schema.fivetran_name("l2_velocity_mean") == "l_2_velocity_mean"
    assert schema.fivetran_name("blend_id") == "blend_id"
    mapping = schema.column_map(["blend_id", "l_2_velocity_mean", "L2_VELOCITY_STD", "other"])
    assert mapping == {
        "blend_id": "blend_id",
        "l_2_velocity_mean": "l2_velocity_mean",
        "L2_VELOCITY_STD": "l2_velocity_std",
    }
    with pytest.raises(ValueError, match="two column names"):
        schema.column_map(["blend_id", "l2_velocity_mean", "l_2_velocity_mean"])
    with pytest.raises(ValueError, match="no 'blend_id'"):
        schema.column_map(["fid"])
    assert schema.watermark_column(["computed_at", "_fivetran_synced"]) == "_fivetran_synced"
    assert schema.watermark_column(["computed_at"]) == "computed_at"


def test_mapping_is_strict_and_typed():
    mapping = schema.mapping()
    assert mapping["dynamic"] == "strict"
    assert mapping["properties"]["computed_at"] == {"type": "date"}
    assert mapping["properties"]["has_velocity_spike"] == {"type": "boolean"}
    assert schema.template_body("mb_blends_v*")["index_patterns"] == ["mb_blends_v*"]


COLUMNS = [
    WATERMARK,
    "blend_id",
    "fid",
    "transition_start_frame",
    "has_velocity_spike",
    "metrics_status",
    "_fivetran_deleted",
]


def test_documents_convert_values_and_choose_the_operation():
    builder = DocumentBuilder(COLUMNS)
    action = builder.action((5, "b1", float("nan"), 12.0, False, "ok", False))
    assert (action.op, action.id, action.version) == ("index", "b1", 5)
    assert action.source == {
        "blend_id": "b1",
        "fid": None,
        "transition_start_frame": 12,
        "has_velocity_spike": False,
    }
    assert builder.action((6, "b1", float("inf"), 1, True, "ok", None)).source["fid"] is None
    assert builder.action((7, "b1", 1.0, 1, True, "ok", True)).op == "delete"
    assert builder.action((7, "b1", 1.0, 1, True, "error", False)).op == "delete"
    assert action.bulk("ix")["version_type"] == "external"


@pytest.mark.parametrize(
    "row, message",
    [
        ((5, "b1", "1.5", 1, True, "ok", False), "fid = '1.5' is not a number"),
        ((5, "b1", True, 1, True, "ok", False), "not a number"),
        ((5, "b1", 1.0, 1.5, True, "ok", False), "not an integer"),
        ((5, "b1", 1.0, 1, 1, "ok", False), "not a boolean"),
        ((5, None, 1.0, 1, True, "ok", False), "blend_id is empty"),
        ((None, "b1", 1.0, 1, True, "ok", False), "not a timestamp"),
    ],
)
def test_a_value_that_does_not_fit_is_refused_with_its_reason(row, message):
    with pytest.raises(InvalidRow, match=message):
        DocumentBuilder(COLUMNS).action(row)


def test_watermark_waits_for_the_earliest_unfinished_batch():
    tracker = WatermarkTracker(100)
    for batch, last in enumerate([110, 120, 130, 140]):
        tracker.started(batch, last)
    assert tracker.finished(1, True) is False and tracker.safe_us == 100
    assert tracker.finished(0, True) is True and tracker.safe_us == 120
    assert tracker.finished(3, True) is False and tracker.safe_us == 120
    assert tracker.finished(2, False) is False and tracker.safe_us == 120
    assert tracker.blocked_at == 2


def test_state_file_is_per_target_atomic_and_holds_no_credentials(tmp_path):
    key = target_key("https://user:hunter22@es.example:9200", "mb_blends", "DuckDB x")
    assert "hunter22" not in key
    state = StateFile(tmp_path / "s" / "state.json", key)
    assert state.load() == {}
    state.save({"watermark_us": 1})
    StateFile(tmp_path / "s" / "state.json", "other").save({"watermark_us": 2})
    assert state.load() == {"watermark_us": 1}
    assert len(json.loads((tmp_path / "s" / "state.json").read_text())) == 2
    assert [p.name for p in (tmp_path / "s").iterdir()] == ["state.json"]  # no temporaries


def test_exact_columns_are_copied_and_the_others_checked():
    builder = DocumentBuilder(COLUMNS, frozenset({"fid", "has_velocity_spike"}))
    action = builder.action((5, "b1", 0.5, 12.0, True, "ok", False))
    assert action.source == {"fid": 0.5, "has_velocity_spike": True, "blend_id": "b1",
                             "transition_start_frame": 12}  # fmt: skip
    with pytest.raises(InvalidRow, match="transition_start_frame"):
        builder.action((5, "b1", 0.5, "12", True, "ok", False))
    assert schema.Selection(["blend_id", "fid", "computed_at"]).exact(
        {"blend_id": "VARCHAR", "fid": "VARCHAR", "computed_at": "TIMESTAMP WITH TIME ZONE"}
    ) == {"blend_id", "computed_at"}
