"""One blend job in, one `blend_quality_metrics` row out: read, measure, never raise for bad data.

The files are read through `read(path) -> bytes` (a workspace-relative path; OSError when it
cannot be read), so the same code serves a local folder and a bucket. A missing or unreadable
input, content that is not joint positions (FBX included) and positions that cannot be measured
give `metrics_status = "error"` with `metrics_error`; joint counts that differ give
`"skeleton_mismatch"`; every metric is then null. Anything else raised here is a bug and
propagates.
"""

import math
import posixpath
from dataclasses import dataclass
from urllib.parse import unquote

import numpy as np

from blend_quality.config import METRICS_VERSION, MetricsConfig
from blend_quality.metrics import MetricsInputError, blend_metrics, transition_window
from blend_quality.positions import PositionsError, read_positions, sidecar_fps

STATUS_OK, STATUS_ERROR = "ok", "error"  # metrics_status (MetricsInputError says its own)
METRIC_COLUMNS = (
    "fid",
    "coverage",
    "global_diversity",
    "local_diversity",
    "inter_diversity",
    "intra_diversity",
    "l2_velocity_mean",
    "l2_velocity_std",
    "l2_velocity_max",
    "l2_velocity_transition",
    "l2_acceleration_mean",
    "l2_acceleration_std",
    "l2_acceleration_max",
    "l2_acceleration_transition",
    "transition_smoothness",
    "velocity_ratio",
    "acceleration_ratio",
    "quality_score",
    "quality_category",
    "has_velocity_spike",
    "has_rough_transition",
    "has_distribution_mismatch",
)
FLAG_COLUMNS = ("has_velocity_spike", "has_rough_transition", "has_distribution_mismatch")
TEXT_COLUMNS = ("quality_category",)


@dataclass(frozen=True)
class BlendInputs:
    """What the blend job says: ids, paths (workspace-relative, None when unknown) and why."""

    blend_id: str
    output_path: str | None
    left_path: str | None
    right_path: str | None
    left_motion_id: str | None = None
    right_motion_id: str | None = None
    blend_ratio: float | None = None
    method: str | None = None
    transition_start_frame: int | None = None
    transition_end_frame: int | None = None
    default_fps: float = 30.0
    missing_reason: str | None = None  # why a side is unresolved, from the catalog

    @classmethod
    def of_job(cls, job: dict, default_fps: float) -> "BlendInputs":
        """What a `blend_jobs` row (workspace.blends.blend_job_row) says about its blend."""
        meta = job["metadata"]
        return cls(
            blend_id=job["job_id"],
            output_path=job["output_file_path"],
            left_path=meta["left_path"],
            right_path=meta["right_path"],
            left_motion_id=job["sequence_a_id"],
            right_motion_id=job["sequence_b_id"],
            blend_ratio=job["blend_weight"],
            method=job["blend_method"],
            transition_start_frame=job["transition_start_frame"],
            transition_end_frame=job["transition_end_frame"],
            default_fps=default_fps,
            missing_reason="; ".join(meta["resolution_notes"].values()) or None,
        )


def metrics_row(inputs: BlendInputs, config: MetricsConfig, computed_at: str) -> dict:
    """The row of a blend before measuring: what the job says, metrics null, status ok."""
    return {
        "blend_id": inputs.blend_id,
        "left_motion_id": inputs.left_motion_id,
        "right_motion_id": inputs.right_motion_id,
        "blend_ratio": inputs.blend_ratio,
        "transition_start_frame": inputs.transition_start_frame,
        "transition_end_frame": inputs.transition_end_frame,
        "method": inputs.method,
        **dict.fromkeys(METRIC_COLUMNS),
        "computed_at": computed_at,
        "metrics_version": METRICS_VERSION,
        "metrics_config": config.as_dict(),
        "metrics_status": STATUS_OK,
        "metrics_error": None,
    }


def internal_error_row(
    inputs: BlendInputs, config: MetricsConfig, computed_at: str, error: Exception
) -> dict:
    """The row of a blend whose measuring raised unexpectedly (a bug here, which the caller
    logs loudly): metrics null, the exception named in metrics_error."""
    return {
        **metrics_row(inputs, config, computed_at),
        "metrics_status": STATUS_ERROR,
        "metrics_error": f"internal error: {type(error).__name__}: {error}",
    }


class InputError(Exception):
    """An input cannot be read as positions (the row's metrics_error)."""


def assess_blend(inputs: BlendInputs, read, config: MetricsConfig, computed_at: str) -> dict:
    """The blend_quality_metrics row of one blend job."""
    row = metrics_row(inputs, config, computed_at)
    try:
        left, left_fps = _positions(inputs.left_path, "left source", inputs, read)
        right, right_fps = _positions(inputs.right_path, "right source", inputs, read)
        blend, blend_fps = _positions(inputs.output_path, "blend output", inputs, read)
        fps, fps_source = (blend_fps, "blend") if blend_fps else (inputs.default_fps, "default")
        right, right_unit = in_units_of(left, right)
        blend, blend_unit = in_units_of(left, blend)
        transition = transition_window(
            blend.shape[0],
            inputs.transition_start_frame,
            inputs.transition_end_frame,
            config.transition_default_frames,
        )
        values = blend_metrics(
            left,
            right,
            blend,
            fps=fps,
            transition=transition,
            config=config,
            source_fps=(left_fps, right_fps),
        )
    except InputError as error:
        return {**row, "metrics_status": STATUS_ERROR, "metrics_error": str(error)}
    except MetricsInputError as error:
        return {**row, "metrics_status": error.status, "metrics_error": str(error)}
    row.update(values)
    row["transition_start_frame"], row["transition_end_frame"] = transition.start, transition.end
    row["metrics_config"] = {
        **row["metrics_config"],
        "transition_source": transition.source,
        "fps": fps,
        "fps_source": fps_source,
        "source_fps": [left_fps or fps, right_fps or fps],
        "unit_factors": {"right": right_unit, "blend": blend_unit},
    }
    return row


def body_size(positions) -> float:
    """Diagonal of the bounding box of the first frame (the metrics' unit of length)."""
    frame = positions[0]
    return float(np.linalg.norm(frame.max(axis=0) - frame.min(axis=0)))


def in_units_of(reference, positions):
    """`positions` rescaled by the power of ten that brings its body size nearest the
    reference's, and that factor: formats store different units (BVH and TRC often cm or mm,
    NPY and glTF metres), while poses change a body's size by far less than sqrt(10)."""
    size, wanted = body_size(positions), body_size(reference)
    if not (size > 0 and wanted > 0):
        return positions, 1.0
    factor = 10.0 ** round(math.log10(wanted / size))
    return (positions * factor, factor) if factor != 1.0 else (positions, 1.0)


def _positions(path: str | None, what: str, inputs: BlendInputs, read):
    """(positions, fps stated by the file or its JSON sidecar) of one input."""
    if path is None:
        reason = f": {inputs.missing_reason}" if inputs.missing_reason else ""
        if what == "blend output":
            raise InputError("the blend job has no output file")
        raise InputError(f"{what} is unknown{reason}")
    fmt = posixpath.splitext(path)[1].lstrip(".").lower()
    try:
        result = read_positions(read(path), fmt, resources=_resources(path, read))
    except OSError as error:
        raise InputError(f"{what} {path} cannot be read: {error}") from error
    except PositionsError as error:
        raise InputError(f"{what} {path}: {error}") from error
    fps = result.fps
    if fps is None:  # NPY: `<name>.json` (fps sidecar, or the blend's manifest) may say
        try:
            fps = sidecar_fps(read(posixpath.splitext(path)[0] + ".json"))
        except OSError:
            fps = None
    return result.positions, fps


def _resources(path: str, read):
    """Reads a file a .gltf names, relative to it and never outside the workspace."""

    def resource(uri: str) -> bytes:
        target = posixpath.normpath(posixpath.join(posixpath.dirname(path), unquote(uri)))
        if uri.startswith("/") or target.startswith("../") or "://" in uri:
            raise PositionsError(f"buffer {uri!r} is outside the workspace")
        return read(target)

    return resource
