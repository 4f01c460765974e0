"""blend_quality_metrics end to end: `fivetran debug` on a generated workspace with blends of
every quality, read back from DuckDB (issue #10)."""

import json
import os
import shutil
from types import SimpleNamespace

import pytest

from tests.motionblend.sample_workspace import generate_workspace

pytestmark = pytest.mark.e2e

TABLE = "blend_quality_metrics"
BLENDS = "build/blend_snn"
# columns as the destination names them: snake case split at letter/digit boundaries
L2 = [
    f"l_2_{kind}_{stat}"
    for kind in ("velocity", "acceleration")
    for stat in ("mean", "std", "max", "transition")
]
DOUBLES = [
    "blend_ratio",
    "fid",
    "coverage",
    *(f"{name}_diversity" for name in ("global", "local", "inter", "intra")),
    *L2,
    "transition_smoothness",
    "velocity_ratio",
    "acceleration_ratio",
    "quality_score",
]
FLAGS = ["has_velocity_spike", "has_rough_transition", "has_distribution_mismatch"]


def metrics_rows(workspace, include_deleted=False) -> dict:
    return {row["blend_id"]: row for row in workspace.rows(TABLE, include_deleted)}


@pytest.fixture
def quality(tmp_path, connector_workspace):
    manifest = generate_workspace(tmp_path / "workspace", quality_blends=True)
    workspace = connector_workspace("motionblend")
    result = workspace.sync({"workspace_path": str(manifest.root)})
    assert result.succeeded, result.output[-4000:]
    jobs = {job.name: job for job in manifest.blends}
    ids = {row["metadata"] and json.loads(row["metadata"])["name"]: row["job_id"]
           for row in workspace.rows("blend_jobs")}  # fmt: skip
    return SimpleNamespace(manifest=manifest, workspace=workspace, jobs=jobs, ids=ids)


def test_every_blend_job_gets_a_row_and_the_quality_blends_their_category(quality):
    rows = metrics_rows(quality.workspace)
    assert set(rows) == set(quality.ids.values())  # one row per blend job (12)
    types = quality.workspace.column_types(TABLE)
    assert all(types[name] == "DOUBLE" for name in DOUBLES), types
    assert all(types[name] == "BOOLEAN" for name in FLAGS)
    assert types["computed_at"] == "TIMESTAMP WITH TIME ZONE" and types["metrics_config"] == "JSON"
    for name, job in quality.jobs.items():
        row = rows[quality.ids[name]]
        assert not (row["metrics_error"] or "").startswith("internal error"), row
        if job.quality_category:
            assert row["metrics_status"] == "ok", row["metrics_error"]
            assert row["quality_category"] == job.quality_category, (name, row["quality_score"])
            assert all(row[column] is not None for column in DOUBLES + FLAGS)
            config = json.loads(row["metrics_config"])
            assert config["transition_source"] == "job" and config["fps"] == 30
            assert config["coverage_tau"] == 0.1 and row["metrics_version"]
            assert (row["transition_start_frame"], row["transition_end_frame"]) == (60, 90)
    by_name = {name: rows[quality.ids[name]] for name in quality.jobs}
    assert "no output file" in by_name["failed_walk_crouch"]["metrics_error"]
    assert "fbx" in by_name["turn_wave"]["metrics_error"]
    assert "truncated" in by_name["wave_jog_spiky"]["metrics_error"]
    for name in ("failed_walk_crouch", "turn_wave", "wave_jog_spiky"):
        assert by_name[name]["metrics_status"] == "error"
        assert all(by_name[name][column] is None for column in DOUBLES[1:] + FLAGS)
    poor = by_name["quality_poor"]
    assert poor["has_distribution_mismatch"] and poor["quality_score"] < 0.5
    # the sample's own blends (BVH, TRC, GLB and NPY in cm, mm and metres) measure as ok
    assert by_name["backward_crouch"]["metrics_status"] == "ok"
    assert by_name["walk_slow__wave_right"]["metrics_config"] is not None


def test_metrics_are_recomputed_only_when_inputs_or_settings_change(quality):
    workspace, root = quality.workspace, quality.manifest.root
    before = metrics_rows(workspace)
    result = workspace.sync()
    assert result.succeeded
    assert (result.operations["upserts"], result.operations["updates"]) == (0, 0)

    # a source of two quality blends changes: exactly those two are measured again
    source = root / "project/seed_motions/quality/q_jog.trc"
    os.utime(source, (1_900_000_000, 1_900_000_000))
    result = workspace.sync()
    assert result.succeeded
    assert (result.operations["upserts"], result.operations["updates"]) == (2, 1)
    after = metrics_rows(workspace)
    changed = {
        bid for bid in after if after[bid]["_fivetran_synced"] != before[bid]["_fivetran_synced"]
    }
    assert changed == {"quality-0001", "quality-0003"}

    # a metrics setting changes: every blend is measured again, and the row records it
    result = workspace.sync({"workspace_path": str(root), "coverage_tau": "0.05"})
    assert result.succeeded
    assert result.operations["upserts"] == len(after)
    assert all(
        json.loads(row["metrics_config"])["coverage_tau"] == 0.05
        for row in metrics_rows(workspace).values()
    )

    # a blend removed from the workspace: its metrics row is deleted with its job
    for suffix in ("npy", "json"):
        (root / BLENDS / f"quality_poor.{suffix}").unlink()
    result = workspace.sync()
    assert result.succeeded
    rows = metrics_rows(workspace, include_deleted=True)
    assert rows["quality-0004"]["_fivetran_deleted"]
    assert sum(not row["_fivetran_deleted"] for row in rows.values()) == len(after) - 1


def test_metrics_can_be_switched_off(tmp_path, connector_workspace):
    manifest = generate_workspace(tmp_path / "workspace")
    shutil.rmtree(manifest.root / "build/ui_analytics")  # keep the run small
    workspace = connector_workspace("motionblend")
    settings = {"workspace_path": str(manifest.root), "sync_blend_quality_metrics": "false"}
    assert workspace.sync(settings).succeeded
    assert TABLE not in workspace.tables() or workspace.count(TABLE) == 0
