"""workspace.artifacts: types, retention, cheap metadata, and the job of an artifact."""

import hashlib
import struct

import pytest

from tests.motionblend.files import RETENTION, png, scanned, write
from workspace.artifacts import (
    artifact_row,
    classify,
    image_metadata,
    job_of_artifact,
    json_metadata,
    log_metadata,
    mime_type,
    retention_days,
)


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
    assert log_metadata(scanned(path, "a.log")) == {
        "line_count": 5,
        "error_line_count": 2,
        "warning_line_count": 1,
    }


def test_image_and_json_metadata(tmp_path):
    assert image_metadata(scanned(write(tmp_path / "a.png", png(32, 16)), "x")) == {
        "format": "png",
        "width": 32,
        "height": 16,
    }
    gif = b"GIF89a" + struct.pack("<HH", 7, 9) + b"\x00" * 10
    assert image_metadata(scanned(write(tmp_path / "a.gif", gif), "x"))["width"] == 7
    jpeg = b"\xff\xd8\xff\xc0\x00\x11\x08" + struct.pack(">HH", 480, 640) + b"\x00" * 10
    assert image_metadata(scanned(write(tmp_path / "a.jpg", jpeg), "x"))["height"] == 480
    good = write(tmp_path / "a.json", '{"job_id": 1, "left": "a"}')
    assert json_metadata(scanned(good, "a.json"))["top_level_keys"] == ["job_id", "left"]
    assert json_metadata(scanned(write(tmp_path / "b.json", "{"), "b.json"))["json_valid"] is False


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


def test_artifacts_link_to_jobs_by_blend_name_or_job_id():
    job_ids = {"mb_walk_wave_0001": "blend-1", "a__b": "f00"}
    assert job_of_artifact("mb_walk_wave_0001.png", job_ids, {"blend-1"}) == "blend-1"
    assert job_of_artifact("blend-1.log", job_ids, {"blend-1"}) == "blend-1"
    assert job_of_artifact("a__b.glb.partial", job_ids, set()) == "f00"
    assert job_of_artifact("pipeline.log", job_ids, {"blend-1"}) is None
