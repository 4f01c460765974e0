"""What every motion-file reader returns, the error it raises for a file it cannot read, and
how every format's frame rate is rounded.

`read_metadata` readers extract metadata only (frames, joints, fps, duration and per-format
details) without decoding whole animations, so a catalog sync costs little per file.
"""

from dataclasses import dataclass, field

STATUS_OK = "ok"
STATUS_UNSUPPORTED = "unsupported"


def round_fps(fps: float) -> float:
    """Snap a rate within 0.01 of an integer to it (1 / 0.0083333 -> 120, 23.99999 -> 24)."""
    nearest = round(fps)
    return float(nearest) if abs(fps - nearest) <= 0.01 else fps


class MotionFileError(Exception):
    """The file is corrupt, truncated, empty or otherwise unreadable; the message says why."""


@dataclass
class MotionMetadata:
    """Metadata of one motion file.

    frame_count, joint_count, fps and duration_seconds are None when the format does not carry
    them (e.g. joints of a (T, D) NPY array). `details` holds per-format facts (clips, joint
    names, channels, units, warnings) and becomes the `metadata` JSON column.
    """

    file_format: str
    frame_count: int | None = None
    joint_count: int | None = None
    fps: float | None = None
    duration_seconds: float | None = None
    details: dict = field(default_factory=dict)
    status: str = STATUS_OK
    reason: str | None = None  # why the status is not ok (e.g. ASCII FBX is unsupported)
