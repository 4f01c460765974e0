"""workspace.mocap.read_metadata: dispatch by suffix, empty/unknown/missing files, lazy imports."""

import subprocess
import sys
import types

import numpy as np
import pytest

from tests.motionblend.conftest import CONNECTOR_DIR, sample_params
from tests.motionblend.test_mocap_bvh import bvh_text
from tests.motionblend.test_mocap_trc import trc_text
from workspace import mocap
from workspace.mocap.base import STATUS_OK, MotionFileError, MotionMetadata


def test_supported_suffixes():
    assert set(mocap.SUPPORTED_SUFFIXES) == {".bvh", ".trc", ".npy", ".glb", ".gltf", ".fbx"}


@pytest.mark.parametrize("name", ["notes.txt", "take.c3d", "archive.npz", "no_suffix"])
def test_unknown_suffix(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"something")
    with pytest.raises(MotionFileError, match="unsupported file type"):
        mocap.read_metadata(path)


@pytest.mark.parametrize("suffix", [".bvh", ".TRC", ".npy", ".glb", ".gltf", ".fbx", ".FBX"])
def test_zero_byte_file_is_empty_file(tmp_path, suffix):
    path = tmp_path / f"empty{suffix}"
    path.write_bytes(b"")
    with pytest.raises(MotionFileError, match="^empty file$"):
        mocap.read_metadata(path)


def test_missing_file(tmp_path):
    with pytest.raises(MotionFileError, match="cannot read"):
        mocap.read_metadata(tmp_path / "gone.bvh")


def test_dispatch_is_case_insensitive_and_accepts_str(tmp_path):
    bvh_path = tmp_path / "TAKE.BVH"
    bvh_path.write_text(bvh_text(frames=4))
    trc_path = tmp_path / "markers.Trc"
    trc_path.write_text(trc_text(frames=4))
    assert mocap.read_metadata(str(bvh_path)).file_format == "bvh"
    assert mocap.read_metadata(trc_path).file_format == "trc"


def test_default_fps_reaches_the_npy_reader(tmp_path):
    path = tmp_path / "poses.NPY"
    np.save(tmp_path / "poses.npy", np.zeros((50, 4, 3)))
    (tmp_path / "poses.npy").rename(path)
    meta = mocap.read_metadata(path, default_fps=25)
    assert (meta.file_format, meta.fps, meta.duration_seconds) == ("npy", 25.0, 2.0)


def test_fbx_goes_to_the_fbx_module(tmp_path, monkeypatch):
    calls = []

    def fake_read_metadata(path):
        calls.append(path)
        return MotionMetadata(file_format="fbx", frame_count=1)

    fake = types.SimpleNamespace(read_metadata=fake_read_metadata)
    monkeypatch.setitem(sys.modules, "workspace.mocap.fbx", fake)
    monkeypatch.setattr(mocap, "fbx", fake, raising=False)
    path = tmp_path / "rig.FBX"
    path.write_bytes(b"Kaydara FBX Binary  \x00")
    meta = mocap.read_metadata(path)
    assert meta.file_format == "fbx"
    assert calls == [path]


def test_reading_bvh_or_trc_imports_neither_numpy_nor_pygltflib(tmp_path):
    bvh_path = tmp_path / "a.bvh"
    bvh_path.write_text(bvh_text(frames=3))
    trc_path = tmp_path / "a.trc"
    trc_path.write_text(trc_text(frames=3))
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); from workspace import mocap; "
        "mocap.read_metadata(sys.argv[2]); mocap.read_metadata(sys.argv[3]); "
        "print(sorted(m for m in ('numpy', 'pygltflib') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(CONNECTOR_DIR), str(bvh_path), str(trc_path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize(
    "path",
    sample_params("bvh", ".bvh")
    + sample_params("gltf", ".glb", ".gltf")
    # the FBX samples are covered by test_mocap_fbx.py
    + sample_params("trc", ".trc"),
)
def test_real_samples_through_dispatch(path):
    meta = mocap.read_metadata(path)
    assert meta.status == STATUS_OK
    assert meta.file_format == path.suffix.lower().lstrip(".")
    assert meta.frame_count is not None and meta.frame_count >= 0
    assert meta.joint_count is not None and meta.joint_count > 0
    assert meta.duration_seconds is not None and meta.duration_seconds >= 0
