"""The metrics on generated motions whose answer is known (issue #10, behaviours 1-6)."""

import numpy as np
import pytest

from blend_quality.config import METRICS_VERSION, MetricsConfig, metrics_settings
from blend_quality.metrics import (
    MetricsInputError,
    SkeletonMismatch,
    Transition,
    blend_metrics,
    transition_window,
)
from tests.motionblend.blend_quality.generated import (
    FPS,
    WINDOW,
    aligned,
    assert_same_metrics,
    crossfade,
    hard_cut,
    measure,
    motion,
)

FLAGS = ("has_velocity_spike", "has_rough_transition", "has_distribution_mismatch")


@pytest.fixture(scope="module")
def walk():
    return motion("walk")  # 1 step cycle per second: 30 frames at 30 fps


@pytest.fixture(scope="module")
def walk_and_jog(walk):
    return walk, aligned(walk, motion("jog", seed=2), 150)


def test_blend_identical_to_both_sources_is_excellent(walk):
    m = measure(walk, walk, walk, window=None)
    assert m["transition_smoothness"] >= 0.95
    assert m["fid"] < 1e-6
    assert m["coverage"] == 1.0
    assert not any(m[flag] for flag in FLAGS)
    assert m["quality_category"] == "excellent"
    assert m["quality_score"] >= 0.8


def test_linear_crossfade_of_two_smooth_motions_is_smooth(walk_and_jog):
    walk, jog = walk_and_jog
    m = measure(walk, jog, crossfade(walk, jog, *WINDOW))
    assert not m["has_velocity_spike"]
    assert m["transition_smoothness"] >= 0.7
    assert not m["has_rough_transition"]


def test_hard_cut_with_a_pose_jump_is_a_spike_and_a_rough_transition(walk):
    crouch = aligned(walk, motion("crouch", seed=3), 150)
    m = measure(walk, crouch, hard_cut(walk, crouch, 150))
    assert m["has_velocity_spike"]
    assert m["has_rough_transition"]
    assert m["transition_smoothness"] < 0.3
    assert m["quality_category"] != "excellent"


def test_blend_of_random_noise_is_a_distribution_mismatch_and_poor(walk_and_jog):
    walk, jog = walk_and_jog
    noise = np.random.default_rng(5).normal(0.0, 40.0, walk.shape) + walk.mean(axis=(0, 1))
    m = measure(walk, jog, noise)
    assert m["has_distribution_mismatch"]
    assert m["quality_category"] == "poor"
    assert m["coverage"] == 0.0


def test_growing_jitter_makes_fid_grow_and_quality_fall(walk):
    unit = np.random.default_rng(11).normal(0.0, 1.0, walk.shape)
    runs = [measure(walk, walk, walk + cm * unit) for cm in (0.0, 0.5, 1.0, 2.0, 4.0, 8.0)]
    fids = [m["fid"] for m in runs]
    scores = [m["quality_score"] for m in runs]
    assert fids == sorted(fids) and len(set(fids)) == len(fids), fids
    assert scores == sorted(scores, reverse=True) and len(set(scores)) == len(scores), scores
    assert runs[-1]["quality_category"] == "poor"


@pytest.mark.parametrize(
    "change",
    [lambda p: p * 100.0, lambda p: p + np.array([530.0, -210.0, 1875.0])],
    ids=["scaled_by_100", "translated"],
)
def test_scaling_or_translating_every_input_changes_no_metric(walk, change):
    wave = aligned(walk, motion("wave", seed=4, side="left"), 150)
    blend = crossfade(walk, 0.5 * walk + 0.5 * wave, *WINDOW)
    before = measure(walk, wave, blend)
    assert before["fid"] > 0.01 and before["coverage"] > 0  # not a trivial case
    assert_same_metrics(before, measure(change(walk), change(wave), change(blend)))


def test_two_runs_give_identical_values(walk_and_jog):
    walk, jog = walk_and_jog
    blend = crossfade(walk, jog, *WINDOW)
    assert measure(walk, jog, blend) == measure(walk.copy(), jog.copy(), blend.copy())


def test_joint_counts_that_differ_are_a_skeleton_mismatch(walk):
    with pytest.raises(SkeletonMismatch, match="left 15, right 9, blend 15"):
        measure(walk, walk[:, :9], walk)
    assert SkeletonMismatch.status == "skeleton_mismatch"


def test_a_blend_of_two_frames_cannot_be_measured(walk):
    with pytest.raises(MetricsInputError, match="at least 3"):
        measure(walk, walk, walk[:2])


def test_a_left_first_frame_without_extent_cannot_be_normalised(walk):
    still = np.zeros_like(walk)
    with pytest.raises(MetricsInputError, match="no extent"):
        measure(still, walk, walk)


def test_a_rate_that_is_not_positive_is_an_input_error(walk):
    config = MetricsConfig()
    with pytest.raises(MetricsInputError, match="frame rate"):
        blend_metrics(
            walk, walk, walk, fps=0.0, transition=Transition(0, 30, "job"), config=config
        )


def test_transition_window_from_the_job_clipped_or_defaulted():
    assert transition_window(300, 135, 165, 30) == Transition(135, 165, "job")
    assert transition_window(100, 80, 140, 30) == Transition(80, 100, "job_clipped")
    assert transition_window(300, None, None, 30) == Transition(135, 165, "default")
    assert transition_window(300, 170, 160, 30) == Transition(135, 165, "default")
    assert transition_window(300, 299, 310, 30) == Transition(135, 165, "default")
    assert transition_window(20, None, None, 30) == Transition(0, 20, "default")


def test_a_window_over_the_whole_blend_has_neutral_ratios(walk):
    m = measure(walk, walk, walk, window=(0, 300))
    assert m["velocity_ratio"] == pytest.approx(1.0)
    assert m["acceleration_ratio"] == pytest.approx(1.0)


def test_speed_and_acceleration_follow_their_formulas():
    # One joint moving at constant acceleration along x, a second one fixed 1 unit above the
    # first frame's joint (the bounding-box diagonal s is 1): speed_t and acc_t are exact.
    frames = 10
    t = np.arange(frames) / FPS
    moving = np.stack([0.5 * 2.0 * t**2, np.zeros(frames), np.zeros(frames)], axis=1)
    fixed = np.tile([0.0, 1.0, 0.0], (frames, 1))
    x = np.stack([moving, fixed], axis=1)
    m = measure(x, x, x, window=(0, 4))
    speeds = np.abs(np.diff(moving[:, 0])) * FPS / 2  # mean over the two joints
    assert m["l2_velocity_mean"] == pytest.approx(speeds.mean())
    assert m["l2_velocity_max"] == pytest.approx(speeds.max())
    assert m["l2_velocity_transition"] == pytest.approx(speeds[:4].mean())
    assert m["l2_acceleration_mean"] == pytest.approx(2.0 / 2)  # 2 units/s^2 on one of 2 joints
    assert m["l2_acceleration_std"] == pytest.approx(0.0, abs=1e-9)
    assert m["velocity_ratio"] == pytest.approx(speeds[:4].mean() / speeds[4:].mean())


def test_diversities_follow_their_definitions(walk):
    m = measure(walk, walk, walk)
    body = np.linalg.norm(walk[0].max(axis=0) - walk[0].min(axis=0))
    rel = (walk - walk[:, :1]) / body
    assert m["intra_diversity"] == pytest.approx(rel.var(axis=0).mean())
    assert m["inter_diversity"] == pytest.approx(rel.var(axis=1).mean())
    assert m["global_diversity"] == pytest.approx(rel.reshape(-1, 3).var(axis=0).mean())
    # the law of total variance ties global to intra plus the spread of the mean pose
    spread = rel.mean(axis=0).var(axis=0).mean()
    assert m["global_diversity"] == pytest.approx(m["intra_diversity"] + spread)
    windows = rel.reshape(20, 15 * 15, 3).var(axis=1).mean()
    assert m["local_diversity"] == pytest.approx(windows)


def test_quality_score_and_category_use_the_configured_constants(walk_and_jog):
    walk, jog = walk_and_jog
    blend = crossfade(walk, jog, *WINDOW)
    m = measure(walk, jog, blend)
    expected = 0.4 * m["transition_smoothness"] + 0.3 * np.exp(-m["fid"] / 5) + 0.3 * m["coverage"]
    assert m["quality_score"] == pytest.approx(expected)
    strict = MetricsConfig(
        quality_weights={"smoothness": 1.0, "fid": 0.0, "coverage": 0.0},
        quality_thresholds={"excellent": 0.99, "good": 0.98, "acceptable": 0.97},
    )
    m2 = measure(walk, jog, blend, config=strict)
    assert m2["quality_score"] == pytest.approx(m["transition_smoothness"])
    assert m2["quality_category"] == "poor"


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"coverage_tau": 0.0}, "coverage_tau must be a positive number"),
        ({"transition_default_frames": 1}, "transition_default_frames must be at least 2"),
        ({"spike_factor": 0.5}, "spike_factor must be at least 1"),
        ({"quality_weights": {"smoothness": 0.5, "fid": 0.3, "coverage": 0.3}}, "sum to 1"),
        ({"quality_weights": {"smoothness": 1.0}}, "exactly smoothness, fid, coverage"),
        (
            {"quality_thresholds": {"excellent": 0.5, "good": 0.65, "acceptable": 0.4}},
            "excellent >=",
        ),
    ],
)
def test_config_refuses_values_that_break_the_formulas(changes, message):
    with pytest.raises(ValueError, match=message):
        MetricsConfig(**changes)


def test_config_from_settings_reads_strings_of_mappings_and_keeps_defaults():
    config = MetricsConfig.from_settings(
        {
            "coverage_tau": 0.2,
            "quality_weights": {"smoothness": "0.5", "fid": "0.25", "coverage": "0.25"},
        }
    )
    assert config.coverage_tau == 0.2
    assert config.quality_weights == {"smoothness": 0.5, "fid": 0.25, "coverage": 0.25}
    assert config.fid_scale == 5.0
    with pytest.raises(ValueError, match="quality_weights: fid is 'x', not a number"):
        MetricsConfig.from_settings(
            {"quality_weights": {"smoothness": "1", "fid": "x", "coverage": "0"}}
        )


def test_metrics_settings_change_with_any_constant_the_version_or_the_default_fps():
    settings = metrics_settings(MetricsConfig(), 30.0)
    assert settings[0] == METRICS_VERSION
    assert metrics_settings(MetricsConfig(), 30.0) == settings
    assert metrics_settings(MetricsConfig(coverage_tau=0.2), 30.0) != settings
    assert metrics_settings(MetricsConfig(), 24.0) != settings
