"""workspace.tables: the declared tables, and rows typed against them before they are written."""

import logging

import fivetran_connector_sdk
import pytest

from workspace.tables import noted, typed


@pytest.fixture
def warnings(monkeypatch, caplog):
    """The warnings logged (shared.masking falls back to `logging` outside the SDK)."""
    monkeypatch.setattr(fivetran_connector_sdk.Logging, "LOG_LEVEL", None)
    with caplog.at_level(logging.WARNING, logger="shared"):
        yield lambda: [record.getMessage() for record in caplog.records]


def test_typed_nulls_and_names_a_value_beyond_its_column_and_cleans_the_rest():
    row, problems = typed(
        "motion_sequences",
        {"sequence_id": "s1", "frame_count": 3e9, "fps": float("nan"), "name": "a\udce9"},
    )
    assert row["frame_count"] is None and row["fps"] is None and row["name"] == "a?"
    assert [problem.split(":")[0] for problem in problems] == ["frame_count"]
    assert "_invalid_values" not in row  # the row says why itself (metadata.notes, its error)


def test_noted_keeps_the_sync_going_with_the_problem_in_metadata_notes(warnings):
    row = noted(
        "ui_interactions",
        {"interaction_id": "ui-1", "duration_ms": 1e19, "metadata": {"notes": ["earlier"]}},
    )
    assert row["duration_ms"] is None
    assert row["metadata"]["notes"][0] == "earlier"
    assert row["metadata"]["notes"][1].startswith("duration_ms: ")
    [message] = warnings()
    assert "ui_interactions ui-1: duration_ms" in message and "metadata.notes" in message


def test_noted_names_the_log_for_a_table_without_metadata(warnings):
    row = noted("blend_quality_metrics", {"blend_id": "job-1", "transition_end_frame": 3e9})
    assert row["transition_end_frame"] is None and "metadata" not in row
    [message] = warnings()
    assert "blend_quality_metrics job-1: transition_end_frame" in message
    assert "noted in this log" in message


def test_a_row_that_fits_is_left_as_it_is(warnings):
    row = {"job_id": "j", "blend_weight": 0.5, "metadata": {"notes": []}}
    assert noted("blend_jobs", row) == row
    assert warnings() == []
