"""assess_blend: one blend job to one row, reading through a callback; problems become statuses."""

import json

import numpy as np
import pytest

from blend_quality.assess import METRIC_COLUMNS, BlendInputs, assess_blend, internal_error_row
from blend_quality.config import METRICS_VERSION, MetricsConfig
from tests.motionblend import sample_workspace as sw
from tests.motionblend.blend_quality.generated import WINDOW, aligned, crossfade

NOW = "2024-03-14T09:00:00Z"


@pytest.fixture(scope="module")
def files():
    """A walk (BVH, cm), a jog (TRC, mm), their crossfade (NPY, metres, manifest with fps 30)."""
    walk_m = sw.animate("walk", "walk", 300, 30, np.random.default_rng(1), jitter=False)
    jog_m = sw.animate("jog", "jog", 300, 30, np.random.default_rng(2), jitter=False)
    walk, jog = sw.forward_kinematics(walk_m), sw.forward_kinematics(jog_m)
    blend = crossfade(walk, aligned(walk, jog, 150), *WINDOW) / 100.0
    manifest = {"fps": 30, "left": "a/walk.bvh", "right": "a/jog.trc"}
    return {
        "a/walk.bvh": sw.bvh_bytes(walk_m),
        "a/jog.trc": sw.trc_bytes(jog_m, "jog.trc"),
        "a/jog9.npy": sw.npy_bytes(jog[:, :9]),
        "a/turn.fbx": b"Kaydara FBX Binary  \x00",
        "b/mix.npy": sw.npy_bytes(blend.astype(np.float32)),
        "b/mix.json": json.dumps(manifest).encode(),
    }


def reader(files):
    def read(path):
        if path not in files:
            raise FileNotFoundError(2, "No such file", path)
        return files[path]

    return read


def inputs(**changes):
    base = dict(
        blend_id="job-1",
        output_path="b/mix.npy",
        left_path="a/walk.bvh",
        right_path="a/jog.trc",
        left_motion_id="L",
        right_motion_id="R",
        blend_ratio=1.0,
        method="crossfade",
        transition_start_frame=WINDOW[0],
        transition_end_frame=WINDOW[1],
        default_fps=24.0,
    )
    return BlendInputs(**{**base, **changes})


def test_a_readable_blend_gets_every_metric_and_its_config(files):
    row = assess_blend(inputs(), reader(files), MetricsConfig(), NOW)
    assert row["metrics_status"] == "ok" and row["metrics_error"] is None
    assert all(row[column] is not None for column in METRIC_COLUMNS)
    assert row["quality_category"] == "excellent"
    assert (row["blend_id"], row["left_motion_id"], row["method"]) == ("job-1", "L", "crossfade")
    assert (row["transition_start_frame"], row["transition_end_frame"]) == WINDOW
    assert row["computed_at"] == NOW and row["metrics_version"] == METRICS_VERSION
    config = row["metrics_config"]
    assert config["coverage_tau"] == 0.1 and config["transition_source"] == "job"
    # the NPY blend's rate comes from <name>.json, not the default; cm, mm and m reconciled
    assert (config["fps"], config["fps_source"]) == (30.0, "blend")
    assert config["unit_factors"] == {"right": 0.1, "blend": 100.0}


def test_same_metrics_whatever_the_units_of_each_file(files):
    walk_m = sw.animate("walk", "walk", 300, 30, np.random.default_rng(1), jitter=False)
    walk = sw.forward_kinematics(walk_m)
    in_metres = {**files, "a/walk.npy": sw.npy_bytes(walk / 100.0)}
    cm = assess_blend(inputs(), reader(files), MetricsConfig(), NOW)
    m = assess_blend(inputs(left_path="a/walk.npy"), reader(in_metres), MetricsConfig(), NOW)
    assert m["metrics_config"]["unit_factors"] == {"right": 0.001, "blend": 1.0}
    for column in METRIC_COLUMNS:
        expected = cm[column]
        if isinstance(expected, float):
            expected = pytest.approx(expected, rel=1e-3, abs=1e-6)
        assert m[column] == expected, column


@pytest.mark.parametrize(
    "changes, status, message",
    [
        ({"output_path": None}, "error", "the blend job has no output file"),
        (
            {"right_path": None, "missing_reason": "no motion file named 'x'"},
            "error",
            "right source is unknown: no motion file named 'x'",
        ),
        ({"left_path": "a/gone.bvh"}, "error", "left source a/gone.bvh cannot be read"),
        ({"left_path": "a/turn.fbx"}, "error", "fbx files give no joint positions"),
        ({"right_path": "a/jog9.npy"}, "skeleton_mismatch", "left 15, right 9, blend 15"),
    ],
)
def test_problems_become_a_status_with_null_metrics(files, changes, status, message):
    row = assess_blend(inputs(**changes), reader(files), MetricsConfig(), NOW)
    assert row["metrics_status"] == status
    assert message in row["metrics_error"]
    assert all(row[column] is None for column in METRIC_COLUMNS)
    assert row["blend_id"] == "job-1" and row["metrics_version"] == METRICS_VERSION


def test_without_a_job_window_or_rate_the_defaults_are_recorded(files):
    changes = {"transition_start_frame": None, "transition_end_frame": None}
    plain = {**files, "b/mix.json": b'{"left": "a/walk.bvh"}'}
    row = assess_blend(inputs(**changes), reader(plain), MetricsConfig(), NOW)
    assert row["metrics_config"]["transition_source"] == "default"
    assert (row["transition_start_frame"], row["transition_end_frame"]) == (135, 165)
    assert (row["metrics_config"]["fps"], row["metrics_config"]["fps_source"]) == (24.0, "default")


def test_a_gltf_buffer_outside_the_workspace_is_refused(files):
    doc = {"asset": {"version": "2.0"}, "buffers": [{"uri": "../../etc/passwd"}]}
    doc |= {
        "skins": [{"joints": [0]}],
        "nodes": [{}],
        "animations": [
            {
                "samplers": [{"input": 0, "output": 1}],
                "channels": [{"sampler": 0, "target": {"node": 0, "path": "translation"}}],
            }
        ],
    }
    doc |= {"bufferViews": [{"buffer": 0}], "accessors": [
        {"bufferView": 0, "componentType": 5126, "count": 1, "type": "SCALAR"}] * 2}  # fmt: skip
    row = assess_blend(
        inputs(output_path="b/x.gltf"),
        reader({**files, "b/x.gltf": json.dumps(doc).encode()}),
        MetricsConfig(),
        NOW,
    )
    assert row["metrics_status"] == "error" and "outside the workspace" in row["metrics_error"]


def test_inputs_of_a_blend_jobs_row_say_why_a_side_is_unknown():
    job = {
        "job_id": "job-1",
        "output_file_path": "b/mix.npy",
        "sequence_a_id": "L",
        "sequence_b_id": None,
        "blend_weight": 1.0,
        "blend_method": "crossfade",
        "transition_start_frame": WINDOW[0],
        "transition_end_frame": WINDOW[1],
        "metadata": {
            "left_path": "a/walk.bvh",
            "right_path": None,
            "resolution_notes": {"right": "no motion file named 'jog' in the workspace"},
        },
    }
    assert BlendInputs.of_job(job, 24.0) == inputs(
        right_path=None,
        right_motion_id=None,
        missing_reason="no motion file named 'jog' in the workspace",
    )
    job["metadata"]["resolution_notes"] = {}
    assert BlendInputs.of_job(job, 24.0).missing_reason is None


def test_a_failure_of_the_metric_code_is_the_rows_error_with_null_metrics():
    row = internal_error_row(inputs(), MetricsConfig(), NOW, ZeroDivisionError("division by zero"))
    assert row["metrics_status"] == "error" and row["blend_id"] == "job-1"
    assert row["metrics_error"] == "internal error: ZeroDivisionError: division by zero"
    assert all(row[column] is None for column in METRIC_COLUMNS)
