"""motionblend: syncs of a generated 2,000-file workspace, BVH metadata cost and state size.

(1) First sync of `generate_workspace(root, files=2000)` (every format, blends, artifacts, UI
    logs) under `fivetran debug`, through the rusage wrapper: time over the sync (`calling
    update()` to `SYNC SUCCEEDED`) and for the whole process, files/s, rows per table, and the
    exact peak RSS of the debug process (5).
(2) Unchanged second sync(s) on the same workspace and state: time as a ratio to the first sync,
    measured side by side. Target: <= 0.05 over the update() phase, which is what the connector
    controls; the ratio of whole-process times (SDK start-up included, a fixed ~0.5 s on this
    machine) is reported too, and the connector's own update() run in process with stub
    operations shows how much of the update() phase is the connector's. Target: 0 upserts,
    updates and deletes (the SDK's operation summary).
    Then one motion file is touched (new mtime): the sync must write exactly that file's rows.
(3) `mocap.read_metadata` of the largest real BVH (../shared/mocap_samples/bvh/cmu_01_01.bvh,
    2 MB, skipped with a note when absent): median of ~50 runs, target <= 30 ms; also the
    connector's whole per-file work for it (`motions.extract_motion`: SHA-256 of the content,
    the metadata, and the count of motion lines that catches a truncated file), and each part.
(4) State size: a `SyncState` built as the connector builds it for 100,000 workspace files laid
    out as the generated workspace's bulk rounds (motions in every format with their NPY fps
    sidecars, blends with and without manifests, previews and logs) plus 1% UI logs and their
    download counts, serialized with `json.dumps` as the SDK's checkpoint does. Target: <= 32
    bytes per tracked file, i.e. per workspace file whose changes the connector detects (NPY
    sidecars included: their stat is in their NPY's fingerprint); the figure per file with its
    own entry is reported too. The state.json the 2,000-file sync wrote is measured as well.
"""

from __future__ import annotations

import ast
import contextlib
import io
import json
import os
import re
import shutil
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from unittest import mock

from tests.benchmarks.common import (
    BenchmarkError,
    DebugRun,
    Figure,
    MeasuredWorkspace,
    Report,
    Table,
    checked,
    figure,
    measured_sync,
    progress,
)
from tests.harness import SyncResult, load_connector_module
from tests.motionblend.sample_workspace import BENCHMARK_FILES, generate_workspace
from tools.sdk_env import REPO_ROOT

NAME = "motionblend"
TITLE = "motionblend: 2,000-file workspace syncs, BVH metadata cost, state size"
CONNECTOR = "motionblend"
CONNECTOR_DIR = REPO_ROOT / CONNECTOR
FILES, QUICK_FILES = BENCHMARK_FILES, 500
FIRST_ROUNDS, QUICK_FIRST_ROUNDS = 2, 1  # first syncs (connector copies); the faster counts
UNCHANGED_ROUNDS, QUICK_UNCHANGED_ROUNDS = 5, 2  # unchanged syncs; the median ratio counts
BVH_RUNS, QUICK_BVH_RUNS = 50, 10
STATE_FILES, QUICK_STATE_FILES = 100_000, 10_000
UI_LOG_SHARE = 0.01  # of the files in the state-size workspace
DOWNLOADS_PER_UI_LOG = 2  # distinct artifacts downloaded per UI log (the sample has 4 for 2)
LARGEST_BVH = REPO_ROOT.parent / "shared" / "mocap_samples" / "bvh" / "cmu_01_01.bvh"
TARGET_UNCHANGED_RATIO = 0.05
TARGET_READ_METADATA_MS = 30.0
TARGET_STATE_BYTES_PER_FILE = 32.0
TABLES = (
    "motion_sequences",
    "blend_jobs",
    "blend_quality_metrics",
    "processing_artifacts",
    "ui_interactions",
)
TOUCHED_MTIME = 1_900_000_000  # 2030: a new mtime for the touched file
_ROWS_WRITTEN = re.compile(r"motionblend: rows written per table: (\{.*\}|none)")


def connector_modules():
    """The connector's own modules (its folder on sys.path, as at runtime and in its tests)."""
    if str(CONNECTOR_DIR) not in sys.path:
        sys.path.insert(0, str(CONNECTOR_DIR))
    from workspace import mocap, motions, state, storage

    return motions, storage, state, mocap


# -- (1), (2), (5) syncs of one generated workspace -------------------------------------------
def rows_written(output: str) -> dict[str, int]:
    """The connector's own count of rows handed to the SDK, per table, from its last log line."""
    found = _ROWS_WRITTEN.findall(output)
    if not found or found[-1] == "none":
        return {}
    return ast.literal_eval(found[-1])


def run_summary(run: DebugRun, result: SyncResult) -> dict:
    operations = result.operations
    return {
        **run.as_dict(),
        "upserts": operations.get("upserts", 0),
        "updates": operations.get("updates", 0),
        "deletes": operations.get("deletes", 0),
        "operations": operations,
        "rows_written": rows_written(result.output),
    }


def pick_touched(manifest) -> str:
    """A motion file outside build/blend_snn and no blend's source: its only row is its
    motion_sequences row (a source's change also recomputes its blends' quality metrics)."""
    sources = {path for job in manifest.blends for path in (job.left_path, job.right_path)}
    candidates = sorted(
        rel
        for rel, motion in manifest.motions.items()
        if motion.location != "blend" and rel.endswith(".bvh") and rel not in sources
    )
    if not candidates:
        raise BenchmarkError("the generated workspace holds no BVH motion outside the blends")
    return candidates[0]


def saved_state_size(workspace: MeasuredWorkspace, state: dict | None, files: int) -> dict:
    """Bytes of the state a sync left: as the SDK saved it, and as a checkpoint serializes it."""
    state = state or {}
    size = {
        "bytes_on_disk": workspace.state_path.stat().st_size,
        "bytes_json_dumps": len(json.dumps(state)),
        "file_entries": len(state.get("files", {})),
        "jobs": len(state.get("jobs", {})),
        "ui_logs": len(state.get("ui", {})),
        "downloads": len(state.get("downloads", {})),
    }
    size["bytes_per_file_on_disk"] = size["bytes_on_disk"] / files
    size["bytes_per_file_json_dumps"] = size["bytes_json_dumps"] / files
    return size


def connector_side_unchanged(configuration: dict, state: dict, passes: int) -> dict:
    """The connector's own `update()` on the unchanged workspace, in this process, with the SDK's
    operations replaced by counting stubs: what is left of the update() phase without the SDK."""
    connector = load_connector_module(CONNECTOR)
    counts: Counter = Counter()

    def stub(name):
        return staticmethod(lambda *args, **kwargs: counts.update([name]))

    seconds = []
    with (
        mock.patch.object(connector.op, "upsert", stub("upserts")),
        mock.patch.object(connector.op, "update", stub("updates")),
        mock.patch.object(connector.op, "delete", stub("deletes")),
        mock.patch.object(connector.op, "checkpoint", stub("checkpoints")),
        contextlib.redirect_stdout(io.StringIO()),
    ):
        for _ in range(passes):
            saved = json.loads(json.dumps(state))  # a fresh copy, as the SDK hands it over
            started = time.perf_counter()
            connector.update(dict(configuration), saved)
            seconds.append(time.perf_counter() - started)
    return {
        "passes": passes,
        "seconds_runs": seconds,
        "seconds": statistics.median(seconds),
        "writes_per_pass": (counts["upserts"] + counts["updates"] + counts["deletes"]) / passes,
        "checkpoints_per_pass": counts["checkpoints"] / passes,
    }


def workspace_syncs(
    workdir: Path,
    home: Path,
    files: int = FILES,
    unchanged_rounds: int = UNCHANGED_ROUNDS,
    first_rounds: int = FIRST_ROUNDS,
) -> dict:
    """Generate a workspace; first syncs (one per connector copy), unchanged syncs alternating
    between the copies, then a sync of the first copy after touching one file."""
    root = workdir / f"motionblend-{files}"
    progress(f"{NAME}: generating a workspace of {files:,} files")
    started = time.perf_counter()
    manifest = generate_workspace(root / "workspace", files=files)
    generate_seconds = time.perf_counter() - started
    if manifest.file_count != files:
        raise BenchmarkError(f"generated {manifest.file_count} files, expected {files}")
    try:
        configuration = {"workspace_path": str(manifest.root)}
        workspaces = [
            MeasuredWorkspace(CONNECTOR, root / f"run{n}", home) for n in range(first_rounds)
        ]
        firsts = []
        for number, workspace in enumerate(workspaces, 1):
            progress(f"{NAME}: first sync {number}/{first_rounds} of {files:,} files")
            run, result = measured_sync(workspace, f"first sync {number}", configuration)
            first = run_summary(run, result)
            first["files_per_second"] = files / run.sync_seconds
            first["table_rows"] = {table: workspace.count(table) for table in TABLES}
            first["state"] = saved_state_size(workspace, result.state, files)
            firsts.append(first)
        # The reference is the faster first sync: the ratios can only come out higher.
        reference = min(firsts, key=lambda r: r["sync_seconds"])
        wall_reference = min(r["wall_seconds"] for r in firsts)

        unchanged = []
        for number in range(1, unchanged_rounds + 1):
            progress(f"{NAME}: unchanged sync {number}/{unchanged_rounds}")
            workspace = workspaces[(number - 1) % len(workspaces)]
            run, result = measured_sync(workspace, f"unchanged sync {number}")
            entry = run_summary(run, result)
            entry["sync_ratio"] = run.sync_seconds / reference["sync_seconds"]
            entry["wall_ratio"] = run.wall_seconds / wall_reference
            unchanged.append(entry)

        progress(f"{NAME}: the connector's own unchanged update(), in process, stub operations")
        side = connector_side_unchanged(
            configuration, workspaces[0].read_state() or {}, unchanged_rounds
        )
        side["ratio"] = side["seconds"] / reference["sync_seconds"]

        touched_rel = pick_touched(manifest)
        os.utime(manifest.root / touched_rel, (TOUCHED_MTIME, TOUCHED_MTIME))
        progress(f"{NAME}: sync after touching {touched_rel}")
        run, result = measured_sync(workspaces[0], "touched sync")
        touched = run_summary(run, result)
        touched.update(
            file=touched_rel,
            expected_rows={"motion_sequences": 1},
            sync_ratio=run.sync_seconds / reference["sync_seconds"],
            wall_ratio=run.wall_seconds / wall_reference,
        )
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return {
        "files": files,
        "generate_seconds": generate_seconds,
        "motions": len(manifest.motions),
        "firsts": firsts,
        "first": reference,
        "wall_reference": wall_reference,
        "unchanged": unchanged,
        "connector_side_unchanged": side,
        "touched": touched,
    }


# -- (3) metadata of the largest real BVH -------------------------------------------------------
def _median_ms(function, runs: int) -> tuple[float, float, list[float]]:
    """(median ms, first-run ms, all runs in ms) of `runs` calls."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        times.append(1000 * (time.perf_counter() - started))
    return statistics.median(times), times[0], times


def bvh_metadata(path: Path = LARGEST_BVH, runs: int = BVH_RUNS) -> dict | None:
    """read_metadata, and the connector's whole per-file work, on one BVH (None: absent)."""
    if not path.is_file():
        return None
    motions, storage, _, mocap = connector_modules()
    info = path.stat()
    scanned = storage.ScannedFile(
        f"project/seed_motions/{path.name}",
        str(path),
        "project_seed",
        info.st_size,
        info.st_mtime_ns,
        info.st_mtime_ns,
        info.st_mtime,
        storage.LocalStorage(str(path.parent)),
    )
    metadata = mocap.read_metadata(path)
    result = motions.extract_motion(scanned, max_bytes=100 << 20, default_fps=30.0)
    if result.status != motions.STATUS_OK:
        raise BenchmarkError(f"{path.name}: extract_motion gave {result.status}: {result.error}")
    parts = {
        "read_metadata": lambda: mocap.read_metadata(path),
        "file_sha256": lambda: motions.file_sha256(scanned),
        "missing_frames": lambda: motions.missing_frames(scanned, metadata),
        "extract_motion": lambda: motions.extract_motion(
            scanned, max_bytes=100 << 20, default_fps=30.0
        ),
    }
    measured = {}
    for name, function in parts.items():  # read_metadata first: its first run is the coldest
        median, first, times = _median_ms(function, runs)
        measured[name] = {"median_ms": median, "first_ms": first, "runs_ms": times}
    return {
        "file": path.name,
        "bytes": info.st_size,
        "frames": metadata.frame_count,
        "joints": metadata.joint_count,
        "runs": runs,
        **measured,
    }


# -- (4) state size -----------------------------------------------------------------------------
def _bulk_round(tag: str) -> list[tuple[str, str]]:
    """(root label, workspace-relative path) of one round of the sample generator's bulk files
    (tests/motionblend/sample_workspace.py, `_Generator.bulk`): 20 files."""
    bm = f"build/build_motions/batch_{tag}"
    lib = "seed_motions/library"
    takes = f"project/seed_motions/takes/batch_{tag}"
    blends = "build/blend_snn"
    batch = f"build/demo_artifacts/batches/batch_{tag}"
    return [
        ("build", f"{bm}/walk_{tag}.bvh"),
        ("build", f"{bm}/wave_{tag}.glb"),
        ("build", f"{bm}/jog_{tag}.trc"),
        ("build", f"{bm}/idle_{tag}.npy"),
        ("build", f"{bm}/idle_{tag}.json"),  # fps sidecar
        ("build", f"{bm}/turn_{tag}.fbx"),
        ("build", f"{bm}/sidestep_{tag}.npy"),
        ("seed", f"{lib}/crouch_lib_{tag}.bvh"),
        ("seed", f"{lib}/stretch_lib_{tag}.npy"),
        ("seed", f"{lib}/stretch_lib_{tag}.json"),
        ("seed", f"{lib}/reach_lib_{tag}.trc"),
        ("project_seed", f"{takes}/walk_take_{tag}.glb"),
        ("project_seed", f"{takes}/wave_take_{tag}.bvh"),
        ("blend", f"{blends}/bulk_{tag}.bvh"),  # output + manifest with a custom job id
        ("blend", f"{blends}/bulk_{tag}.json"),
        ("blend", f"{blends}/walk_{tag}__wave_{tag}.trc"),  # no manifest: default job id
        ("artifacts", f"{batch}/preview_{tag}.png"),
        ("artifacts", f"{batch}/batch_{tag}.log"),
        ("project_seed", f"{takes}/idle_take_{tag}.npy"),
        ("project_seed", f"{takes}/idle_take_{tag}.json"),
    ]


def virtual_workspace(files: int) -> list[tuple[str, str]]:
    """`files` (root label, path) pairs: bulk rounds, then `UI_LOG_SHARE` of UI logs."""
    ui_logs = max(1, round(files * UI_LOG_SHARE))
    layout: list[tuple[str, str]] = []
    round_number = 0
    while len(layout) < files - ui_logs:
        round_number += 1
        layout += _bulk_round(f"{round_number:04d}")
    del layout[files - ui_logs :]
    day = 19796  # 2024-03-14 in days since the epoch
    layout += [
        (
            "ui",
            f"build/ui_analytics/events_{time.strftime('%Y-%m-%d', time.gmtime(86400 * d))}.jsonl",
        )
        for d in range(day, day + ui_logs)
    ]
    return layout


def build_state(files: int):
    """(SyncState, counts) as the connector leaves it for a virtual workspace of `files` files.

    Entries follow connector.py: a motion file (any motion root, blend outputs included) gets a
    `files` entry of kind m, a file of build/blend_snn or build/demo_artifacts one of kind a (so
    a blend output has both), a blend stem one `jobs` entry, a UI log its offset and head digest,
    and each downloaded artifact its count and last download. NPY fps sidecars have no entry of
    their own (their stat is part of their NPY's fingerprint).
    """
    _, _, workspace_state, _ = connector_modules()
    state = workspace_state.SyncState()
    layout = virtual_workspace(files)
    t0_ns = 1_710_406_800 * 10**9
    motion_suffixes = (".bvh", ".fbx", ".glb", ".gltf", ".npy", ".trc")
    artifacts, tracked = [], 0
    for number, (root, rel) in enumerate(layout):
        size, mtime_ns = 2_000 + (number * 7919) % 400_000, t0_ns + number * 97_000_000_000
        entries = 0
        if root != "ui" and rel.endswith(motion_suffixes):
            fp = workspace_state.fingerprint(size, mtime_ns, False)
            state.set_file(workspace_state.sequence_id(rel), workspace_state.KIND_MOTION, fp)
            entries += 1
        if root in ("blend", "artifacts"):
            job_id = None
            stem = rel.rsplit(".", 1)[0]
            if root == "blend":
                name = stem.rsplit("/", 1)[-1]
                job_id = f"bulk-{name[5:]}" if name.startswith("bulk_") else None
                job_id = job_id or workspace_state.default_job_id(stem)
                if rel.endswith(".json") or "__" in name:  # one job per blend stem
                    group_fp = workspace_state.fingerprint((rel, size, mtime_ns), 100 << 20)
                    state.set_job(stem, group_fp, job_id)
            keep = 30 if rel.endswith(".log") else 365
            fp = workspace_state.fingerprint(size, mtime_ns, False, job_id, keep)
            state.set_file(workspace_state.artifact_id(rel), workspace_state.KIND_ARTIFACT, fp)
            artifacts.append(rel)
            entries += 1
        if root == "ui":
            digest = workspace_state.stable_id("ui-head", rel)[:8]
            state.ui[rel] = [20_000 + (number * 104_729) % 60_000, digest]
            for k in range(DOWNLOADS_PER_UI_LOG):
                artifact = artifacts[(number * 31 + k * 977) % len(artifacts)]
                minute = (number + k) % 60
                state.add_download(
                    artifact, f"2024-05-{1 + number % 28:02d}T10:{minute:02d}:07.250Z"
                )
            entries += 1
        tracked += bool(entries)
    counts = {
        "workspace_files": len(layout),
        "files_with_an_entry": tracked,
        "file_entries": len(state.files),
        "motion_entries": sum(v[0] == workspace_state.KIND_MOTION for v in state.files.values()),
        "artifact_entries": sum(
            v[0] == workspace_state.KIND_ARTIFACT for v in state.files.values()
        ),
        "jobs": len(state.jobs),
        "ui_logs": len(state.ui),
        "downloads": len(state.downloads),
    }
    return state, counts


def state_size(files: int = STATE_FILES) -> dict:
    """Bytes of the state for `files` workspace files, serialized as the SDK's checkpoint does."""
    started = time.perf_counter()
    state, counts = build_state(files)
    build_seconds = time.perf_counter() - started
    document = state.as_dict()
    started = time.perf_counter()
    text = json.dumps(document)  # the SDK: Checkpoint(state_json=json.dumps(state))
    dumps_ms = 1000 * (time.perf_counter() - started)
    compact = len(json.dumps(document, separators=(",", ":")))
    loaded, discarded = type(state).load(json.loads(text))
    if discarded or loaded.files != state.files:
        raise BenchmarkError(f"the built state does not load back: {discarded}")
    files_bytes = len(json.dumps(document["files"])) - 2  # without the enclosing braces
    return {
        **counts,
        "bytes": len(text),
        "bytes_compact": compact,
        "bytes_per_file": len(text) / files,
        "bytes_per_file_with_an_entry": len(text) / counts["files_with_an_entry"],
        "bytes_per_file_entry": files_bytes / counts["file_entries"],
        "json_dumps_ms": dumps_ms,
        "build_seconds": build_seconds,
    }


# -- the report -----------------------------------------------------------------------------------
def run(
    workdir: Path,
    home: Path,
    quick: bool = False,
    *,
    files: int | None = None,
    first_rounds: int | None = None,
    unchanged_rounds: int | None = None,
    bvh_runs: int | None = None,
    state_files: int | None = None,
    bvh_path: Path = LARGEST_BVH,
) -> Report:
    files = files or (QUICK_FILES if quick else FILES)
    first_rounds = first_rounds or (QUICK_FIRST_ROUNDS if quick else FIRST_ROUNDS)
    unchanged_rounds = unchanged_rounds or (QUICK_UNCHANGED_ROUNDS if quick else UNCHANGED_ROUNDS)
    bvh_runs = bvh_runs or (QUICK_BVH_RUNS if quick else BVH_RUNS)
    state_files = state_files or (QUICK_STATE_FILES if quick else STATE_FILES)

    progress(f"{NAME}: read_metadata of {bvh_path.name}, {bvh_runs} runs")
    bvh = bvh_metadata(bvh_path, bvh_runs)
    progress(f"{NAME}: state size at {state_files:,} files")
    state = state_size(state_files)
    syncs = workspace_syncs(workdir, home, files, unchanged_rounds, first_rounds)
    details = {"syncs": syncs, "bvh": bvh, "state": state}

    first, unchanged, touched = syncs["first"], syncs["unchanged"], syncs["touched"]
    firsts, side = syncs["firsts"], syncs["connector_side_unchanged"]
    sync_ratio = statistics.median(u["sync_ratio"] for u in unchanged)
    wall_ratio = statistics.median(u["wall_ratio"] for u in unchanged)
    unchanged_writes = max(u["upserts"] + u["updates"] + u["deletes"] for u in unchanged)
    expected = sum(touched["expected_rows"].values())
    touched_writes = touched["upserts"] + touched["updates"] + touched["deletes"]
    details.update(unchanged_sync_ratio=sync_ratio, unchanged_wall_ratio=wall_ratio)

    runs = [(f"1st sync (all new), copy {n}", f) for n, f in enumerate(firsts, 1)]
    runs += [(f"unchanged sync {n}", u) for n, u in enumerate(unchanged, 1)]
    runs += [("one file touched", touched)]
    run_rows = [
        [
            label,
            r["upserts"],
            r["updates"],
            r["checkpoints"],
            r["sync_seconds"],
            r["wall_seconds"],
            r["sync_seconds"] / first["sync_seconds"],
            r["wall_seconds"] / syncs["wall_reference"],
            r["cpu_seconds"],
            r["peak_rss_mb"],
        ]
        for label, r in runs
    ]
    tables = [
        Table(
            f"{files:,}-file generated workspace (generated in {syncs['generate_seconds']:.0f} s) "
            f"under fivetran debug; {len(firsts)} connector copies, each continuing from its own "
            "state; ratios against the faster first sync",
            [
                "sync",
                "upserts",
                "updates",
                "checkpoints",
                "update() s",
                "total s",
                "update() vs 1st",
                "total vs 1st",
                "CPU s",
                "peak RSS MB",
            ],
            run_rows,
        ),
        Table(
            "rows per table after the first sync (warehouse) and as the connector counted them",
            ["table", "rows", "connector's count"],
            [[t, first["table_rows"][t], first["rows_written"].get(t, 0)] for t in TABLES],
        ),
    ]
    if bvh is not None:
        tables.append(
            Table(
                f"{bvh['file']} ({bvh['bytes']:,} bytes, {bvh['frames']:,} frames, "
                f"{bvh['joints']} joints), {bvh['runs']} runs each",
                ["work", "median ms", "first run ms"],
                [
                    ["mocap.read_metadata (header only)", *_ms(bvh["read_metadata"])],
                    ["motions.file_sha256 (whole file)", *_ms(bvh["file_sha256"])],
                    ["motions.missing_frames (line count)", *_ms(bvh["missing_frames"])],
                    ["motions.extract_motion (all of it)", *_ms(bvh["extract_motion"])],
                ],
            )
        )
    tables.append(
        Table(
            f"state for {state['workspace_files']:,} workspace files "
            "(json.dumps, as a checkpoint serializes it)",
            ["part", "count"],
            [
                ["workspace files", state["workspace_files"]],
                [
                    "files with their own entry (NPY sidecars have none)",
                    state["files_with_an_entry"],
                ],
                ["files entries: motion (m)", state["motion_entries"]],
                [
                    "files entries: artifact (a; blend outputs have m and a)",
                    state["artifact_entries"],
                ],
                ["jobs (one per blend stem)", state["jobs"]],
                ["ui logs", state["ui_logs"]],
                ["downloads (artifacts counted)", state["downloads"]],
                ["bytes, json.dumps", state["bytes"]],
                ["bytes, compact separators (state.json on disk)", state["bytes_compact"]],
                ["json.dumps ms (once per checkpoint)", round(state["json_dumps_ms"], 1)],
            ],
        )
    )

    figures = [
        figure(
            f"(1) 1st sync, {files:,} files: update() phase (faster of {len(firsts)})",
            first["sync_seconds"],
            "s",
        ),
        figure(
            "(1) 1st sync: whole process (SDK start-up included)", syncs["wall_reference"], "s"
        ),
        figure("(1) 1st sync: files/s over update()", first["files_per_second"], "files/s"),
        figure("(1) 1st sync: upserts (SDK summary)", first["upserts"], "rows"),
        figure("(1) 1st sync: updates (download counts)", first["updates"], "rows"),
        checked(
            f"(2) unchanged / 1st, update() phase (median of {len(unchanged)})",
            sync_ratio,
            "x",
            "<=",
            TARGET_UNCHANGED_RATIO,
        ),
        figure("(2) unchanged / 1st, whole process (reference)", wall_ratio, "x"),
        figure(
            "(2) connector's own unchanged update(), in process, stub ops",
            1000 * side["seconds"],
            "ms",
        ),
        figure("(2) same, as a ratio to the 1st sync's update() phase", side["ratio"], "x"),
        Figure(
            "(2) unchanged sync: upserts + updates + deletes (max)",
            unchanged_writes,
            "rows",
            "== 0",
            unchanged_writes == 0,
        ),
        Figure(
            "(2) touched 1 file: upserts + updates + deletes",
            touched_writes,
            "rows",
            f"== {expected}",
            touched_writes == expected,
        ),
        figure("(2) touched 1 file: update() phase vs 1st", touched["sync_ratio"], "x"),
    ]
    if bvh is not None:
        figures += [
            checked(
                f"(3) read_metadata {bvh['file']}, median of {bvh['runs']}",
                bvh["read_metadata"]["median_ms"],
                "ms",
                "<=",
                TARGET_READ_METADATA_MS,
            ),
            figure(
                "(3) extract_motion (sha256 + metadata + line count)",
                bvh["extract_motion"]["median_ms"],
                "ms",
            ),
        ]
    figures += [
        checked(
            f"(4) state at {state['workspace_files']:,} files: bytes per tracked file",
            state["bytes_per_file"],
            "B",
            "<=",
            TARGET_STATE_BYTES_PER_FILE,
        ),
        figure(
            "(4) same, per file with its own entry", state["bytes_per_file_with_an_entry"], "B"
        ),
        figure("(4) same, per `files` entry alone", state["bytes_per_file_entry"], "B"),
        figure("(4) state total (json.dumps)", state["bytes"], "B"),
        figure(
            f"(4) state.json of the {files:,}-file sync: per file",
            first["state"]["bytes_per_file_on_disk"],
            "B",
        ),
        figure(
            "(4) same state, json.dumps: per file",
            first["state"]["bytes_per_file_json_dumps"],
            "B",
        ),
        figure(
            f"(5) peak RSS, 1st sync of {files:,} files (max of {len(firsts)})",
            max(f["peak_rss_mb"] for f in firsts),
            "MB",
        ),
        figure("(5) peak RSS, unchanged sync (reference)", unchanged[0]["peak_rss_mb"], "MB"),
    ]

    notes = [
        "update() s: from the SDK's `calling update()` line to `SYNC SUCCEEDED` (millisecond "
        "timestamps): the part the connector controls; total s: the whole debug process, which "
        "adds SDK start-up (interpreter, imports, schema), a fixed cost paid by every sync. "
        f"The <= {TARGET_UNCHANGED_RATIO} target applies to the update() ratio; the total ratio "
        "is shown for reference and cannot approach it while start-up is a fixed cost",
        "the first syncs run on separate copies of the connector over one generated workspace; "
        "the unchanged syncs alternate between the copies, each continuing from its own state, "
        "and the touched sync runs last, on copy 1; every ratio is against the faster first "
        "sync (the conservative choice); the figure is the median of the unchanged runs",
        "in process: the connector's update() on the unchanged workspace and state with counting "
        "stubs for the SDK operations (median of "
        f"{side['passes']}); the rest of an unchanged update() phase is spent outside the "
        "connector's code: the SDK's checkpoint (a DuckDB transaction on a run's first flush, "
        "the state re-parsed, written atomically and logged in full) and a fresh process's "
        "first calls. That part does not shrink with the workspace, so the ratio is higher for "
        "smaller workspaces (--quick)",
        f"touched: {touched['file']} got a new mtime; its row already exists, so the connector "
        "writes it as an update (keeping discovered_at), not an upsert: the figure counts "
        f"upserts + updates + deletes; connector's count: {touched['rows_written'] or 'none'}",
        "peak RSS: the debug process's exact peak (getrusage, via the rusage wrapper)",
        "(4) the virtual workspace repeats the sample generator's 20-file bulk round (12 BVH, "
        "GLB, TRC, NPY and FBX motions, 3 NPY fps sidecars, 2 blend outputs, one with a "
        "manifest, a preview, a log) "
        f"plus {UI_LOG_SHARE:.0%} UI logs with {DOWNLOADS_PER_UI_LOG} downloaded artifacts each; "
        "the target is per workspace file the connector tracks (the denominator includes NPY "
        "sidecars, whose stat is folded into their NPY's fingerprint); per file with its own "
        "entry is shown too. Blend outputs have two entries (motion and artifact) and each blend "
        "stem a jobs entry keyed by its path, which is what lifts the cost above a bare entry",
    ]
    if bvh is None:
        notes.append(f"(3) skipped: {bvh_path} is absent (real mocap samples not available)")
    return Report(NAME, TITLE, figures=figures, tables=tables, notes=notes, details=details)


def _ms(measured: dict) -> list[float]:
    return [round(measured["median_ms"], 2), round(measured["first_ms"], 2)]
