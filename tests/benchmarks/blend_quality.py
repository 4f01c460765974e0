"""motionblend blend quality metrics: blends measured per second, BVH parse + forward kinematics.

(1) `blend_metrics` on generated blends of 300 frames and 24 joints, with 300-frame sources
    (smooth sinusoidal joints around a random pose; the blend a 30-frame crossfade), file
    reading excluded. Target: >= 100 blends/s. Measured in a child process twice, side by side:
    as the connector runs (blend_quality sets OPENBLAS_NUM_THREADS=1 before numpy loads), and
    with two BLAS threads (OPENBLAS_NUM_THREADS=2: on this shared 2-core machine threaded BLAS
    for such small matrices costs more than it saves). Peak RSS of each child is reported.
(2) `read_positions` of the 2,752-frame CMU BVH (../shared/mocap_samples/bvh/cmu_01_01.bvh,
    31 joints, skipped with a note when absent) from bytes in memory: median of the runs, split
    into parse (hierarchy + motion values) and forward kinematics. Target: <= 150 ms.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from tests.benchmarks.common import BenchmarkError, Report, checked, figure, progress
from tools.sdk_env import REPO_ROOT

NAME = "blend_quality"
TITLE = "motionblend blend quality: metrics per second (300 x 24), BVH parse + FK"
CONNECTOR_DIR = REPO_ROOT / "motionblend"
LARGEST_BVH = REPO_ROOT.parent / "shared" / "mocap_samples" / "bvh" / "cmu_01_01.bvh"
FRAMES, JOINTS, FPS = 300, 24, 30
BLENDS, QUICK_BLENDS = 300, 20
BVH_RUNS, QUICK_BVH_RUNS = 20, 3
TARGET_BLENDS_PER_SECOND = 100.0
TARGET_BVH_MS = 150.0


def _modules():
    if str(CONNECTOR_DIR) not in sys.path:
        sys.path.insert(0, str(CONNECTOR_DIR))
    from blend_quality import config, metrics, positions

    return config, metrics, positions


def synthetic_motion(seed: int, frames: int = FRAMES, joints: int = JOINTS):
    """(frames, joints, 3) cm: each joint oscillates smoothly around a random rest position."""
    import numpy as np

    rng = np.random.default_rng(seed)
    t = np.arange(frames)[:, None, None] / FPS
    rest = rng.normal(0.0, 30.0, (joints, 3))
    amplitude = rng.normal(0.0, 5.0, (joints, 3))
    frequency = rng.uniform(0.5, 2.0, (joints, 3))
    phase = rng.uniform(0.0, 2 * np.pi, (joints, 3))
    return rest + amplitude * np.sin(2 * np.pi * frequency * t + phase)


def measure_metrics(blends: int) -> dict:
    """Blends per second of blend_metrics over `blends` generated blends (in this process)."""
    config, metrics, _ = _modules()  # first: blend_quality sets the BLAS threads, as it does
    import numpy as np

    settings = config.MetricsConfig()
    inputs = []
    for i in range(min(blends, 10)):  # ten distinct blends, measured round-robin
        left, right = synthetic_motion(2 * i), synthetic_motion(2 * i + 1)
        weight = np.clip((np.arange(FRAMES) - 135) / 30, 0.0, 1.0)[:, None, None]
        inputs.append((left, right, (1 - weight) * left + weight * right))
    window = metrics.transition_window(FRAMES, 135, 165, settings.transition_default_frames)
    categories: dict[str, int] = {}
    started = time.perf_counter()
    for i in range(blends):
        left, right, blend = inputs[i % len(inputs)]
        row = metrics.blend_metrics(
            left, right, blend, fps=FPS, transition=window, config=settings
        )
        categories[row["quality_category"]] = categories.get(row["quality_category"], 0) + 1
    seconds = time.perf_counter() - started
    return {
        "blends": blends,
        "seconds": seconds,
        "blends_per_second": blends / seconds,
        "ms_per_blend": 1000 * seconds / blends,
        "categories": categories,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _metrics_in_child(blends: int, blas_threads: int | None) -> dict:
    env = {key: value for key, value in os.environ.items() if key != "OPENBLAS_NUM_THREADS"}
    if blas_threads is not None:
        env["OPENBLAS_NUM_THREADS"] = str(blas_threads)
    done = subprocess.run(
        [sys.executable, "-m", "tests.benchmarks.blend_quality", str(blends)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0:
        raise BenchmarkError(f"metrics child failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout)


def measure_bvh(path: Path, runs: int) -> dict:
    """Median milliseconds of parse + FK of one BVH from bytes, and of each part."""
    _, _, positions = _modules()
    data = path.read_bytes()
    totals, parses, kinematics = [], [], []
    for _ in range(runs):
        started = time.perf_counter()
        skeleton, values, _ = positions.parse_bvh(data)
        parsed = time.perf_counter()
        positions.forward_kinematics(skeleton, values)
        ended = time.perf_counter()
        parses.append(parsed - started)
        kinematics.append(ended - parsed)
        totals.append(ended - started)
    started = time.perf_counter()
    result = positions.read_positions(data, "bvh")  # the public path, checks included
    public = time.perf_counter() - started
    return {
        "frames": result.frames,
        "joints": result.joints,
        "median_ms": 1000 * statistics.median(totals),
        "parse_median_ms": 1000 * statistics.median(parses),
        "fk_median_ms": 1000 * statistics.median(kinematics),
        "read_positions_ms": 1000 * public,
        "runs": runs,
    }


def run(workdir: Path, home: Path, quick: bool = False, *, blends=None, bvh_runs=None) -> Report:
    blends = blends or (QUICK_BLENDS if quick else BLENDS)
    bvh_runs = bvh_runs or (QUICK_BVH_RUNS if quick else BVH_RUNS)
    report = Report(NAME, TITLE)
    progress(f"blend_metrics x {blends} (as the connector runs, then with 2 BLAS threads)")
    connector = _metrics_in_child(blends, blas_threads=None)
    threaded = _metrics_in_child(blends, blas_threads=2)
    report.details["metrics"] = {"as_connector": connector, "two_blas_threads": threaded}
    report.figures += [
        checked(
            f"blends/s, {FRAMES} frames x {JOINTS} joints (as the connector runs: 1 BLAS thread)",
            connector["blends_per_second"],
            "blends/s",
            ">=",
            TARGET_BLENDS_PER_SECOND,
        ),
        figure("blends/s with OPENBLAS_NUM_THREADS=2", threaded["blends_per_second"], "blends/s"),
        figure(
            "2 BLAS threads / 1 thread, time per blend",
            threaded["ms_per_blend"] / connector["ms_per_blend"],
            "x",
        ),
        figure("peak RSS of the metrics process", connector["peak_rss_mb"], "MiB"),
    ]
    if LARGEST_BVH.is_file():
        progress(f"parse + FK of {LARGEST_BVH.name} x {bvh_runs}")
        bvh = measure_bvh(LARGEST_BVH, bvh_runs)
        report.details["bvh"] = bvh
        report.figures += [
            checked(
                f"BVH parse + FK, {bvh['frames']:,} frames x {bvh['joints']} joints (median)",
                bvh["median_ms"],
                "ms",
                "<=",
                TARGET_BVH_MS,
            ),
            figure("  of which parse", bvh["parse_median_ms"], "ms"),
            figure("  of which forward kinematics", bvh["fk_median_ms"], "ms"),
        ]
    else:
        report.details["bvh"] = None
        report.notes.append(f"{LARGEST_BVH} is absent: BVH figures skipped")
    report.notes.append(
        "file reading excluded; the machine is shared, so compare the two thread settings, "
        "measured side by side, rather than absolute figures across sessions"
    )
    return report


if __name__ == "__main__":  # the child process of (1): print its measurement as JSON
    print(json.dumps(measure_metrics(int(sys.argv[1]))))
