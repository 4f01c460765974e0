"""workspace.state: stable ids, compact state keys and fingerprints, the bounded state."""

import hashlib
import json

from workspace.state import (
    SyncState,
    artifact_id,
    default_job_id,
    fingerprint,
    hex_id,
    sequence_id,
    state_key,
)


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


def test_metrics_block_rides_on_the_job_entry_and_survives_job_updates():
    state = SyncState()
    stem = "build/blend_snn/walk__wave"
    left, right = sequence_id("seed_motions/walk.bvh"), sequence_id("seed_motions/wave.glb")
    state.set_job(stem, "AAAAAA", "custom-7")
    assert state.metrics_entry(stem) is None
    state.set_metrics(stem, "BBBBBB", left, None)
    assert state.metrics_entry(stem) == ("BBBBBB", left, None)
    assert state.job_entry(stem) == ("AAAAAA", "custom-7")
    state.set_job(stem, "CCCCCC", "custom-8")  # the job changed: the block stays (now stale)
    assert state.job_entry(stem) == ("CCCCCC", "custom-8")
    assert state.metrics_entry(stem) == ("BBBBBB", left, None)
    state.set_job(stem, "DDDDDD", None)  # no job any more: no metrics
    assert state.metrics_entry(stem) is None
    default = "build/blend_snn/plain"
    state.set_job(default, "EEEEEE", default_job_id(default))
    state.set_metrics(default, "FFFFFF", left, right)
    assert state.job_entry(default) == ("EEEEEE", default_job_id(default))
    assert len(state.jobs["plain"]) == 6 + 1 + 6 + 22 + 1  # fp, ~, metrics fp, two keys, mark
    loaded, discarded = SyncState.load(json.loads(json.dumps(state.as_dict())))
    assert discarded is None and loaded.metrics_entry(default) == ("FFFFFF", left, right)
