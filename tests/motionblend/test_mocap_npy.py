"""NPY reader: (T, J, 3) and (T, D) arrays, fps sidecars, and files that must be refused."""

import json
import pickle
from pathlib import Path

import numpy as np
import pytest

from workspace.mocap import npy
from workspace.mocap.base import STATUS_OK, MotionFileError


def save(tmp_path: Path, array, name="motion.npy", sidecar=None) -> Path:
    path = tmp_path / name
    np.save(path, array)
    if sidecar is not None:
        text = sidecar if isinstance(sidecar, str) else json.dumps(sidecar)
        path.with_suffix(".json").write_text(text, encoding="utf-8")
    return path


def test_positions_array_without_sidecar_uses_default_fps(tmp_path):
    path = save(tmp_path, np.zeros((90, 22, 3), dtype=np.float32))
    meta = npy.read_metadata(path)
    assert meta.status == STATUS_OK
    assert meta.file_format == "npy"
    assert (meta.frame_count, meta.joint_count, meta.fps) == (90, 22, 30.0)
    assert meta.duration_seconds == pytest.approx(3.0)
    assert meta.details["fps_source"] == "default"
    assert meta.details["shape"] == [90, 22, 3]
    assert meta.details["dtype"] == "float32"
    assert meta.details["warnings"] == []
    assert "dims" not in meta.details


def test_default_fps_argument(tmp_path):
    meta = npy.read_metadata(save(tmp_path, np.zeros((48, 5, 3))), default_fps=24)
    assert (meta.fps, meta.duration_seconds, meta.details["fps_source"]) == (24.0, 2.0, "default")


@pytest.mark.parametrize("fps", [60, 59.94, 120.0])
def test_positions_array_with_sidecar(tmp_path, fps):
    path = save(tmp_path, np.ones((120, 24, 3)), sidecar={"fps": fps, "source": "capture"})
    meta = npy.read_metadata(path, default_fps=30)
    assert meta.fps == pytest.approx(fps)
    assert meta.duration_seconds == pytest.approx(120 / fps)
    assert meta.details["fps_source"] == "sidecar"
    assert meta.details["sidecar"] == "motion.json"
    assert meta.details["warnings"] == []


def test_feature_array(tmp_path):
    meta = npy.read_metadata(save(tmp_path, np.zeros((250, 263), dtype=np.float64)))
    assert (meta.frame_count, meta.joint_count, meta.fps) == (250, None, 30.0)
    assert meta.details["dims"] == 263
    assert meta.duration_seconds == pytest.approx(250 / 30)


def test_empty_motion(tmp_path):
    meta = npy.read_metadata(save(tmp_path, np.zeros((0, 17, 3))))
    assert (meta.frame_count, meta.joint_count, meta.duration_seconds) == (0, 17, 0.0)


@pytest.mark.parametrize(
    "sidecar",
    [
        "{not json",
        "[]",
        {"rate": 60},
        {"fps": -5},
        {"fps": 0},
        {"fps": "fast"},
        {"fps": True},
        {"fps": None},
        '{"fps": NaN}',
        '{"fps": Infinity}',
    ],
    ids=str,
)
def test_bad_sidecar_warns_and_uses_default(tmp_path, sidecar):
    path = save(tmp_path, np.zeros((60, 3, 3)), sidecar=sidecar)
    meta = npy.read_metadata(path, default_fps=20)
    assert meta.fps == 20.0
    assert meta.duration_seconds == pytest.approx(3.0)
    assert meta.details["fps_source"] == "default"
    assert len(meta.details["warnings"]) == 1
    assert "sidecar" in meta.details["warnings"][0]


def test_non_utf8_sidecar_warns(tmp_path):
    path = save(tmp_path, np.zeros((10, 3, 3)))
    path.with_suffix(".json").write_bytes(b'{"fps": "\xff\xfe"}')
    meta = npy.read_metadata(path)
    assert meta.details["fps_source"] == "default"
    assert meta.details["warnings"]


@pytest.mark.parametrize("default_fps", [0, -30, float("nan"), "30", None])
def test_invalid_default_fps_is_a_caller_error(tmp_path, default_fps):
    with pytest.raises(ValueError):
        npy.read_metadata(save(tmp_path, np.zeros((10, 3, 3))), default_fps=default_fps)


class _Tripwire:
    """Unpickling this object creates the file named in it: proof that a pickle was loaded."""

    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (Path(self.marker),))


def test_pickled_object_array_is_refused_and_never_unpickled(tmp_path):
    marker = tmp_path / "unpickled.flag"
    path = tmp_path / "objects.npy"
    np.save(path, np.array([_Tripwire(str(marker)), None], dtype=object), allow_pickle=True)
    with pytest.raises(MotionFileError):
        npy.read_metadata(path)
    assert not marker.exists()
    np.load(path, allow_pickle=True)  # control: the tripwire does fire when a pickle is loaded
    assert marker.exists()


def test_plain_pickle_with_npy_suffix_is_refused(tmp_path):
    marker = tmp_path / "unpickled.flag"
    path = tmp_path / "motion.npy"
    path.write_bytes(pickle.dumps([_Tripwire(str(marker))]))
    with pytest.raises(MotionFileError):
        npy.read_metadata(path)
    assert not marker.exists()


def test_npz_archive_with_npy_suffix_is_refused(tmp_path):
    archive = tmp_path / "bundle.npz"
    np.savez(archive, poses=np.zeros((10, 3, 3)))
    path = tmp_path / "bundle.npy"
    path.write_bytes(archive.read_bytes())
    with pytest.raises(MotionFileError, match="npz"):
        npy.read_metadata(path)


@pytest.mark.parametrize(
    "shape", [(), (100,), (100, 22, 4), (100, 22, 2), (100, 22, 3, 1), (2, 100, 22, 3)]
)
def test_unsupported_shapes(tmp_path, shape):
    with pytest.raises(MotionFileError, match="shape"):
        npy.read_metadata(save(tmp_path, np.zeros(shape)))


def test_non_numeric_dtype(tmp_path):
    with pytest.raises(MotionFileError, match="dtype"):
        npy.read_metadata(save(tmp_path, np.full((10, 3), "x")))


def _valid_npy_bytes(tmp_path) -> bytes:
    return save(tmp_path, np.zeros((50, 10, 3)), name="valid.npy").read_bytes()


@pytest.mark.parametrize(
    "cut", ["zero_bytes", "magic_only", "half_header", "half_data", "one_byte_short"]
)
def test_truncated_files(tmp_path, cut):
    data = _valid_npy_bytes(tmp_path)
    header_end = data.index(b"\n") + 1
    end = {
        "zero_bytes": 0,
        "magic_only": 6,
        "half_header": header_end // 2,
        "half_data": header_end + (len(data) - header_end) // 2,
        "one_byte_short": len(data) - 1,
    }[cut]
    path = tmp_path / "cut.npy"
    path.write_bytes(data[:end])
    with pytest.raises(MotionFileError) as info:
        npy.read_metadata(path)
    assert str(info.value)


def test_zero_byte_message(tmp_path):
    path = tmp_path / "empty.npy"
    path.write_bytes(b"")
    with pytest.raises(MotionFileError, match="empty file"):
        npy.read_metadata(path)


def test_not_an_npy_file(tmp_path):
    path = tmp_path / "text.npy"
    path.write_text("HIERARCHY\nROOT Hips\n")
    with pytest.raises(MotionFileError):
        npy.read_metadata(path)
