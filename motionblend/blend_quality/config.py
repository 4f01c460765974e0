"""The constants of the blend quality metrics, their defaults and the metrics version.

Every constant is configurable; `MetricsConfig.from_settings` builds one from the connector's
validated settings and checks what spec.json cannot (weights summing to 1, ordered thresholds).
`as_dict()` is what each row records in `metrics_config`, beside `METRICS_VERSION`: a row can
always be reproduced from its inputs, its config and the version of these formulas.
"""

import math
from dataclasses import asdict, dataclass, field, fields

# Bump when a formula changes: every blend's metrics are then computed again.
METRICS_VERSION = "1.0"

CATEGORIES = ("excellent", "good", "acceptable", "poor")
WEIGHT_KEYS = ("smoothness", "fid", "coverage")


@dataclass(frozen=True)
class MetricsConfig:
    """Constants of the formulas in motionblend/README.md ("Blend quality metrics")."""

    transition_default_frames: int = 30  # window centred in the blend when the job has none
    coverage_tau: float = 0.1  # mean per-joint distance (body sizes) under which a window is seen
    coverage_window_frames: int = 30
    coverage_stride_frames: int = 5
    diversity_window_frames: int = 15
    fid_components: int = 16  # principal components of the reference kept (k = min(this, dims))
    fid_ridge: float = 1e-6  # added to both covariances' diagonals
    fid_scale: float = 5.0  # quality uses exp(-fid / fid_scale)
    fid_threshold: float = 5.0  # has_distribution_mismatch when fid is above this
    spike_factor: float = 4.0  # has_velocity_spike when max speed > this x median speed
    rough_smoothness: float = 0.5  # has_rough_transition when smoothness is below this
    quality_weights: dict = field(
        default_factory=lambda: {"smoothness": 0.4, "fid": 0.3, "coverage": 0.3}
    )
    quality_thresholds: dict = field(
        default_factory=lambda: {"excellent": 0.8, "good": 0.65, "acceptable": 0.5}
    )

    def __post_init__(self):
        problems = []
        for name in ("transition_default_frames", "coverage_window_frames"):
            if getattr(self, name) < 2:
                problems.append(f"{name} must be at least 2")
        for name in ("coverage_stride_frames", "diversity_window_frames", "fid_components"):
            if getattr(self, name) < 1:
                problems.append(f"{name} must be at least 1")
        for name in ("coverage_tau", "fid_ridge", "fid_scale", "fid_threshold"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                problems.append(f"{name} must be a positive number, got {value}")
        if not (math.isfinite(self.spike_factor) and self.spike_factor >= 1):
            problems.append(f"spike_factor must be at least 1, got {self.spike_factor}")
        if not 0 < self.rough_smoothness <= 1:
            problems.append(f"rough_smoothness must be in (0, 1], got {self.rough_smoothness}")
        problems += _check_weights(self.quality_weights) + _check_thresholds(
            self.quality_thresholds
        )
        if problems:
            raise ValueError("; ".join(problems))

    @classmethod
    def from_settings(cls, settings: dict) -> "MetricsConfig":
        """The config named by validated connector settings (keys as the field names; None or
        absent keys keep the default). Raises ValueError naming every bad value."""
        values = {}
        for item in fields(cls):
            value = settings.get(item.name)
            if value is None:
                continue
            if item.name in ("quality_weights", "quality_thresholds"):
                value = _numbers_of(item.name, value)
            values[item.name] = value
        return cls(**values)

    def as_dict(self) -> dict:
        return asdict(self)

    def category(self, score: float) -> str:
        """excellent / good / acceptable / poor for a quality score."""
        for name in CATEGORIES[:-1]:
            if score >= self.quality_thresholds[name]:
                return name
        return CATEGORIES[-1]


def metrics_settings(config: MetricsConfig, default_fps: float) -> tuple:
    """What, besides the files, a metrics row is made from: the formulas' version, every
    constant, and the fps assumed for a file that states none (part of each blend's
    fingerprint in the state: changing any of them measures every blend again)."""
    return (METRICS_VERSION, sorted(config.as_dict().items()), default_fps)


def _numbers_of(name: str, mapping: dict) -> dict:
    """{"smoothness": "0.4"} -> {"smoothness": 0.4}; ValueError for a value that is no number."""
    numbers = {}
    for key, text in mapping.items():
        try:
            numbers[key] = float(text)
        except (TypeError, ValueError):
            raise ValueError(f"{name}: {key} is {text!r}, not a number") from None
    return numbers


def _check_weights(weights: dict) -> list[str]:
    if set(weights) != set(WEIGHT_KEYS):
        return [f"quality_weights must name exactly {', '.join(WEIGHT_KEYS)}"]
    if any(not (math.isfinite(w) and w >= 0) for w in weights.values()):
        return ["quality_weights must be non-negative numbers"]
    if abs(sum(weights.values()) - 1) > 1e-9:
        return [
            "quality_weights must sum to 1 (quality_score is in [0, 1]), "
            f"not {sum(weights.values())}"
        ]
    return []


def _check_thresholds(thresholds: dict) -> list[str]:
    names = CATEGORIES[:-1]
    if set(thresholds) != set(names):
        return [f"quality_thresholds must name exactly {', '.join(names)}"]
    values = [thresholds[name] for name in names]
    if not all(0 < v <= 1 for v in values) or values != sorted(values, reverse=True):
        return ["quality_thresholds must be in (0, 1] with excellent >= good >= acceptable"]
    return []
