"""workspace.blends: blend groups, manifests, pair resolution and blend_jobs rows."""

from tests.motionblend.files import index_of, scanned, write
from workspace.blends import (
    BlendGroup,
    Manifest,
    SequenceIndex,
    blend_groups,
    blend_job_row,
    metrics_fingerprint,
    read_manifest,
    sides_from_name,
)
from workspace.motions import MotionResult
from workspace.scan import scan_workspace
from workspace.state import default_job_id, sequence_id
from workspace.storage import LocalStorage


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


def test_metrics_fingerprint_covers_the_blend_its_sources_and_their_sidecars(tmp_path):
    for rel, data in {
        "seed_motions/walk.npy": "w",
        "seed_motions/walk.json": "{}",
        "seed_motions/jog.bvh": "j",
        "seed_motions/other.bvh": "o",
        "build/blend_snn/mix.npy": "m",
    }.items():
        write(tmp_path / rel, data)
    sources = (sequence_id("seed_motions/walk.npy"), sequence_id("seed_motions/jog.bvh"))

    def fingerprint_now(max_bytes=1000, settings=("1.0",), sides=sources):
        scan = scan_workspace(LocalStorage(str(tmp_path)))
        [group] = blend_groups(scan.files)
        index = SequenceIndex(scan.files, scan.root)
        return metrics_fingerprint(group, sides, scan, index, max_bytes, settings)

    first = fingerprint_now()
    assert fingerprint_now() == first
    write(tmp_path / "seed_motions/other.bvh", "no source of this blend")
    assert fingerprint_now() == first
    assert fingerprint_now(sides=(sources[0], None)) != first
    assert fingerprint_now(max_bytes=2000) != first
    assert fingerprint_now(settings=("1.1",)) != first
    write(tmp_path / "seed_motions/walk.json", '{"fps": 60}')  # the NPY source's fps sidecar
    assert fingerprint_now() != first
