"""motionblend end to end: `fivetran debug` in a subprocess on generated (and real) workspaces.

The generated workspace (tests/motionblend/sample_workspace.py) carries known answers: frames,
joints and fps of every motion, the blended pairs, statuses, temporary artifacts, download
counts, UI events and the malformed line. Ids are recomputed here from their documented
definition (sha256 of "<prefix>:<relative path>", 16 hex digits) rather than imported.
"""

import builtins
import hashlib
import json
import os
import shutil
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from tests.harness import SYSTEM_COLUMNS, ConnectorWorkspace, kill_after_checkpoints
from tests.motionblend.conftest import MOCAP_SAMPLES
from tests.motionblend.sample_workspace import generate_workspace

pytestmark = pytest.mark.e2e

TABLES = {
    "motion_sequences": "sequence_id",
    "blend_jobs": "job_id",
    "processing_artifacts": "artifact_id",
    "ui_interactions": "interaction_id",
}
BLENDS = "build/blend_snn"
ARTIFACTS = "build/demo_artifacts"
UI_LOG = "build/ui_analytics/events_2024-03-14.jsonl"
MOTION_SUFFIXES = (".bvh", ".fbx", ".glb", ".gltf", ".npy", ".trc")


def sid(prefix: str, rel: str) -> str:
    return hashlib.sha256(f"{prefix}:{rel}".encode()).hexdigest()[:16]


def configuration(root: Path, **overrides) -> dict:
    return {"workspace_path": str(root), **overrides}


def by_key(workspace: ConnectorWorkspace, table: str, include_deleted=False) -> dict:
    return {row[TABLES[table]]: row for row in workspace.rows(table, include_deleted)}


def moment(text: str) -> datetime:
    """A timestamp from the manifest (`...Z`) or read back from DuckDB (`... +00`)."""
    text = text.replace(" ", "T").replace("Z", "+00:00")
    return datetime.fromisoformat(text + (":00" if text.endswith("+00") else ""))


def event_line(interaction_id: str, kind: str = "view", **fields) -> str:
    event = {
        "interaction_id": interaction_id,
        "session_id": "sess-test",
        "interaction_type": kind,
        "sequence_name": "jog",
        "timestamp": "2024-03-16T10:00:00.500Z",
        "parameters": {"panel": "library"},
        **fields,
    }
    return json.dumps(event) + "\n"


@pytest.fixture
def generated(tmp_path, connector_workspace):
    """A fresh generated workspace and a connector copy (nothing synced yet)."""
    manifest = generate_workspace(tmp_path / "workspace")
    return SimpleNamespace(
        root=manifest.root, manifest=manifest, workspace=connector_workspace("motionblend")
    )


@pytest.fixture(scope="module")
def synced(tmp_path_factory, sdk_home):
    """The base generated workspace after one sync (shared, read-only)."""
    base = tmp_path_factory.mktemp("motionblend-known-answers")
    manifest = generate_workspace(base / "workspace")
    workspace = ConnectorWorkspace("motionblend", base / "run", sdk_home)
    result = workspace.sync(configuration(manifest.root))
    assert result.succeeded, result.output[-4000:]
    return SimpleNamespace(manifest=manifest, workspace=workspace, result=result)


# -- known answers -----------------------------------------------------------------------------


def test_every_motion_file_is_cataloged_with_its_frames_joints_and_fps(synced):
    manifest, rows = synced.manifest, by_key(synced.workspace, "motion_sequences")
    assert len(rows) == len(manifest.motions) + len(manifest.corrupt) == 35
    for rel, motion in manifest.motions.items():
        row = rows[sid("sequence", rel)]
        fps = motion.fps if motion.fps is not None else 30.0  # NPY without sidecar: default_fps
        assert (row["file_path"], row["name"], row["file_format"]) == (
            rel,
            motion.name,
            motion.file_format,
        )
        assert row["extraction_status"] == "ok" and row["extraction_error"] is None, rel
        assert (row["frame_count"], row["joint_count"], row["fps"]) == (
            motion.frame_count,
            motion.joint_count,
            fps,
        ), rel
        # glTF: span of the longest clip's keys; FBX: the longest stack; others: frames / fps.
        spans_keys = motion.file_format in ("glb", "gltf", "fbx")
        duration = motion.last_frame_time if spans_keys else motion.frame_count / fps
        assert row["duration_seconds"] == pytest.approx(duration), rel
        assert row["content_sha_256"] == manifest.files[rel].sha256
        assert row["file_size_bytes"] == manifest.files[rel].size_bytes
        assert moment(row["last_modified"]).timestamp() == manifest.files[rel].mtime
        assert row["is_active"] is True and row["discovered_at"]
    types = synced.workspace.column_types("motion_sequences")
    assert types["fps"] == types["duration_seconds"] == "DOUBLE"
    assert types["metadata"] == "JSON" and types["file_size_bytes"] == "BIGINT"


def test_corrupt_files_get_an_error_status_with_the_reason(synced):
    rows = by_key(synced.workspace, "motion_sequences")
    for rel, corrupt in synced.manifest.corrupt.items():
        row = rows[sid("sequence", rel)]
        assert row["extraction_status"] == corrupt.expected_status, rel
        assert row["extraction_error"], rel
        assert row["frame_count"] is None
    empty = rows[sid("sequence", "project/seed_motions/corrupt/empty_export.glb")]
    assert empty["extraction_error"] == "empty file"
    assert (
        "ASCII FBX"
        in rows[sid("sequence", "project/seed_motions/corrupt/ascii_export.fbx")][
            "extraction_error"
        ]
    )


def test_blend_jobs_resolve_manifests_double_underscore_and_blend_prefix_names(synced):
    rows = by_key(synced.workspace, "blend_jobs")
    assert len(rows) == len(synced.manifest.blends) == 8
    for job in synced.manifest.blends:
        job_id = job.job_id or sid("job", f"{BLENDS}/{job.name}")
        row = rows[job_id]
        assert row["sequence_a_id"] == sid("sequence", job.left_path), job.name
        assert row["sequence_b_id"] == sid("sequence", job.right_path), job.name
        assert row["status"] == job.status, job.name
        assert row["output_file_path"] == job.output_path
        assert row["output_frame_count"] == job.output_frame_count, job.name
        assert row["duration_ms"] == job.duration_ms
        assert row["blend_weight"] == job.blend_ratio
        assert row["blend_method"] == job.method
        assert (row["transition_start_frame"], row["transition_end_frame"]) == (
            job.transition_start_frame,
            job.transition_end_frame,
        )
        assert row["initiated_by"] == job.initiated_by
        assert json.loads(row["metadata"])["naming"] == job.naming
        if job.status == "failed":
            assert row["error_message"] == job.error_message
        else:
            assert row["error_message"] is None
    namings = {json.loads(row["metadata"])["naming"] for row in rows.values()}
    assert namings == {"manifest", "double_underscore", "blend_prefix"}


def test_artifacts_have_types_retention_jobs_and_download_counts(synced):
    manifest, rows = synced.manifest, by_key(synced.workspace, "processing_artifacts")
    expected = [rel for rel in manifest.files if rel.startswith((ARTIFACTS, BLENDS))]
    assert sorted(row["file_path"] for row in rows.values()) == sorted(expected)
    jobs = {job.name: job.job_id or sid("job", f"{BLENDS}/{job.name}") for job in manifest.blends}
    for rel in expected:
        row = rows[sid("artifact", rel)]
        assert row["checksum_sha_256"] == manifest.files[rel].sha256
        kind = manifest.artifact_kinds.get(rel)
        temporary = kind == "temporary"
        assert row["is_temporary"] is temporary, rel
        if temporary:
            assert row["retention_days"] == 7
        elif rel.endswith(".log"):
            assert (row["artifact_type"], row["retention_days"]) == ("log", 30)
            metadata = json.loads(row["metadata"])
            assert metadata["error_line_count"] == manifest.log_error_lines[rel]
        elif rel.endswith(".json"):
            assert (row["artifact_type"], row["retention_days"]) == ("manifest", 365)
        elif rel.endswith(".png"):
            assert row["artifact_type"] == "image" and row["mime_type"] == "image/png"
        else:
            assert rel.endswith(MOTION_SUFFIXES) and row["artifact_type"] == "motion"
        if rel.startswith(BLENDS):
            assert row["job_id"] == jobs[Path(rel).stem], rel
        else:
            assert row["job_id"] == manifest.artifact_jobs.get(rel), rel
        assert row["download_count"] == manifest.download_counts.get(rel, 0), rel
        last = manifest.last_downloaded.get(rel)
        assert (row["last_accessed"] and moment(row["last_accessed"])) == (last and moment(last))


def test_ui_events_are_read_and_the_malformed_line_is_skipped_with_a_warning(synced):
    manifest, rows = synced.manifest, by_key(synced.workspace, "ui_interactions")
    assert sorted(rows) == sorted(manifest.ui_event_ids) and len(rows) == 50
    for interaction_id, rel in manifest.ui_sequence_refs.items():
        assert rows[interaction_id]["sequence_id"] == sid("sequence", rel)
    assert sum(row["resulted_in_blend"] for row in rows.values()) == (
        manifest.ui_events_resulting_in_blend
    )
    assert "events_2024-03-15.jsonl: skipped 1 malformed line(s)" in synced.result.output
    assert synced.workspace.column_types("ui_interactions")["parameters"] == "JSON"


def test_state_costs_under_32_bytes_per_tracked_file(synced):
    state = synced.workspace.read_state()
    tracked = len(state["files"])
    assert tracked == 35 + 21  # a row per motion file and per artifact
    assert len(json.dumps(state["files"], separators=(",", ":"))) / tracked < 32


# -- incremental ------------------------------------------------------------------------------


def test_unchanged_workspace_writes_nothing_and_a_touched_file_only_itself(generated):
    workspace, root = generated.workspace, generated.root
    assert workspace.sync(configuration(root)).succeeded
    first = by_key(workspace, "motion_sequences")

    state_before = workspace.read_state()
    result = workspace.sync()
    assert result.succeeded
    assert (result.operations["upserts"], result.operations["updates"]) == (0, 0)
    assert result.operations["checkpoints"] == 0  # nothing new: nothing to commit
    assert workspace.read_state() == state_before

    touched = root / "project/seed_motions/jog.trc"
    os.utime(touched, (1_900_000_000, 1_900_000_000))
    with (root / UI_LOG).open("a") as log_file:
        log_file.write(event_line("ui-new-1"))
    result = workspace.sync()
    assert result.succeeded
    # The changed motion is updated in place (keeping discovered_at); the new event upserted,
    # and the quality metrics of jog_idle_mix, the blend jog.trc is a source of, computed again.
    assert (result.operations["upserts"], result.operations["updates"]) == (2, 1)
    assert result.operations["checkpoints"] == 1
    assert workspace.read_state() != state_before
    row = by_key(workspace, "motion_sequences")[sid("sequence", "project/seed_motions/jog.trc")]
    assert moment(row["last_modified"]).timestamp() == 1_900_000_000
    assert row["discovered_at"] == first[row["sequence_id"]]["discovered_at"]
    assert workspace.count("ui_interactions") == 51


def test_changing_a_blend_output_rewrites_its_motion_artifact_and_job(generated):
    workspace, root = generated.workspace, generated.root
    assert workspace.sync(configuration(root)).succeeded
    output = root / BLENDS / "jog_idle_mix.glb"
    output.write_bytes(output.read_bytes()[:500])  # the output got cut short
    result = workspace.sync()
    assert result.succeeded
    # the artifact, the job and its quality metrics (now an error row) are upserted
    assert (result.operations["upserts"], result.operations["updates"]) == (3, 1)
    job = by_key(workspace, "blend_jobs")["blend-20240314-0002"]
    assert job["status"] == "failed" and "jog_idle_mix.glb" in job["error_message"]
    motion = by_key(workspace, "motion_sequences")[sid("sequence", f"{BLENDS}/jog_idle_mix.glb")]
    assert motion["extraction_status"] == "error"


def test_removed_files_are_marked_inactive_and_soft_deleted(generated):
    workspace, root = generated.workspace, generated.root
    assert workspace.sync(configuration(root)).succeeded
    (root / "project/seed_motions/jog.trc").unlink()
    (root / BLENDS / "walk_slow__wave_right.bvh").unlink()
    (root / ARTIFACTS / "render_0001.tmp").unlink()
    result = workspace.sync()
    assert result.succeeded

    motions = by_key(workspace, "motion_sequences", include_deleted=True)
    for rel in ("project/seed_motions/jog.trc", f"{BLENDS}/walk_slow__wave_right.bvh"):
        row = motions[sid("sequence", rel)]
        assert row["is_active"] is False and row["_fivetran_deleted"] is True
    assert workspace.count("motion_sequences") == 33
    artifacts = by_key(workspace, "processing_artifacts", include_deleted=True)
    for rel in (f"{BLENDS}/walk_slow__wave_right.bvh", f"{ARTIFACTS}/render_0001.tmp"):
        assert artifacts[sid("artifact", rel)]["_fivetran_deleted"] is True
    jobs = by_key(workspace, "blend_jobs", include_deleted=True)
    assert jobs[sid("job", f"{BLENDS}/walk_slow__wave_right")]["_fivetran_deleted"] is True
    assert workspace.count("blend_jobs") == 7
    assert len(workspace.read_state()["files"]) == 56 - 4


def test_a_restored_file_comes_back_and_a_removed_manifest_changes_the_job(generated):
    workspace, root = generated.workspace, generated.root
    assert workspace.sync(configuration(root)).succeeded
    jog = root / "project/seed_motions/jog.trc"
    saved = jog.read_bytes()
    jog.unlink()
    (root / BLENDS / "mb_walk_wave_0001.json").unlink()
    assert workspace.sync().succeeded
    jog.write_bytes(saved)
    assert workspace.sync().succeeded

    row = by_key(workspace, "motion_sequences")[sid("sequence", "project/seed_motions/jog.trc")]
    assert row["is_active"] is True and row["_fivetran_deleted"] is False
    jobs = by_key(workspace, "blend_jobs", include_deleted=True)
    assert jobs["blend-20240314-0001"]["_fivetran_deleted"] is True
    fallback = jobs[sid("job", f"{BLENDS}/mb_walk_wave_0001")]
    assert fallback["_fivetran_deleted"] is False and fallback["sequence_a_id"] is None
    assert json.loads(fallback["metadata"])["naming"] == "unrecognised_name"
    preview = by_key(workspace, "processing_artifacts")[
        sid("artifact", f"{ARTIFACTS}/previews/mb_walk_wave_0001.png")
    ]
    assert preview["job_id"] == fallback["job_id"]  # the artifact follows its job's new id


def test_rotated_log_is_read_from_the_start_and_a_partial_line_waits(generated):
    workspace, root = generated.workspace, generated.root
    assert workspace.sync(configuration(root)).succeeded
    (root / UI_LOG).write_text(event_line("ui-rot-1") + event_line("ui-rot-2")[:40])
    result = workspace.sync()
    assert result.succeeded and result.operations["upserts"] == 1
    assert workspace.read_state()["ui"][UI_LOG][0] == len(event_line("ui-rot-1"))

    (root / UI_LOG).write_text(event_line("ui-rot-1") + event_line("ui-rot-2"))
    result = workspace.sync()
    assert result.succeeded and result.operations["upserts"] == 1
    assert {"ui-rot-1", "ui-rot-2"} <= set(by_key(workspace, "ui_interactions"))
    assert workspace.count("ui_interactions") == 52


def test_new_downloads_update_the_artifact_count(generated):
    workspace, root = generated.workspace, generated.root
    assert workspace.sync(configuration(root)).succeeded
    preview = f"{ARTIFACTS}/previews/jog_idle_mix.png"
    with (root / UI_LOG).open("a") as log_file:
        log_file.write(
            event_line(
                "ui-dl-1",
                "download",
                parameters={"file_path": preview},
                timestamp="2024-03-20T08:00:00Z",
            )
        )
    result = workspace.sync()
    assert result.succeeded
    assert (result.operations["upserts"], result.operations["updates"]) == (1, 1)
    row = by_key(workspace, "processing_artifacts")[sid("artifact", preview)]
    assert row["download_count"] == 1
    assert moment(row["last_accessed"]) == moment("2024-03-20T08:00:00Z")


def test_full_mode_rereads_everything_and_keeps_the_same_tables(generated):
    workspace, root = generated.workspace, generated.root
    assert workspace.sync(configuration(root)).succeeded
    before = {table: by_key(workspace, table) for table in TABLES}
    result = workspace.sync(configuration(root, sync_mode="full"))
    assert result.succeeded
    # 35 motions updated in place, 8 jobs + 21 artifacts + 50 events upserted, 7 downloads.
    assert result.operations["upserts"] == 8 + 21 + 50 + 8  # + 8 blend_quality_metrics
    assert result.operations["updates"] == 35 + 7
    for table in TABLES:
        after = by_key(workspace, table)
        assert strip(after) == strip(before[table]), table


def strip(rows: dict, extra: tuple = ()) -> dict:
    """Rows without the columns that differ between runs."""
    drop = set(SYSTEM_COLUMNS) | set(extra)
    return {key: {k: v for k, v in row.items() if k not in drop} for key, row in rows.items()}


# -- bad files, size cap, safety --------------------------------------------------------------


class _Exploit:
    """Unpickling this would create the marker file (it must never happen)."""

    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        return (builtins.open, (self.marker, "w"))


def test_hostile_and_broken_files_never_fail_the_sync(generated, tmp_path):
    root = generated.root
    seed = root / "seed_motions"
    marker = tmp_path / "unpickled"
    array = np.empty(2, dtype=object)
    array[:] = [_Exploit(str(marker)), _Exploit(str(marker))]
    np.save(seed / "pickled.npy", array, allow_pickle=True)
    (seed / "garbage.bvh").write_bytes(os.urandom(3000))
    (seed / "not_utf8.gltf").write_bytes(b"\xff\xfe{\x00\x00")
    (seed / "half.trc").write_bytes((root / "project/seed_motions/jog.trc").read_bytes()[:700])
    walk = (root / "project/seed_motions/walk_fast.bvh").read_bytes()
    (seed / "half.bvh").write_bytes(walk[: len(walk) // 2])  # cut in the MOTION section
    os.mkfifo(seed / "pipe.bvh")  # opening a FIFO would block the sync forever
    (seed / "folder.glb").mkdir()
    (root / BLENDS / "broken_manifest.json").write_text('{"left": "jog", ')
    # Lone surrogates in JSON text (undecodable bytes escaped by some writer) in keys and ids.
    (root / BLENDS / "odd__jog.json").write_text('{"job_id": "j-\\udce9", "left": "\\udce9"}')
    with (root / UI_LOG).open("a") as log_file:
        log_file.write('{"interaction_id": "ui-\\udce9", "interaction_type": "download", ')
        log_file.write('"parameters": {"file_path": "build/\\udce9.png"}}\n')
        log_file.write('{"interaction_id": "ui-deep", "parameters": ' + "[" * 50_000 + "\n")
    (root / BLENDS / "deep.json").write_text("[" * 50_000 + "]" * 50_000)
    result = generated.workspace.sync(configuration(root))
    assert result.succeeded, result.output[-3000:]
    assert not marker.exists()
    rows = {row["file_path"]: row for row in generated.workspace.rows("motion_sequences")}
    for name in ("pickled.npy", "garbage.bvh", "not_utf8.gltf", "half.trc", "half.bvh"):
        row = rows[f"seed_motions/{name}"]
        assert row["extraction_status"] == "error" and row["extraction_error"], name
    assert "seed_motions/pipe.bvh" not in rows and "seed_motions/folder.glb" not in rows
    artifact = next(
        r
        for r in generated.workspace.rows("processing_artifacts")
        if r["file_name"] == "broken_manifest.json"
    )
    assert json.loads(artifact["metadata"])["json_valid"] is False
    assert generated.workspace.count("blend_jobs") == 9  # a broken lone JSON is not a job
    assert "j-?" in by_key(generated.workspace, "blend_jobs")
    assert "ui-?" in by_key(generated.workspace, "ui_interactions")
    assert "ui-deep" not in by_key(generated.workspace, "ui_interactions")
    assert f"{UI_LOG}: skipped 1 malformed line(s)" in result.output  # the deep one


def test_files_over_the_size_cap_are_skipped_and_not_read(generated):
    root = generated.root
    (root / "seed_motions/huge.bvh").write_bytes(b"HIERARCHY\n" + b"x" * (2 << 20))
    (root / ARTIFACTS / "huge.log").write_bytes(b"ERROR x\n" * (300 << 10))
    result = generated.workspace.sync(configuration(root, max_file_size_mb="1"))
    assert result.succeeded
    motion = by_key(generated.workspace, "motion_sequences")[
        sid("sequence", "seed_motions/huge.bvh")
    ]
    assert motion["extraction_status"] == "skipped_too_large"
    assert "max_file_size_mb" in motion["extraction_error"]
    assert motion["content_sha_256"] is None and motion["frame_count"] is None
    artifact = by_key(generated.workspace, "processing_artifacts")[
        sid("artifact", f"{ARTIFACTS}/huge.log")
    ]
    assert artifact["checksum_sha_256"] is None
    assert "line_count" not in json.loads(artifact["metadata"])
    others = [r for r in generated.workspace.rows("motion_sequences") if r["name"] != "huge"]
    assert {r["extraction_status"] for r in others} == {"ok", "error", "unsupported"}


def test_symlinks_outside_the_workspace_are_not_followed_and_loops_survive(generated, tmp_path):
    root = generated.root
    outside = tmp_path / "outside"
    outside.mkdir()
    shutil.copy(root / "project/seed_motions/walk_fast.bvh", outside / "secret.bvh")
    (root / "seed_motions/escape.bvh").symlink_to(outside / "secret.bvh")
    (root / "seed_motions/escape_dir").symlink_to(outside)
    (root / "build/build_motions/up").symlink_to(root / "build")  # leads back to the roots
    (root / "seed_motions/self").symlink_to(".")
    (root / "seed_motions/alias.bvh").symlink_to("../project/seed_motions/walk_fast.bvh")
    result = generated.workspace.sync(configuration(root))
    assert result.succeeded, result.output[-3000:]
    paths = {row["file_path"] for row in generated.workspace.rows("motion_sequences")}
    assert not any("escape" in path or "secret" in path for path in paths)
    assert not any("/up/" in path or "/self/" in path for path in paths)
    assert "seed_motions/alias.bvh" in paths  # a link inside the workspace is followed
    assert len(paths) == 36
    assert "seed_motions/escape.bvh is a symlink to" in result.output
    assert "outside the workspace: not followed" in result.output


# -- resume, configuration, real files --------------------------------------------------------


def test_resume_after_kills_matches_an_uninterrupted_sync(tmp_path, connector_workspace):
    manifest = generate_workspace(tmp_path / "workspace", files=2000)
    settings = configuration(manifest.root)
    reference = connector_workspace("motionblend")
    result = reference.sync(settings)
    assert result.succeeded and result.checkpoints >= 3

    resumed = connector_workspace("motionblend")
    resumed.write_configuration(settings)
    assert kill_after_checkpoints(resumed, 1)
    partial = len(resumed.read_state()["files"])
    assert 0 < partial < len(reference.read_state()["files"])
    assert kill_after_checkpoints(resumed, 2)
    result = resumed.sync()
    assert result.succeeded
    assert result.operations["upserts"] < reference.count("motion_sequences")
    for table in TABLES:
        assert strip(by_key(resumed, table, True), ("discovered_at",)) == strip(
            by_key(reference, table, True), ("discovered_at",)
        ), table
    assert resumed.read_state() == reference.read_state()
    state = reference.read_state()
    assert len(json.dumps(state, separators=(",", ":"))) / len(state["files"]) < 32


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"workspace_path": None}, "workspace_path is required"),
        ({"workspace_path": "/nonexistent/motionblend"}, "/nonexistent/motionblend does not"),
        ({"max_file_size_mb": "abc"}, "max_file_size_mb must be an integer"),
        ({"sync_mod": "full"}, 'unknown configuration key "sync_mod"'),
        ({"retention_days": "forever:1"}, "retention_days has unknown type(s) forever"),
    ],
)
def test_bad_configuration_fails_naming_the_key(generated, change, expected):
    settings = {
        key: value
        for key, value in {**configuration(generated.root), **change}.items()
        if value is not None
    }
    result = generated.workspace.sync(settings)
    assert not result.succeeded
    assert expected in result.output
    assert generated.workspace.read_state() == {}


def test_optional_tables_can_be_switched_off(generated):
    settings = configuration(generated.root, include_artifacts="false", sync_ui_analytics="no")
    assert generated.workspace.sync(settings).succeeded
    assert generated.workspace.count("motion_sequences") == 35
    assert generated.workspace.count("blend_jobs") == 8
    for table in ("processing_artifacts", "ui_interactions"):
        assert table not in generated.workspace.tables() or generated.workspace.count(table) == 0


def test_real_sample_files_are_cataloged_ok(tmp_path, connector_workspace):
    if not MOCAP_SAMPLES.is_dir():
        pytest.skip(f"real mocap samples not available: {MOCAP_SAMPLES} is absent")
    library = tmp_path / "workspace/project/seed_motions"
    copied = []
    for sample in sorted(MOCAP_SAMPLES.rglob("*")):
        if sample.is_file() and sample.suffix.lower() in MOTION_SUFFIXES:
            target = library / sample.parent.name / sample.name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(sample, target)
            copied.append(target.relative_to(tmp_path / "workspace").as_posix())
    workspace = connector_workspace("motionblend")
    result = workspace.sync(configuration(tmp_path / "workspace"))
    assert result.succeeded, result.output[-3000:]
    rows = {row["file_path"]: row for row in workspace.rows("motion_sequences")}
    assert sorted(rows) == sorted(copied) and len(rows) >= 15
    for rel, row in rows.items():
        assert row["extraction_status"] == "ok", (rel, row["extraction_error"])
        assert row["frame_count"] is not None and row["joint_count"] is not None, rel
