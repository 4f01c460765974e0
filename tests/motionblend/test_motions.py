"""workspace.motions: a motion file becomes its motion_sequences row, never an exception."""

import hashlib

import numpy as np
import pytest

from tests.motionblend.files import BVH, scanned, write
from workspace.motions import extract_motion, is_motion_file, motion_row, stem_and_format
from workspace.state import sequence_id


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
        "workspace.motions.read_metadata",
        lambda *a, **k: (_ for _ in ()).throw(IndexError("boom")),
    )
    result = extract_motion(scanned(path, "a.bvh"), max_bytes=1 << 20, default_fps=30)
    assert result.status == "error" and result.error == "reader failed: IndexError: boom"


def test_npy_without_sidecar_uses_the_default_fps(tmp_path):
    path = tmp_path / "a.npy"
    np.save(path, np.zeros((48, 5, 3), dtype=np.float32))
    result = extract_motion(scanned(path, "a.npy"), max_bytes=1 << 20, default_fps=24)
    assert (result.fps, result.duration_seconds, result.joint_count) == (24.0, 2.0, 5)


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
