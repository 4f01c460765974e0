"""Unit tests of the motionblend connector's pieces (mb_* modules and connector helpers)."""

import hashlib
import json
import os
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from mb_artifacts import (
    artifact_row,
    classify,
    image_metadata,
    json_metadata,
    log_metadata,
    mime_type,
    retention_days,
)
from mb_blends import (
    BlendGroup,
    Manifest,
    SequenceIndex,
    blend_groups,
    blend_job_row,
    read_manifest,
    sides_from_name,
)
from mb_motions import (
    MotionResult,
    clean,
    extract_motion,
    is_motion_file,
    json_safe,
    load_json,
    motion_row,
    nesting_depth,
    stem_and_format,
)
from mb_scan import ScannedFile, WorkspaceError, open_workspace, scan_workspace
from mb_state import (
    SyncState,
    artifact_id,
    default_job_id,
    fingerprint,
    hex_id,
    sequence_id,
    state_key,
)
from mb_ui_events import (
    MAX_LINE_BYTES,
    complete_lines,
    download_path,
    event_time,
    head_digest,
    interaction_row,
    parse_event,
    start_offset,
)

from tests.harness import load_connector_module

RETENTION = {"temporary": 7, "log": 30, "default": 365}


def scanned(path: Path, rel: str, root: str = "seed") -> ScannedFile:
    info = path.stat()
    return ScannedFile(rel, str(path), root, info.st_size, info.st_mtime_ns, info.st_mtime)


def write(path: Path, data: bytes | str = b"x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


BVH = (
    "HIERARCHY\nROOT Hips\n{\n\tOFFSET 0 0 0\n\tCHANNELS 6 Xposition Yposition Zposition "
    "Zrotation Xrotation Yrotation\n\tEnd Site\n\t{\n\t\tOFFSET 0 1 0\n\t}\n}\n"
    "MOTION\nFrames: 4\nFrame Time: 0.0333333\n" + "0 0 0 0 0 0\n" * 4
)


# -- mb_state ---------------------------------------------------------------------------------


def test_ids_are_sha256_of_prefix_and_relative_path():
    rel = "project/seed_motions/walk_fast.bvh"
    assert sequence_id(rel) == hashlib.sha256(f"sequence:{rel}".encode()).hexdigest()[:16]
    assert artifact_id(rel) == hashlib.sha256(f"artifact:{rel}".encode()).hexdigest()[:16]
    assert (
        default_job_id("build/blend_snn/a__b")
        == (hashlib.sha256(b"job:build/blend_snn/a__b").hexdigest()[:16])
    )
    assert sequence_id(rel) != artifact_id(rel)


def test_state_key_is_short_and_gives_the_row_id_back():
    row_id = sequence_id("seed_motions/crouch.npy")
    key = state_key(row_id)
    assert len(key) == 11 and hex_id(key) == row_id
    assert len(fingerprint(1, 2, True)) == 6
    assert fingerprint(1, 2) != fingerprint(1, 3)


def test_state_load_discards_unknown_versions_and_malformed_state():
    assert SyncState.load({})[1] is None
    assert "version" in SyncState.load({"v": 99, "files": {}})[1]
    assert "malformed" in SyncState.load({"v": 1, "files": []})[1]
    state, why = SyncState.load({"v": 1, "files": {"k": "mabcdef"}})
    assert why is None and state.files == {"k": "mabcdef"} and state.as_dict()["v"] == 1


def test_job_entries_store_only_custom_ids():
    state = SyncState()
    state.set_job("build/blend_snn/a__b", "FPFPFP", default_job_id("build/blend_snn/a__b"))
    state.set_job("build/blend_snn/m", "FPFPFP", "blend-0001")
    state.set_job("build/blend_snn/notes", "FPFPFP", None)
    assert state.jobs == {"a__b": "FPFPFPd", "m": "FPFPFPcblend-0001", "notes": "FPFPFPn"}
    assert state.job_stems() == [
        "build/blend_snn/a__b",
        "build/blend_snn/m",
        "build/blend_snn/notes",
    ]
    assert state.job_entry("build/blend_snn/a__b") == (
        "FPFPFP",
        default_job_id("build/blend_snn/a__b"),
    )
    assert state.job_entry("build/blend_snn/m") == ("FPFPFP", "blend-0001")
    assert state.job_entry("build/blend_snn/notes") == ("FPFPFP", None)
    assert state.job_entry("build/blend_snn/other") is None
    state.forget_job("build/blend_snn/notes")
    assert "notes" not in state.jobs


def test_downloads_count_and_keep_the_latest_time():
    state = SyncState()
    assert state.add_download("a.png", "2024-03-15T10:00:00.250Z") == (
        1,
        "2024-03-15T10:00:00.250Z",
    )
    assert state.add_download("a.png", "2024-03-14T10:00:00.000Z")[1] == (
        "2024-03-15T10:00:00.250Z"
    )
    assert state.add_download("a.png", None) == (3, "2024-03-15T10:00:00.250Z")
    state.reset_ui()
    assert state.downloads_of("a.png") == (0, None)


def test_state_at_100000_files_stays_under_32_bytes_per_file():
    """The figure the README reports: a workspace shaped like the generator's bulk rounds."""
    state = SyncState()
    for n in range(100_000):
        rel = f"build/build_motions/batch_{n // 20:05d}/take_{n:06d}.bvh"
        state.set_file(sequence_id(rel), "m", fingerprint(n))
    for n in range(10_000):  # every blend output is also an artifact; one blend per 10 files
        rel = f"build/blend_snn/blend_{n:05d}.bvh"
        state.set_file(artifact_id(rel), "a", fingerprint(n))
        stem = f"build/blend_snn/bulk_{n:05d}"
        state.set_job(stem, fingerprint(n), f"bulk-{n:05d}" if n % 2 else default_job_id(stem))
    size = len(json.dumps(state.as_dict(), separators=(",", ":")))
    per_file = size / 100_000
    assert per_file < 32, per_file
    assert len(json.dumps(state.files, separators=(",", ":"))) / len(state.files) < 25


# -- mb_scan ----------------------------------------------------------------------------------


def test_scan_lists_regular_files_of_the_roots_in_order(tmp_path):
    write(tmp_path / "seed_motions/b.bvh")
    write(tmp_path / "seed_motions/a.bvh")
    write(tmp_path / "project/seed_motions/z.bvh")
    write(tmp_path / "build/ui_analytics/x.jsonl")
    write(tmp_path / "elsewhere/ignored.bvh")
    os.mkfifo(tmp_path / "seed_motions/fifo.bvh")
    scan = scan_workspace(str(tmp_path))
    assert [f.rel for f in scan.files] == [
        "project/seed_motions/z.bvh",
        "seed_motions/a.bvh",
        "seed_motions/b.bvh",
        "build/ui_analytics/x.jsonl",
    ]
    assert scan.complete and scan.get("seed_motions/a.bvh").size == 1


def test_names_that_are_not_utf8_are_skipped_with_a_warning(tmp_path):
    write(tmp_path / "seed_motions/ok.bvh")
    os.makedirs(os.path.join(os.fsencode(tmp_path), b"seed_motions"), exist_ok=True)
    with open(os.path.join(os.fsencode(tmp_path), b"seed_motions", b"caf\xe9.bvh"), "wb") as f:
        f.write(b"x")
    scan = scan_workspace(str(tmp_path))
    assert [f.rel for f in scan.files] == ["seed_motions/ok.bvh"]
    assert scan.warnings == ["seed_motions/caf\\xe9.bvh: the name is not valid UTF-8: skipped"]


def test_scan_refuses_links_leaving_the_workspace_and_survives_loops(tmp_path):
    workspace, outside = tmp_path / "ws", tmp_path / "outside"
    write(outside / "secret.bvh")
    write(workspace / "seed_motions/real/a.bvh")
    (workspace / "seed_motions/out.bvh").symlink_to(outside / "secret.bvh")
    (workspace / "seed_motions/out_dir").symlink_to(outside)
    (workspace / "seed_motions/loop").symlink_to(workspace / "seed_motions")
    (workspace / "seed_motions/again").symlink_to("real")
    (workspace / "seed_motions/dangling.bvh").symlink_to(workspace / "missing.bvh")
    write(workspace / "shared_takes/b.bvh")
    (workspace / "seed_motions/takes").symlink_to(workspace / "shared_takes")
    scan = scan_workspace(str(workspace))
    assert [f.rel for f in scan.files] == ["seed_motions/real/a.bvh", "seed_motions/takes/b.bvh"]
    text = "\n".join(scan.warnings)
    assert "seed_motions/out.bvh is a symlink to" in text and "out_dir" in text
    assert "loop links to a folder already scanned" in text
    assert "again links to a folder already scanned" in text
    assert "dangling.bvh is a broken symlink" in text
    assert scan.complete


def test_a_root_linked_outside_is_not_scanned(tmp_path):
    write(tmp_path / "outside/x.bvh")
    write(tmp_path / "ws/seed_motions/a.bvh")
    (tmp_path / "ws/project").mkdir()
    (tmp_path / "ws/project/seed_motions").symlink_to(tmp_path / "outside")
    scan = scan_workspace(str(tmp_path / "ws"))
    assert [f.rel for f in scan.files] == ["seed_motions/a.bvh"]
    assert "outside the workspace" in scan.warnings[0]


def test_an_unlisted_folder_marks_the_scan_incomplete(tmp_path, monkeypatch):
    write(tmp_path / "seed_motions/locked/a.bvh")
    write(tmp_path / "seed_motions/b.bvh")
    real_scandir = os.scandir

    def scandir(path):
        if str(path).endswith("locked"):
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    scan = scan_workspace(str(tmp_path))
    assert [f.rel for f in scan.files] == ["seed_motions/b.bvh"]
    assert not scan.complete and scan.unlisted == ["seed_motions/locked"]


def test_open_workspace_explains_what_is_wrong(tmp_path):
    with pytest.raises(WorkspaceError, match="does not exist"):
        open_workspace(str(tmp_path / "missing"))
    with pytest.raises(WorkspaceError, match="is not a folder"):
        open_workspace(str(write(tmp_path / "file")))
    with pytest.raises(WorkspaceError, match="not an absolute path"):
        open_workspace("relative/workspace")
    assert open_workspace(str(tmp_path)) == os.path.realpath(tmp_path)


# -- mb_motions -------------------------------------------------------------------------------


def test_motion_suffixes_any_case():
    assert is_motion_file("a/Stretch.BVH") and is_motion_file("x.gltf")
    assert not is_motion_file("a/readme.md") and not is_motion_file("a/.bvh.tmp")
    assert stem_and_format("a/b/Take.2.FBX") == ("Take.2", "fbx")


def test_extract_motion_reads_a_bvh_and_sets_duration_to_frames_over_fps(tmp_path):
    path = write(tmp_path / "a.bvh", BVH)
    result = extract_motion(scanned(path, "seed_motions/a.bvh"), max_bytes=1 << 20, default_fps=30)
    assert (result.status, result.frame_count, result.joint_count) == ("ok", 4, 1)
    assert result.duration_seconds == pytest.approx(4 / result.fps)
    assert result.sha256 == hashlib.sha256(BVH.encode()).hexdigest()
    row = motion_row(scanned(path, "seed_motions/a.bvh"), result)
    assert row["sequence_id"] == sequence_id("seed_motions/a.bvh") and row["is_active"] is True
    assert row["last_modified"].endswith("Z") and row["metadata"]["location"] == "seed"


def test_truncated_bvh_data_is_an_error(tmp_path):
    path = write(tmp_path / "a.bvh", BVH[: BVH.index("MOTION")] + BVH[BVH.index("MOTION") :][:60])
    result = extract_motion(scanned(path, "a.bvh"), max_bytes=1 << 20, default_fps=30)
    assert result.status == "error" and "truncated BVH" in result.error


def test_too_large_files_are_never_opened(tmp_path, monkeypatch):
    path = write(tmp_path / "big.glb", b"x" * 2048)
    monkeypatch.setattr("builtins.open", lambda *a, **k: pytest.fail("file was opened"))
    result = extract_motion(scanned(path, "big.glb"), max_bytes=1024, default_fps=30)
    assert result.status == "skipped_too_large" and result.sha256 is None


def test_a_reader_crash_is_an_error_not_an_exception(tmp_path, monkeypatch):
    path = write(tmp_path / "a.bvh", BVH)
    monkeypatch.setattr(
        "mb_motions.read_metadata", lambda *a, **k: (_ for _ in ()).throw(IndexError("boom"))
    )
    result = extract_motion(scanned(path, "a.bvh"), max_bytes=1 << 20, default_fps=30)
    assert result.status == "error" and result.error == "reader failed: IndexError: boom"


def test_npy_without_sidecar_uses_the_default_fps(tmp_path):
    path = tmp_path / "a.npy"
    np.save(path, np.zeros((48, 5, 3), dtype=np.float32))
    result = extract_motion(scanned(path, "a.npy"), max_bytes=1 << 20, default_fps=24)
    assert (result.fps, result.duration_seconds, result.joint_count) == (24.0, 2.0, 5)


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


# -- mb_blends --------------------------------------------------------------------------------


def index_of(tmp_path: Path, *rels: str) -> SequenceIndex:
    files = []
    for rel in rels:
        root = {"project": "project_seed", "seed_motions": "seed", "build": "build"}[
            rel.split("/")[0]
        ]
        if rel.startswith("build/blend_snn"):
            root = "blend"
        files.append(scanned(write(tmp_path / rel), rel, root))
    return SequenceIndex(files, str(tmp_path))


def test_names_split_on_double_underscore_or_known_names_never_on_a_single_underscore(tmp_path):
    index = index_of(
        tmp_path,
        "project/seed_motions/walk_fast.bvh",
        "project/seed_motions/walk.bvh",
        "project/seed_motions/wave_left.glb",
        "seed_motions/fast_wave.bvh",
    )
    assert sides_from_name("walk_fast__wave_left", index) == (
        "double_underscore",
        "walk_fast",
        "wave_left",
    )
    # walk + fast_wave_left is no pair (fast_wave_left is unknown); walk_fast + wave_left is.
    assert sides_from_name("blend_walk_fast_wave_left", index) == (
        "blend_prefix",
        "walk_fast",
        "wave_left",
    )
    assert sides_from_name("blend_walk_fast_unknown_thing", index) == (
        "blend_prefix",
        "walk_fast",
        "unknown_thing",
    )
    assert sides_from_name("blend_foo_bar", index) == ("blend_prefix", None, None)
    assert sides_from_name("mb_walk_wave_0001", index) == ("unrecognised_name", None, None)
    assert sides_from_name("a__walk__wave_left", index)[1:] == ("a__walk", "wave_left")


def test_resolve_by_path_name_file_name_id_and_priority(tmp_path):
    index = index_of(
        tmp_path,
        "project/seed_motions/jog.trc",
        "seed_motions/jog.bvh",
        "build/build_motions/Run.BVH",
    )
    first = index.resolve("jog")
    assert first.path == "project/seed_motions/jog.trc" and "2 motion files" in first.reason
    assert index.resolve("jog.bvh").path == "seed_motions/jog.bvh"
    assert index.resolve("./seed_motions/jog.bvh").path == "seed_motions/jog.bvh"
    assert index.resolve(str(tmp_path / "seed_motions/jog.bvh")).path == "seed_motions/jog.bvh"
    assert index.resolve("run").path == "build/build_motions/Run.BVH"  # any case
    assert index.resolve(sequence_id("seed_motions/jog.bvh")).path == "seed_motions/jog.bvh"
    missing = index.resolve("seed_motions/gone.bvh")
    assert missing.sequence_id is None and "not a motion file" in missing.reason
    assert index.resolve(None).reason == "no reference given"


def test_blend_groups_pair_outputs_and_manifests_by_stem(tmp_path):
    files = [
        scanned(write(tmp_path / name), f"build/blend_snn/{name}", "blend")
        for name in ("a.bvh", "a.json", "b.json", "c.glb", "notes.txt")
    ]
    groups = blend_groups(files)
    assert [
        (g.name, [f.name for f in g.outputs], g.manifest and g.manifest.name) for g in groups
    ] == [
        ("a", ["a.bvh"], "a.json"),
        ("b", [], "b.json"),
        ("c", ["c.glb"], None),
    ]


def job_row(tmp_path, doc, output_status="ok", with_output=True, name="mix"):
    index = index_of(tmp_path, "project/seed_motions/walk.bvh", "seed_motions/wave.bvh")
    group = BlendGroup(f"build/blend_snn/{name}")
    if with_output:
        group.outputs.append(
            scanned(write(tmp_path / f"{name}.bvh"), f"build/blend_snn/{name}.bvh", "blend")
        )
    group.manifest = scanned(write(tmp_path / f"{name}.json"), f"build/blend_snn/{name}.json")
    output = MotionResult(output_status, None if output_status == "ok" else "cut", 90)
    return blend_job_row(group, Manifest(doc), output if with_output else None, index)


def test_job_row_from_a_manifest(tmp_path):
    row = job_row(
        tmp_path,
        {
            "job_id": "j-1",
            "left": "walk",
            "right": "seed_motions/wave.bvh",
            "blend_ratio": "0.25",
            "started_at": "2024-03-14T10:00:00Z",
            "completed_at": "2024-03-14T10:00:01.5Z",
            "transition_start_frame": 10,
            "transition_end_frame": 20.5,
            "processing_config": {"model": "snn"},
        },
    )
    assert row["job_id"] == "j-1" and row["status"] == "completed"
    assert row["sequence_a_id"] == sequence_id("project/seed_motions/walk.bvh")
    assert row["sequence_b_id"] == sequence_id("seed_motions/wave.bvh")
    assert (row["blend_weight"], row["duration_ms"], row["output_frame_count"]) == (0.25, 1500, 90)
    assert row["transition_end_frame"] is None
    assert any("transition_end_frame" in note for note in row["metadata"]["notes"])


def test_job_status_failed_when_said_or_when_the_output_is_corrupt(tmp_path):
    said = job_row(tmp_path, {"left": "walk", "right": "wave", "status": "FAILED"})
    assert said["status"] == "failed"
    corrupt = job_row(tmp_path, {"left": "walk", "right": "wave"}, output_status="error")
    assert corrupt["status"] == "failed" and corrupt["error_message"].endswith(": cut")
    assert corrupt["output_frame_count"] is None
    running = job_row(
        tmp_path, {"left": "a", "right": "b", "status": "running"}, with_output=False
    )
    assert running["status"] == "running" and running["output_file_path"] is None
    lost = job_row(tmp_path, {"left": "walk", "right": "wave"}, with_output=False)
    assert lost["status"] == "failed" and "no output" in lost["error_message"]
    assert lost["job_id"] == default_job_id("build/blend_snn/mix")
    assert lost["metadata"]["resolution_notes"] == {}


def test_unresolvable_sides_stay_null_with_the_reason(tmp_path):
    row = job_row(tmp_path, {"left": "nobody", "right": "wave"})
    assert row["sequence_a_id"] is None and row["sequence_b_id"] is not None
    assert "no motion file named 'nobody'" in row["metadata"]["resolution_notes"]["left"]
    unnamed = job_row(tmp_path, {"job_id": "x"}, name="mb_0001")
    assert unnamed["sequence_a_id"] is None and unnamed["metadata"]["naming"] == (
        "unrecognised_name"
    )


def test_a_stray_unreadable_json_is_no_job(tmp_path):
    path = write(tmp_path / "notes.json", "{broken")
    manifest = read_manifest(scanned(path, "build/blend_snn/notes.json", "blend"))
    assert manifest.document is None and "not valid JSON" in manifest.error
    group = BlendGroup("build/blend_snn/notes", manifest=scanned(path, "x", "blend"))
    assert blend_job_row(group, manifest, None, index_of(tmp_path)) is None


# -- mb_artifacts -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rel", "expected"),
    [
        ("build/demo_artifacts/previews/a.png", ("image", False)),
        ("build/demo_artifacts/logs/run.log", ("log", False)),
        ("build/demo_artifacts/demo_manifest.json", ("manifest", False)),
        ("build/demo_artifacts/tmp/partial_export.json", ("manifest", True)),
        ("build/demo_artifacts/render_0001.tmp", ("other", True)),
        ("build/blend_snn/mix.glb.partial", ("motion", True)),
        ("build/blend_snn/mix.BVH", ("motion", False)),
        ("build/demo_artifacts/data.bin", ("other", False)),
    ],
)
def test_artifact_types_and_temporary_files(rel, expected):
    assert classify(rel) == expected


def test_retention_prefers_temporary_then_type_then_default():
    assert retention_days("log", True, RETENTION) == 7
    assert retention_days("log", False, RETENTION) == 30
    assert retention_days("image", False, RETENTION) == 365
    assert retention_days("image", False, {"log": 3}) is None
    assert mime_type("a.glb") == "model/gltf-binary" and mime_type("a.png") == "image/png"
    assert mime_type("a.weird") == "application/octet-stream"


def test_log_metadata_counts_level_words_not_exception_names(tmp_path):
    path = write(
        tmp_path / "a.log",
        "10:00 INFO start\n10:01 ERROR x: RuntimeError: boom\nRuntimeError: boom\n"
        "10:02 WARNING slow\n10:03 CRITICAL down\n",
    )
    assert log_metadata(str(path)) == {
        "line_count": 5,
        "error_line_count": 2,
        "warning_line_count": 1,
    }


def png(width: int, height: int) -> bytes:
    def chunk(tag, data):
        return (
            struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")


def test_image_and_json_metadata(tmp_path):
    assert image_metadata(str(write(tmp_path / "a.png", png(32, 16)))) == {
        "format": "png",
        "width": 32,
        "height": 16,
    }
    gif = b"GIF89a" + struct.pack("<HH", 7, 9) + b"\x00" * 10
    assert image_metadata(str(write(tmp_path / "a.gif", gif)))["width"] == 7
    jpeg = b"\xff\xd8\xff\xc0\x00\x11\x08" + struct.pack(">HH", 480, 640) + b"\x00" * 10
    assert image_metadata(str(write(tmp_path / "a.jpg", jpeg)))["height"] == 480
    good = write(tmp_path / "a.json", '{"job_id": 1, "left": "a"}')
    assert json_metadata(str(good), 30)["top_level_keys"] == ["job_id", "left"]
    assert json_metadata(str(write(tmp_path / "b.json", "{")), 1)["json_valid"] is False


def test_artifact_row_carries_downloads_and_skips_reading_large_files(tmp_path):
    path = write(tmp_path / "run.log", "ERROR a\n" * 10)
    file = scanned(path, "build/demo_artifacts/run.log", "artifacts")
    row = artifact_row(
        file, job_id="j", retention=RETENTION, max_bytes=10, downloads=(2, "2024-01-01T00:00Z")
    )
    assert (row["download_count"], row["last_accessed"], row["retention_days"]) == (
        2,
        "2024-01-01T00:00Z",
        30,
    )
    assert row["checksum_sha256"] is None and "skipped" in row["metadata"]
    read = artifact_row(
        file, job_id=None, retention=RETENTION, max_bytes=1 << 20, downloads=(0, None)
    )
    assert read["checksum_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert read["metadata"]["error_line_count"] == 10


# -- mb_ui_events -----------------------------------------------------------------------------


def test_offsets_restart_on_shrink_or_a_new_first_line(tmp_path):
    path = write(tmp_path / "e.jsonl", "one\ntwo\n")
    head = head_digest(str(path))
    assert start_offset(str(path), 8, None) == (0, None)
    assert start_offset(str(path), 0, None) == (None, None)
    assert start_offset(str(path), 8, [8, head]) == (None, None)
    assert start_offset(str(path), 8, [4, head]) == (4, None)
    assert start_offset(str(path), 8, [20, head])[0] == 0
    write(path, "new\ntwo\nthree\n")
    offset, why = start_offset(str(path), 14, [8, head])
    assert offset == 0 and "first line changed" in why


def test_only_complete_lines_are_consumed(tmp_path):
    path = write(tmp_path / "e.jsonl", '{"a": 1}\n\n{"b": 2}\n{"c": ')
    assert list(complete_lines(str(path), 0)) == [
        (b'{"a": 1}\n', 9),
        (b"\n", 10),
        (b'{"b": 2}\n', 19),
    ]
    assert list(complete_lines(str(path), 19)) == []


def test_an_overlong_line_is_skipped_whole(tmp_path):
    path = write(tmp_path / "e.jsonl", b"x" * (MAX_LINE_BYTES + 10) + b"\n{}\n")
    lines = list(complete_lines(str(path), 0))
    assert lines[0] == (None, MAX_LINE_BYTES + 11)
    assert lines[1] == (b"{}\n", MAX_LINE_BYTES + 14)


def test_malformed_lines_and_timestamps():
    assert parse_event(b'{"a": 1}\n') == {"a": 1}
    assert parse_event(b'{"a": \n') is None and parse_event(b"[1]\n") is None
    assert parse_event(b"\xff\n") is None
    assert event_time("2024-03-14T09:30:00Z") == "2024-03-14T09:30:00.000Z"
    assert event_time("2024-03-14T10:30:00.25+01:00") == "2024-03-14T09:30:00.250Z"
    assert event_time(1710408600) == "2024-03-14T09:30:00.000Z"
    assert event_time(1710408600250) == "2024-03-14T09:30:00.250Z"
    assert event_time("yesterday") is None and event_time(True) is None


def test_interaction_rows_resolve_sequences_and_derive_missing_ids(tmp_path):
    index = index_of(tmp_path, "project/seed_motions/jog.trc")
    event = {"sequence_name": "jog", "resulted_in_blend": "true", "viewport_size": [800, 600]}
    line = json.dumps(event).encode()
    row = interaction_row(event, line, "build/ui_analytics/a.jsonl", index.resolve)
    assert row["sequence_id"] == sequence_id("project/seed_motions/jog.trc")
    assert row["interaction_id"].startswith("derived-")
    assert (
        row["interaction_id"] == interaction_row(event, line, "x", index.resolve)["interaction_id"]
    )
    assert (row["resulted_in_blend"], row["viewport_size"]) == (True, "800x600")


def test_download_paths_are_workspace_relative():
    event = {"interaction_type": "download", "parameters": {"file_path": "/ws/build/a.png"}}
    assert download_path(event, "/ws") == "build/a.png"
    assert download_path({**event, "parameters": {"path": "./build\\b.png"}}, "/ws") == (
        "build/b.png"
    )
    assert download_path({"interaction_type": "view"}, "/ws") is None


# -- connector --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def connector():
    return load_connector_module("motionblend")


def test_configuration_is_typed_and_checked(connector, tmp_path):
    settings = connector.validate_configuration({"workspace_path": str(tmp_path)})
    assert settings["sync_mode"] == "incremental" and settings["include_artifacts"] is True
    assert settings["max_file_size_mb"] == 100 and settings["default_fps"] == 30
    assert settings["retention_days"] == RETENTION
    with pytest.raises(ValueError, match="retention_days has unknown type"):
        connector.validate_configuration(
            {"workspace_path": str(tmp_path), "retention_days": "logs:3"}
        )
    with pytest.raises(ValueError, match="does not exist"):
        connector.validate_configuration({"workspace_path": str(tmp_path / "nope")})


def test_shipped_configuration_matches_the_spec_but_for_the_placeholder(connector):
    shipped = json.loads((Path(connector.__file__).parent / "configuration.json").read_text())
    assert all(isinstance(value, str) for value in shipped.values())
    with pytest.raises(ValueError) as error:
        connector.validate_configuration(shipped)
    assert str(error.value).splitlines() == [
        "workspace_path is still the placeholder <PATH_TO_MOTIONBLEND_WORKSPACE>; "
        "set it in configuration.json"
    ]


def test_schema_declares_keys_and_types(connector):
    tables = {table["table"]: table for table in connector.schema({})}
    assert {name: t["primary_key"] for name, t in tables.items()} == {
        "motion_sequences": ["sequence_id"],
        "blend_jobs": ["job_id"],
        "processing_artifacts": ["artifact_id"],
        "ui_interactions": ["interaction_id"],
    }
    assert tables["motion_sequences"]["columns"]["fps"] == "DOUBLE"
    assert tables["blend_jobs"]["columns"]["processing_config"] == "JSON"
    assert tables["processing_artifacts"]["columns"]["download_count"] == "INT"


def test_artifacts_link_to_jobs_by_blend_name_or_job_id(connector):
    job_ids = {"mb_walk_wave_0001": "blend-1", "a__b": "f00"}
    assert connector.job_of_artifact("mb_walk_wave_0001.png", job_ids, {"blend-1"}) == "blend-1"
    assert connector.job_of_artifact("blend-1.log", job_ids, {"blend-1"}) == "blend-1"
    assert connector.job_of_artifact("a__b.glb.partial", job_ids, set()) == "f00"
    assert connector.job_of_artifact("pipeline.log", job_ids, {"blend-1"}) is None


def test_setup_test_lists_the_workspace(connector, tmp_path):
    assert (
        "does not exist"
        in connector.check_workspace({"workspace_path": str(tmp_path / "nope")}).failure
    )
    assert "no files" in connector.check_workspace({"workspace_path": str(tmp_path)}).failure
    write(tmp_path / "seed_motions/a.bvh", BVH)
    assert connector.check_workspace({"workspace_path": str(tmp_path)}).failure is None


def test_checkpoint_cadence_grows_with_the_workspace(connector):
    assert connector.checkpoint_cadence(57) == 500
    assert connector.checkpoint_cadence(2000) == 500
    assert connector.checkpoint_cadence(100_000) == 2000
    assert connector.checkpoint_cadence(10_000_000) == 5000


TRC_HEADER = (
    "PathFileType\t4\t(X/Y/Z)\tshort.trc\n"
    "DataRate\tCameraRate\tNumFrames\tNumMarkers\tUnits\tOrigDataRate\n"
    "60\t60\tNUMFRAMES\t1\tmm\t60\n"
    "Frame#\tTime\tm1\t\t\n"
    "\t\tX1\tY1\tZ1\n"
    "\n"
)


def test_trc_with_fewer_complete_rows_than_numframes_is_ok_with_a_warning(tmp_path):
    rows = "".join(f"{i + 1}\t{i / 60:.4f}\t1.5\t2.5\t3.5\n" for i in range(4))
    source = TRC_HEADER + rows
    path = tmp_path / "short.trc"
    path.write_text(source.replace("NUMFRAMES", "6"))
    result = extract_motion(scanned(path, "short.trc"), max_bytes=10**6, default_fps=30)
    assert result.status == "ok"
    assert any("6" in w and "4" in w for w in result.details["warnings"])
    path.write_text(source.replace("NUMFRAMES", "6")[:-4])  # now cut mid-row
    result = extract_motion(scanned(path, "short.trc"), max_bytes=10**6, default_fps=30)
    assert result.status == "error" and "ends mid-row" in result.error
