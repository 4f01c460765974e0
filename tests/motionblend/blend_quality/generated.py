"""Generated motions with known answers for the blend_quality tests (positions in cm, 30 fps).

Built on the sample workspace's procedural skeleton (`sample_workspace.animate`) without its
capture jitter, so a motion is exactly smooth and periodic; blends are made the way a blend tool
makes them: the right motion is moved so its root meets the left one's at the transition, then
positions are mixed.
"""

import numpy as np
import pytest

from blend_quality.config import MetricsConfig
from blend_quality.metrics import blend_metrics, transition_window
from tests.motionblend import sample_workspace as sw

FPS = 30
FRAMES = 300
WINDOW = (135, 165)  # a 30-frame transition in the middle


def motion(kind: str, *, frames: int = FRAMES, seed: int = 1, **kwargs) -> np.ndarray:
    """(frames, 15, 3) world positions of a smooth procedural motion."""
    m = sw.animate(kind, kind, frames, FPS, np.random.default_rng(seed), jitter=False, **kwargs)
    return sw.forward_kinematics(m)


def aligned(left: np.ndarray, right: np.ndarray, frame: int) -> np.ndarray:
    """`right` moved on the ground so its root meets `left`'s at `frame`."""
    shift = left[frame, 0] - right[frame, 0]
    shift[1] = 0.0
    return right + shift


def crossfade(left: np.ndarray, right: np.ndarray, start: int, end: int) -> np.ndarray:
    """Linear weights from left (before start) to right (from end on)."""
    weight = np.clip((np.arange(left.shape[0]) - start) / (end - start), 0.0, 1.0)
    weight = weight[:, None, None]
    return (1.0 - weight) * left + weight * right


def hard_cut(left: np.ndarray, right: np.ndarray, frame: int) -> np.ndarray:
    """left before `frame`, right from `frame` on."""
    return np.where(np.arange(left.shape[0])[:, None, None] < frame, left, right)


def measure(left, right, blend, window=WINDOW, config=None, **kwargs) -> dict:
    """blend_metrics at 30 fps with the transition window given (None: the default)."""
    config = config or MetricsConfig()
    start, end = window if window else (None, None)
    transition = transition_window(blend.shape[0], start, end, config.transition_default_frames)
    return blend_metrics(
        left, right, blend, fps=FPS, transition=transition, config=config, **kwargs
    )


def assert_same_metrics(a: dict, b: dict) -> None:
    """Every metric equal: floats within 1e-6 relative (1e-9 absolute near zero)."""
    assert a.keys() == b.keys()
    for key, value in a.items():
        if isinstance(value, float):
            assert value == pytest.approx(b[key], rel=1e-6, abs=1e-9), key
        else:
            assert value == b[key], key
