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
_PAIR_CHUNK = 16  # window pairs measured at once (16 x 30 frames x 24 joints: 276 kB)


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
    # root-relative poses, computed once: FID features, coverage and diversity share them
    rl, rr, rb = _root_relative(xl), _root_relative(xr), _root_relative(xb)

    speed, acceleration = motion_profile(xb, fps)
    motion = transition_statistics(speed, acceleration, transition)
    smoothness = 1.0 / (1.0 + max(0.0, motion["acceleration_ratio"] - 1.0))
    fid = frechet_distance((xl, rl), (xr, rr), (xb, rb), rates, config)
    coverage = coverage_of(rl, rr, rb, config)
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
        **diversity(rb, config.diversity_window_frames),
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


def features(x: np.ndarray, relative: np.ndarray, fps: float, out=None) -> np.ndarray:
    """Per-frame features (T-1, 6J): root-relative positions and velocities (body sizes/s) of
    positions `x` whose root-relative form is `relative`; written into `out` when given (one
    array for both sources: fresh memory costs page faults worth more than the arithmetic)."""
    frames = x.shape[0] - 1
    if out is None:
        out = np.empty((frames, 6 * x.shape[1]))
    halves = out.reshape(frames, 2, -1)
    halves[:, 0] = relative[:-1].reshape(frames, -1)
    flat = x.reshape(x.shape[0], -1)
    np.subtract(flat[1:], flat[:-1], out=halves[:, 1])
    halves[:, 1] *= fps
    return out


def frechet_distance(
    left: tuple, right: tuple, blend: tuple, rates: tuple, config: MetricsConfig
) -> float:
    """Frechet distance between the blend's features and those of both sources, in the top-k
    principal components of the sources' features (k = min(fid_components, dims)).
    left, right and blend are (positions, root-relative positions); `rates` are the fps of
    blend, left and right."""
    frames_left = left[0].shape[0] - 1
    reference = np.empty((frames_left + right[0].shape[0] - 1, 6 * left[0].shape[1]))
    features(*left, rates[1], out=reference[:frames_left])
    features(*right, rates[2], out=reference[frames_left:])
    generated = features(*blend, rates[0])
    mean = reference.mean(axis=0)
    reference -= mean
    variances, vectors = np.linalg.eigh(reference.T @ reference / reference.shape[0])
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
    root-relative positions (as given) below coverage_tau.

    Exact (the decisions are those of float64 differences), but most window pairs are settled
    without their exact distances: a cheap lower bound (`_lower_bounds`) rules out the blend
    windows that cannot be within tau, each source window's most promising candidate is
    measured exactly, and only the source windows this leaves open get float32 distances to
    every blend frame, with their rounding bounded: pairs within that bound of tau are measured
    exactly.
    """
    length = min(config.coverage_window_frames, left.shape[0], right.shape[0], blend.shape[0])
    threshold = config.coverage_tau * length  # on window sums of per-frame distances
    # Distances are unchanged by moving everything by one pose; centring on the blend's mean
    # pose shrinks the coordinates, and with them float32's rounding margin (pairs to re-check).
    centre = blend.mean(axis=0)
    sources, blend = np.concatenate([left, right]), blend - centre
    sources -= centre
    starts = np.concatenate(
        [
            np.arange(0, left.shape[0] - length + 1, config.coverage_stride_frames),
            left.shape[0]
            + np.arange(0, right.shape[0] - length + 1, config.coverage_stride_frames),
        ]
    )
    windows = np.arange(starts.shape[0])
    bounds = _window_sums(_lower_bounds(sources, blend), starts, length)
    candidates = bounds < threshold
    best = bounds.argmin(axis=1)
    tried = np.flatnonzero(candidates[windows, best])
    covered = np.zeros(starts.shape[0], dtype=bool)
    covered[tried] = _pair_sums(sources, blend, starts[tried], best[tried], length) < threshold
    candidates[covered] = False
    candidates[tried, best[tried]] = False
    open_windows = np.flatnonzero(candidates.any(axis=1))
    if open_windows.size:
        frames = np.unique(starts[open_windows, None] + np.arange(length))
        rows = np.searchsorted(frames, starts[open_windows])  # window starts among `frames`
        sums = _window_sums(_frame_distances(sources[frames], blend), rows, length)
        slack = length * _rounding_margin(sources[frames], blend)
        covered[open_windows] = (sums + slack < threshold).any(axis=1)
        unsure = candidates[open_windows] & (sums - slack < threshold)
        unsure[covered[open_windows]] = False
        window, start_b = np.nonzero(unsure)
        exact = _pair_sums(sources, blend, starts[open_windows[window]], start_b, length)
        covered[open_windows[window[exact < threshold]]] = True
    return float(covered.mean())


def _root_relative(x: np.ndarray) -> np.ndarray:
    return x - x[:, :1]


def _window_sums(distances: np.ndarray, starts: np.ndarray, length: int) -> np.ndarray:
    """W[i, u] = sum over o < length of distances[starts[i] + o, u + o]: diagonals of windows
    (rows consecutive from each start)."""
    width = distances.shape[1] - length + 1
    sums = np.zeros((starts.shape[0], width))
    for offset in range(length):
        sums += distances[starts + offset, offset : offset + width]
    return sums


def _lower_bounds(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """L[t, u] <= mean over joints of |a[t, j] - b[u, j]| for every frame pair, at 1/J of its
    cost: |mean of differences| <= mean of |differences| (triangle inequality), so the distance
    of the mean positions over joints bounds it (less the rounding margin of
    `_frame_distances`). Bounds from groups of joints are tighter but, measured on crossfades,
    cuts and jittered blends, prune no more windows."""
    mean_a, mean_b = a.mean(axis=1, keepdims=True), b.mean(axis=1, keepdims=True)
    bounds = _frame_distances(mean_a, mean_b)
    bounds -= np.float32(_rounding_margin(mean_a, mean_b))
    return bounds


def _pair_sums(
    a: np.ndarray, b: np.ndarray, starts_a: np.ndarray, starts_b: np.ndarray, length: int
) -> np.ndarray:
    """Sum over o < length of mean over joints of |a[s + o, j] - b[u + o, j]|, for each pair (s, u)
    of window starts, in float64 from the differences themselves.

    In chunks of _PAIR_CHUNK pairs through two reused buffers: fresh memory costs page faults
    that, on this machine, cost more than the arithmetic (4x for all pairs at once)."""
    flat_a, flat_b = a.reshape(a.shape[0], -1), b.reshape(b.shape[0], -1)
    offsets = np.arange(length)
    sums = np.empty(starts_a.shape[0])
    buffers = np.empty((2, min(_PAIR_CHUNK, starts_a.shape[0]) * length, flat_a.shape[1]))
    for first in range(0, starts_a.shape[0], _PAIR_CHUNK):
        chunk = slice(first, first + _PAIR_CHUNK)
        rows = min(_PAIR_CHUNK, starts_a.shape[0] - first) * length
        difference, other = buffers[0, :rows], buffers[1, :rows]
        np.take(flat_a, (starts_a[chunk, None] + offsets).reshape(-1), axis=0, out=difference)
        np.take(flat_b, (starts_b[chunk, None] + offsets).reshape(-1), axis=0, out=other)
        difference -= other
        difference *= difference
        # x + y + z by strided slices: numpy's sum over a length-3 axis is ~15x slower
        norms = np.sqrt(difference[:, 0::3] + difference[:, 1::3] + difference[:, 2::3])
        sums[chunk] = norms.mean(axis=1).reshape(-1, length).sum(axis=1)
    return sums


def _frame_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """D[t, u] = mean over joints of |a[t, j] - b[u, j]| (Euclidean), for every frame pair, in
    float32 (within `_rounding_margin` of the exact value).

    One matrix product per joint gives every squared distance (|a|^2 + |b|^2 - 2 a.b), joint by
    joint into one reused buffer, so the work stays in cache.
    """
    joints = a.shape[1]
    a_sq, b_sq = np.einsum("tjc,tjc->jt", a, a), np.einsum("tjc,tjc->jt", b, b)
    rows = np.concatenate(
        [a_sq[:, :, None], np.ones_like(a_sq)[:, :, None], -2.0 * a.transpose(1, 0, 2)], axis=2
    ).astype(np.float32)
    columns = np.concatenate(
        [np.ones_like(b_sq)[:, None, :], b_sq[:, None, :], b.transpose(1, 2, 0)], axis=1
    ).astype(np.float32)
    total = np.empty((a.shape[0], b.shape[0]), dtype=np.float32)
    squared = np.empty_like(total) if joints > 1 else total
    for joint in range(joints):
        into = total if joint == 0 else squared
        np.matmul(rows[joint], columns[joint], out=into)
        # rounding can leave a tiny negative for equal frames (abs: 4x faster than max)
        np.abs(into, out=into)
        np.sqrt(into, out=into)
        if joint:
            total += squared
    total /= joints
    return total


def _rounding_margin(a: np.ndarray, b: np.ndarray) -> float:
    """A bound on |D - exact| of `_frame_distances`: its expanded square |a|^2 + |b|^2 - 2 a.b
    goes through ~8 float32 roundings of at most 6e-8 of 4 R^2 each (R the largest joint norm,
    at most sqrt(3) x the largest coordinate c), so it is off by < 2e-6 R^2 and its square root
    by < 1.5e-3 R < 2.6e-3 c; 5e-3 c leaves a factor of 2 (the float32 sums over joints add
    ~1e-6 R)."""
    return 5e-3 * max(float(np.abs(a).max()), float(np.abs(b).max()))


def diversity(relative: np.ndarray, window: int) -> dict:
    """The four diversities of root-relative blend positions (means over x, y and z).

    Each is a mean of squared deviations from the matching mean (two passes, as np.var), taken
    over the whole (T, J, 3) array at once: a variance per coordinate averaged over x, y and z
    is the mean over all three of the squared deviations, since each coordinate has as many.
    """
    frames, joints = relative.shape[:2]
    count = frames // window
    over_time = relative.mean(axis=0)  # (J, 3)
    overall = over_time.mean(axis=0)  # (3,): every joint has T frames
    over_joints = relative.mean(axis=1, keepdims=True)  # (T, 1, 3)
    if count:
        blocks = relative[: count * window].reshape(count, window * joints, 3)
        local = _mean_square(blocks - blocks.mean(axis=1, keepdims=True))
    else:
        local = _mean_square(relative - overall)
    return {
        "global_diversity": _mean_square(relative - overall),
        "local_diversity": local,
        "inter_diversity": _mean_square(relative - over_joints),
        "intra_diversity": _mean_square(relative - over_time),
    }


def _mean_square(deviations: np.ndarray) -> float:
    flat = deviations.reshape(-1)
    return float(flat @ flat) / flat.shape[0]
