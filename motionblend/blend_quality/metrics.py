"""Quality metrics of one blend from the joint positions of its two sources and its output.

The formulas are documented in motionblend/README.md ("Blend quality metrics"); the constants
are in `blend_quality.config`. In short: positions are divided by the diagonal of the bounding
box of the left source's first frame (so every metric is unit-free and scale-invariant), speed
and acceleration come from finite differences of the blend at its fps, the transition window is
compared with the rest of the blend, and the blend's frames are compared with the sources'
frames (a Frechet distance of pose-and-velocity features, and how many source windows the blend
reproduces). Everything is numpy; the same inputs give the same values.
"""

import math
from dataclasses import dataclass

import numpy as np

from blend_quality.config import MetricsConfig

# Guards a ratio of two means against division by zero (normalised units: body sizes per second).
_EPSILON = 1e-9
# Principal components carrying less than this share of the largest variance are dropped from
# the Frechet distance: they are directions the reference does not move in, chosen arbitrarily.
_NULL_VARIANCE = 1e-9
MIN_BLEND_FRAMES = 3  # acceleration needs three frames
MIN_SOURCE_FRAMES = 2  # velocity features need two


class MetricsInputError(ValueError):
    """The positions cannot be measured; `status` is the row's metrics_status."""

    status = "error"


class SkeletonMismatch(MetricsInputError):
    """Left, right and blend do not share a joint count."""

    status = "skeleton_mismatch"


@dataclass(frozen=True)
class Transition:
    """The transition window [start, end) in blend frames and where it came from."""

    start: int
    end: int
    source: str  # "job" (as the blend job says), "job_clipped" (cut to the blend) or "default"


def transition_window(frames: int, start, end, default_frames: int) -> Transition:
    """The job's window cut to the blend when it holds at least one acceleration sample, else a
    window of `default_frames` (at most the blend) centred in the blend."""
    if isinstance(start, int) and isinstance(end, int):
        first, last = max(0, start), min(frames, end)
        if first < last and first < frames - 2:
            clipped = (first, last) != (start, end)
            return Transition(first, last, "job_clipped" if clipped else "job")
    width = min(default_frames, frames)
    first = (frames - width) // 2
    return Transition(first, first + width, "default")


def blend_metrics(
    left: np.ndarray,
    right: np.ndarray,
    blend: np.ndarray,
    *,
    fps: float,
    transition: Transition,
    config: MetricsConfig,
    source_fps: tuple[float | None, float | None] = (None, None),
) -> dict:
    """Every metric of the blend_quality_metrics row (names as the table's columns).

    left, right and blend are (T, J, 3) positions in one unit; `fps` is the blend's rate and
    `source_fps` the sources' own rates where known (else the blend's is used for them too).
    Raises SkeletonMismatch when the joint counts differ and MetricsInputError when the
    positions cannot be measured (too few frames, a left first frame of zero extent, a rate
    that is not positive).
    """
    joints = {left.shape[1], right.shape[1], blend.shape[1]}
    if len(joints) > 1:
        raise SkeletonMismatch(
            f"joint counts differ: left {left.shape[1]}, right {right.shape[1]}, "
            f"blend {blend.shape[1]}"
        )
    if blend.shape[0] < MIN_BLEND_FRAMES:
        raise MetricsInputError(f"the blend has {blend.shape[0]} frame(s); at least 3 needed")
    if min(left.shape[0], right.shape[0]) < MIN_SOURCE_FRAMES:
        raise MetricsInputError("a source has a single frame; at least 2 needed")
    rates = (fps, *(rate or fps for rate in source_fps))
    if not all(
        isinstance(rate, int | float) and math.isfinite(rate) and rate > 0 for rate in rates
    ):
        raise MetricsInputError(f"a frame rate is not a positive number: {rates}")
    frame = left[0]
    size = float(np.linalg.norm(frame.max(axis=0) - frame.min(axis=0)))
    if not size > 0:
        raise MetricsInputError("the left source's first frame has no extent: cannot normalise")
    xl, xr, xb = left / size, right / size, blend / size

    speed, acceleration = motion_profile(xb, fps)
    motion = transition_statistics(speed, acceleration, transition)
    smoothness = 1.0 / (1.0 + max(0.0, motion["acceleration_ratio"] - 1.0))
    fid = frechet_distance(xl, xr, xb, rates, config)
    coverage = coverage_of(xl, xr, xb, config)
    weights = config.quality_weights
    score = (
        weights["smoothness"] * smoothness
        + weights["fid"] * math.exp(-fid / config.fid_scale)
        + weights["coverage"] * coverage
    )
    score = min(1.0, max(0.0, score))
    return {
        "fid": fid,
        "coverage": coverage,
        **diversity(xb, config.diversity_window_frames),
        **motion,
        "transition_smoothness": smoothness,
        "quality_score": score,
        "quality_category": config.category(score),
        "has_velocity_spike": bool(speed.max() > config.spike_factor * np.median(speed)),
        "has_rough_transition": smoothness < config.rough_smoothness,
        "has_distribution_mismatch": fid > config.fid_threshold,
    }


def motion_profile(x: np.ndarray, fps: float) -> tuple[np.ndarray, np.ndarray]:
    """speed_t (T-1) and acc_t (T-2): mean over joints of the first / second difference's norm,
    times fps / fps^2."""
    first = np.diff(x, axis=0)
    second = first[1:] - first[:-1]
    speed = np.sqrt(np.einsum("tjc,tjc->tj", first, first)).mean(axis=1) * fps
    acceleration = np.sqrt(np.einsum("tjc,tjc->tj", second, second)).mean(axis=1) * fps**2
    return speed, acceleration


def transition_statistics(
    speed: np.ndarray, acceleration: np.ndarray, transition: Transition
) -> dict:
    """The eight l2 fields and the two inside/outside ratios."""
    row = {}
    ratios = {}
    for name, series in (("velocity", speed), ("acceleration", acceleration)):
        inside = np.zeros(series.shape[0], dtype=bool)
        inside[transition.start : min(transition.end, series.shape[0])] = True
        row[f"l2_{name}_mean"] = float(series.mean())
        row[f"l2_{name}_std"] = float(series.std())
        row[f"l2_{name}_max"] = float(series.max())
        inner = float(series[inside].mean())
        row[f"l2_{name}_transition"] = inner
        # A window covering the whole blend has nothing to compare with: neutral ratio.
        outer = float(series[~inside].mean()) if (~inside).any() else inner
        ratios[f"{name}_ratio"] = (inner + _EPSILON) / (outer + _EPSILON)
    return {**row, **ratios}


def features(x: np.ndarray, fps: float) -> np.ndarray:
    """Per-frame features (T-1, 6J): root-relative positions and velocities (body sizes/s)."""
    frames = x.shape[0] - 1
    relative = (x[:-1] - x[:-1, :1]).reshape(frames, -1)
    velocity = (np.diff(x, axis=0) * fps).reshape(frames, -1)
    return np.concatenate([relative, velocity], axis=1)


def frechet_distance(
    left: np.ndarray, right: np.ndarray, blend: np.ndarray, rates: tuple, config: MetricsConfig
) -> float:
    """Frechet distance between the blend's features and those of both sources, in the top-k
    principal components of the sources' features (k = min(fid_components, dims)).
    `rates` are the fps of blend, left and right."""
    reference = np.concatenate([features(left, rates[1]), features(right, rates[2])])
    generated = features(blend, rates[0])
    mean = reference.mean(axis=0)
    centred = reference - mean
    variances, vectors = np.linalg.eigh(centred.T @ centred / centred.shape[0])
    order = np.argsort(variances)[::-1][: min(config.fid_components, reference.shape[1])]
    variances = np.clip(variances[order], 0.0, None)
    kept = variances > _NULL_VARIANCE * max(variances[0], 0.0)
    kept[0] = True
    variances, basis = variances[kept], vectors[:, order[kept]]
    projected = (generated - mean) @ basis
    mean_g = projected.mean(axis=0)
    centred_g = projected - mean_g
    ridge = config.fid_ridge
    cov_r = variances + ridge  # diagonal in its own principal basis
    cov_g = centred_g.T @ centred_g / centred_g.shape[0] + ridge * np.eye(len(variances))
    # Tr((S_r S_g)^1/2) = Tr((S_r^1/2 S_g S_r^1/2)^1/2), a symmetric matrix: eigvalsh is exact
    root = np.sqrt(cov_r)
    middle = root[:, None] * cov_g * root[None, :]
    trace_root = np.sqrt(np.clip(np.linalg.eigvalsh(middle), 0.0, None)).sum()
    value = mean_g @ mean_g + cov_r.sum() + np.trace(cov_g) - 2.0 * trace_root
    return max(0.0, float(value))


def coverage_of(
    left: np.ndarray, right: np.ndarray, blend: np.ndarray, config: MetricsConfig
) -> float:
    """Share of the sources' windows (coverage_window_frames long, every coverage_stride_frames)
    that some blend window of the same length (any start) reproduces: mean per-joint distance of
    root-relative positions below coverage_tau."""
    length = min(config.coverage_window_frames, left.shape[0], right.shape[0], blend.shape[0])
    starts_b = blend.shape[0] - length + 1
    # one distance matrix for both sources (stacked), then per-window sums along diagonals
    distances = _frame_distances(
        _root_relative(np.concatenate([left, right])), _root_relative(blend)
    )
    starts = np.concatenate(
        [
            np.arange(0, left.shape[0] - length + 1, config.coverage_stride_frames),
            left.shape[0]
            + np.arange(0, right.shape[0] - length + 1, config.coverage_stride_frames),
        ]
    )
    window_sums = np.zeros((starts.shape[0], starts_b), dtype=distances.dtype)
    for offset in range(length):
        window_sums += distances[starts + offset, offset : offset + starts_b]
    covered = window_sums.min(axis=1) < config.coverage_tau * length
    return float(covered.mean())


def _root_relative(x: np.ndarray) -> np.ndarray:
    return x - x[:, :1]


def _frame_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """D[t, u] = mean over joints of |a[t, j] - b[u, j]| (Euclidean), for every frame pair.

    One batched matrix product per joint gives every squared distance
    (|a|^2 + |b|^2 - 2 a.b); float32 keeps it fast and is accurate to ~1e-3 body sizes even for
    identical frames, far below coverage_tau.
    """
    joints = a.shape[1]
    a_sq, b_sq = np.einsum("tjc,tjc->jt", a, a), np.einsum("tjc,tjc->jt", b, b)
    rows = np.concatenate(
        [a_sq[:, :, None], np.ones_like(a_sq)[:, :, None], -2.0 * a.transpose(1, 0, 2)], axis=2
    )
    columns = np.concatenate(
        [np.ones_like(b_sq)[:, None, :], b_sq[:, None, :], b.transpose(1, 2, 0)], axis=1
    )
    squared = rows.astype(np.float32) @ columns.astype(np.float32)
    np.abs(
        squared, out=squared
    )  # rounding can leave -1e-7 for equal frames (abs: 4x faster than max)
    np.sqrt(squared, out=squared)
    return squared.sum(axis=0) / joints


def diversity(x: np.ndarray, window: int) -> dict:
    """The four diversities of root-relative blend positions (means over x, y and z)."""
    relative = _root_relative(x)
    frames, joints = relative.shape[:2]
    count = frames // window
    if count:
        blocks = relative[: count * window].reshape(count, window * joints, 3)
        local = float(blocks.var(axis=1).mean())
    else:
        local = float(relative.reshape(-1, 3).var(axis=0).mean())
    return {
        "global_diversity": float(relative.reshape(-1, 3).var(axis=0).mean()),
        "local_diversity": local,
        "inter_diversity": float(relative.var(axis=1).mean()),
        "intra_diversity": float(relative.var(axis=0).mean()),
    }
