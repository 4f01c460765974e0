"""The fast metrics against straightforward implementations of the issue's definitions.

coverage, FID and the diversities are computed here again the plain way (loops over windows,
np.var, an explicit PCA), on random and generated motions, so that a speed-up of
blend_quality.metrics cannot change a value.
"""

import math
from dataclasses import replace

import numpy as np
import pytest

from blend_quality.config import MetricsConfig
from tests.motionblend.blend_quality.generated import aligned, crossfade, hard_cut, measure, motion

FRAMES = 120  # short motions keep the plain loops quick


def normalised(left, right, blend):
    frame = left[0]
    size = np.linalg.norm(frame.max(axis=0) - frame.min(axis=0))
    return left / size, right / size, blend / size


def relative(x):
    return x - x[:, :1]


def window_minima(left, right, blend, config):
    """Per source window (in order), the least mean per-joint distance to a blend window."""
    length = min(config.coverage_window_frames, len(left), len(right), len(blend))
    minima = []
    for source in (relative(left), relative(right)):
        for start in range(0, len(source) - length + 1, config.coverage_stride_frames):
            window = source[start : start + length]
            minima.append(
                min(
                    np.linalg.norm(window - relative(blend)[u : u + length], axis=2).mean()
                    for u in range(len(blend) - length + 1)
                )
            )
    return np.array(minima)


def reference_fid(left, right, blend, fps, config):
    def features(x):
        positions = relative(x)[:-1].reshape(len(x) - 1, -1)
        velocities = ((x[1:] - x[:-1]) * fps).reshape(len(x) - 1, -1)
        return np.hstack([positions, velocities])

    reference = np.vstack([features(left), features(right)])
    generated = features(blend)
    mean = reference.mean(axis=0)
    variances, vectors = np.linalg.eigh(np.cov(reference, rowvar=False, bias=True))
    order = np.argsort(variances)[::-1][: min(config.fid_components, reference.shape[1])]
    order = [i for i in order if variances[i] > 1e-9 * variances[order[0]]] or [order[0]]
    basis = vectors[:, order]
    projected_r, projected_g = (reference - mean) @ basis, (generated - mean) @ basis
    ridge = np.eye(len(order)) * config.fid_ridge
    cov_r = np.cov(projected_r, rowvar=False, bias=True).reshape(len(order), -1) + ridge
    cov_g = np.cov(projected_g, rowvar=False, bias=True).reshape(len(order), -1) + ridge
    # (S_r S_g)^1/2 has the square roots of S_r S_g's eigenvalues (real, non-negative)
    product_eigenvalues = np.clip(np.linalg.eigvals(cov_r @ cov_g).real, 0.0, None)
    difference = projected_g.mean(axis=0) - projected_r.mean(axis=0)
    value = (
        difference @ difference + np.trace(cov_r + cov_g) - 2 * np.sqrt(product_eigenvalues).sum()
    )
    return max(0.0, value)


def reference_diversity(blend, window):
    y = relative(blend)
    frames, joints = y.shape[:2]
    blocks = [y[i : i + window] for i in range(0, frames - window + 1, window)]
    return {
        "global_diversity": np.mean([y[..., c].var() for c in range(3)]),
        "local_diversity": np.mean([[b[..., c].var() for c in range(3)] for b in blocks]),
        "inter_diversity": np.mean([[y[t, :, c].var() for c in range(3)] for t in range(frames)]),
        "intra_diversity": np.mean([[y[:, j, c].var() for c in range(3)] for j in range(joints)]),
    }


def rng_motion(seed, frames=FRAMES, joints=24):
    """Smooth random joints (cm) as in tests/benchmarks/blend_quality."""
    rng = np.random.default_rng(seed)
    t = np.arange(frames)[:, None, None] / 30
    rest, amplitude = rng.normal(0, 30, (joints, 3)), rng.normal(0, 5, (joints, 3))
    frequency, phase = rng.uniform(0.5, 2, (joints, 3)), rng.uniform(0, 2 * np.pi, (joints, 3))
    return rest + amplitude * np.sin(2 * np.pi * frequency * t + phase)


def cases():
    rng = np.random.default_rng(7)
    walk, jog = motion("walk", frames=FRAMES), motion("jog", frames=FRAMES, seed=2)
    jog = aligned(walk, jog, 60)
    left, right = rng_motion(1), rng_motion(2)
    return {
        "identical walk": (walk, walk, walk),
        "crossfade walk to jog": (walk, jog, crossfade(walk, jog, 45, 75)),
        "hard cut walk to jog": (walk, jog, hard_cut(walk, jog, 60)),
        "walk with 4 cm jitter": (walk, walk, walk + rng.normal(0, 4, walk.shape)),
        "walk with 8 cm jitter": (walk, walk, walk + rng.normal(0, 8, walk.shape)),
        "random smooth crossfade": (left, right, crossfade(left, right, 45, 75)),
        "random noise": (left, right, rng.normal(0, 30, left.shape)),
        "different lengths": (rng_motion(3, 90), rng_motion(4, 150), rng_motion(5, 70)),
    }


CASES = cases()


@pytest.mark.parametrize("name", CASES)
def test_metrics_match_the_plain_definitions(name):
    left, right, blend = CASES[name]
    config = MetricsConfig()
    fast = measure(left, right, blend, window=None, config=config)
    xl, xr, xb = normalised(left, right, blend)
    minima = window_minima(xl, xr, xb, config)
    assert np.abs(minima - config.coverage_tau).min() > 1e-6  # no decision on a rounding edge
    assert fast["coverage"] == pytest.approx(np.mean(minima < config.coverage_tau), abs=0)
    fid = reference_fid(xl, xr, xb, 30, config)
    assert fast["fid"] == pytest.approx(fid, rel=1e-7, abs=1e-9)
    expected = reference_diversity(xb, config.diversity_window_frames)
    for key, value in expected.items():
        assert fast[key] == pytest.approx(value, rel=1e-9, abs=1e-15), key
    score = 0.4 * fast["transition_smoothness"] + 0.3 * math.exp(-fid / 5) + 0.3 * fast["coverage"]
    assert fast["quality_score"] == pytest.approx(min(1.0, score), rel=1e-7)


@pytest.mark.parametrize("name", ["walk with 4 cm jitter", "random smooth crossfade"])
def test_coverage_matches_when_many_windows_sit_near_tau(name):
    """tau between two neighbouring window distances: windows on both sides of it, close to it."""
    left, right, blend = CASES[name]
    minima = window_minima(*normalised(left, right, blend), MetricsConfig())
    distinct = np.unique(minima)  # left == right repeats every window
    middle = len(distinct) // 2
    tau = float((distinct[middle - 1] + distinct[middle]) / 2)
    assert distinct[middle] - distinct[middle - 1] > 2e-6, "pick a case without a near tie"
    config = replace(MetricsConfig(), coverage_tau=tau)
    coverage = measure(left, right, blend, window=None, config=config)["coverage"]
    assert 0 < coverage < 1
    assert coverage == pytest.approx(np.mean(minima < tau), abs=0)
