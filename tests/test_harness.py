"""The harness itself: debug runs, DuckDB reading, the crash helper and the secret scanner.

They run the synthetic connector (tests/fixtures/synthetic), which writes rows with no HTTP.
"""

import json

import pytest

from tests.harness import (
    assert_same_tables,
    find_secrets,
    kill_after_checkpoints,
    kill_after_seconds,
    table_snapshot,
)

SYNTHETIC = "tests/fixtures/synthetic"
pytestmark = pytest.mark.e2e


def test_sync_writes_rows_and_final_state(connector_workspace):
    workspace = connector_workspace(SYNTHETIC)
    result = workspace.sync({"row_count": "250", "every_rows": "100"})
    assert result.succeeded, result.output[-2000:]
    assert result.state == {"rows_written": 250}
    assert result.checkpoints == 3  # at 100, 200 and the end
    assert result.operations["upserts"] == 250
    rows = workspace.rows("synthetic_rows")
    assert sorted(r["id"] for r in rows) == list(range(250))
    assert workspace.column_types("synthetic_rows")["c_01"] == "DOUBLE"


def test_second_sync_continues_from_saved_state(connector_workspace):
    workspace = connector_workspace(SYNTHETIC)
    assert workspace.sync({"row_count": "50"}).succeeded
    result = workspace.sync({"row_count": "80"})
    assert result.succeeded
    assert result.operations["upserts"] == 30
    assert workspace.count("synthetic_rows") == 80


def test_failed_sync_is_reported(connector_workspace):
    workspace = connector_workspace(SYNTHETIC)
    result = workspace.sync({"row_count": "not a number"})
    assert not result.succeeded
    assert "SYNC FAILED" in result.output


def test_resume_after_kill_at_checkpoint_matches_uninterrupted_run(connector_workspace):
    configuration = {"row_count": "600", "every_rows": "100"}
    reference = connector_workspace(SYNTHETIC)
    assert reference.sync(configuration).succeeded

    resumed = connector_workspace(SYNTHETIC)
    resumed.write_configuration(configuration)
    assert kill_after_checkpoints(resumed, 2)
    assert resumed.read_state() == {"rows_written": 200}
    assert resumed.count("synthetic_rows") == 200  # only what the checkpoints committed
    assert resumed.sync().succeeded
    assert_same_tables(resumed, reference, {"synthetic_rows": "id"})


def test_resume_after_kill_at_a_moment_matches_uninterrupted_run(connector_workspace):
    configuration = {"row_count": "300", "every_rows": "20", "pause_per_row_seconds": "0.01"}
    reference = connector_workspace(SYNTHETIC)
    assert reference.sync(configuration).succeeded
    resumed = connector_workspace(SYNTHETIC)
    resumed.write_configuration(configuration)
    assert kill_after_seconds(resumed, 2.0)
    assert resumed.sync().succeeded
    assert_same_tables(resumed, reference, {"synthetic_rows": "id"})


def test_table_comparison_detects_a_changed_value(connector_workspace, tmp_path):
    rows_file = tmp_path / "rows.jsonl"
    rows_file.write_text("".join(json.dumps({"id": i, "v": i}) + "\n" for i in range(5)))
    first, second = connector_workspace(SYNTHETIC), connector_workspace(SYNTHETIC)
    assert first.sync({"rows_file": str(rows_file)}).succeeded
    rows_file.write_text(
        "".join(json.dumps({"id": i, "v": i + (i == 3)}) + "\n" for i in range(5))
    )
    assert second.sync({"rows_file": str(rows_file)}).succeeded
    assert table_snapshot(first, "synthetic_rows", "id")[3]["v"] == 3
    with pytest.raises(AssertionError, match="1 rows differ"):
        assert_same_tables(second, first, {"synthetic_rows": "id"})


def test_secret_scanner_finds_a_secret_in_a_table_and_in_output(connector_workspace, tmp_path):
    secret = "s3cr3t-value-42"
    rows_file = tmp_path / "rows.jsonl"
    rows_file.write_text(json.dumps({"id": 1, "note": f"token={secret}"}) + "\n")
    workspace = connector_workspace(SYNTHETIC)
    result = workspace.sync({"rows_file": str(rows_file)})
    assert result.succeeded
    leaks = find_secrets([secret], workspace, [result])
    assert any("table synthetic_rows" in leak for leak in leaks)
    assert find_secrets(["never-written-anywhere"], workspace, [result]) == []
