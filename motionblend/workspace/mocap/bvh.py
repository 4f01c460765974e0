"""Metadata of Biovision Hierarchy (.bvh) motion files.

A BVH file is a HIERARCHY section (the skeleton: ROOT and JOINT entries with OFFSET and CHANNELS,
closed by End Site leaves), then a MOTION section whose `Frames:` and `Frame Time:` lines precede
one text line of channel values per frame. Everything the catalog needs is in the header, so this
reader parses the hierarchy, reads `Frames:` and `Frame Time:` and stops there: the motion data
lines (the bulk of the file) are never read.
"""

import math
import re
from pathlib import Path
from typing import BinaryIO

from workspace.mocap.base import MotionFileError, MotionMetadata

FILE_FORMAT = "bvh"

# A header line longer than this is not BVH (protects against reading a binary file as one line).
_MAX_LINE_BYTES = 64 * 1024

_FRAMES_RE = re.compile(r"^Frames\s*:\s*(\S+)\s*$", re.IGNORECASE)
_FRAME_TIME_RE = re.compile(r"^Frame\s+Time\s*:\s*(\S+)\s*$", re.IGNORECASE)


def read_metadata(path: Path, **kw) -> MotionMetadata:
    """Read frames, joints, fps and duration of a BVH file from its header only.

    Returns a MotionMetadata whose details hold `root_name`, `joint_names` (ROOT and JOINT entries
    in file order; End Sites are not joints), `channel_count` (total), `joint_channels` (per joint:
    `{"joint": name, "channels": [...]}`) and `frame_time` (seconds, as written). fps is
    1 / frame_time, rounded to the nearest integer when within 0.01 of it; duration is
    frames / fps. Extra keyword arguments are accepted and ignored.

    Raises MotionFileError for an empty file, a malformed or truncated hierarchy, or a missing or
    invalid `Frames:` / `Frame Time:` line.
    """
    path = Path(path)
    try:
        if path.stat().st_size == 0:
            raise MotionFileError("empty file")
        with path.open("rb") as fh:
            header = _read_header(fh)
    except OSError as exc:
        raise MotionFileError(f"cannot read BVH file: {exc}") from exc

    frames, frame_time = header["frames"], header["frame_time"]
    fps = _round_fps(1.0 / frame_time)
    joints = header["joints"]
    return MotionMetadata(
        file_format=FILE_FORMAT,
        frame_count=frames,
        joint_count=len(joints),
        fps=fps,
        duration_seconds=frames / fps,
        details={
            "root_name": joints[0]["joint"],
            "joint_names": [j["joint"] for j in joints],
            "channel_count": sum(len(j["channels"]) for j in joints),
            "joint_channels": joints,
            "frame_time": frame_time,
        },
    )


def _round_fps(fps: float) -> float:
    """Snap fps to the nearest integer when it is within 0.01 of it (1 / 0.0083333 -> 120)."""
    nearest = round(fps)
    return float(nearest) if abs(fps - nearest) <= 0.01 else fps


def _lines(fh: BinaryIO):
    """Yield (line number, stripped text) of the header lines, reading one line at a time."""
    number = 0
    while True:
        raw = fh.readline(_MAX_LINE_BYTES)
        if not raw:
            return
        number += 1
        if len(raw) >= _MAX_LINE_BYTES and not raw.endswith(b"\n"):
            raise MotionFileError(f"not a BVH file: line {number} is longer than 64 KiB")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("latin-1")
        if number == 1:
            text = text.lstrip("\ufeff")
        text = text.strip()
        if text:
            yield number, text


def _read_header(fh: BinaryIO) -> dict:
    """Parse HIERARCHY, `Frames:` and `Frame Time:`; stop reading right after `Frame Time:`.

    Returns {"joints": [{"joint", "channels"}, ...], "frames": int, "frame_time": float}.
    """
    lines = _lines(fh)
    first = next(lines, None)
    if first is None:
        raise MotionFileError("not a BVH file: no HIERARCHY line")
    if first[1].upper() != "HIERARCHY":
        raise MotionFileError(
            f"not a BVH file: line {first[0]} is {first[1][:40]!r}, not HIERARCHY"
        )

    joints = _parse_hierarchy(lines)

    frames = frame_time = None
    for number, text in lines:
        if frames is None:
            match = _FRAMES_RE.match(text)
            if not match:
                raise MotionFileError(f"line {number}: expected 'Frames:', got {text[:40]!r}")
            frames = _parse_number(match.group(1), int, "Frames", number)
            if frames < 0:
                raise MotionFileError(f"line {number}: negative frame count {frames}")
        else:
            match = _FRAME_TIME_RE.match(text)
            if not match:
                raise MotionFileError(f"line {number}: expected 'Frame Time:', got {text[:40]!r}")
            frame_time = _parse_number(match.group(1), float, "Frame Time", number)
            if not (math.isfinite(frame_time) and frame_time > 0):
                raise MotionFileError(f"line {number}: Frame Time must be positive: {frame_time}")
            break  # never read the motion data lines
    if frames is None:
        raise MotionFileError("truncated BVH file: MOTION section has no 'Frames:' line")
    if frame_time is None:
        raise MotionFileError("truncated BVH file: MOTION section has no 'Frame Time:' line")
    return {"joints": joints, "frames": frames, "frame_time": frame_time}


def _parse_hierarchy(lines) -> list[dict]:
    """Consume the lines of the HIERARCHY section up to and including MOTION."""
    joints: list[dict] = []
    stack: list[dict | None] = []  # open blocks: a joint dict, or None for an End Site
    pending: dict | None | bool = False  # declared block awaiting its "{" (False: none)

    def open_block(number: int) -> None:
        nonlocal pending
        if pending is False:
            raise MotionFileError(f"malformed BVH hierarchy: line {number} opens '{{' for nothing")
        stack.append(pending)
        pending = False

    for number, text in lines:
        keyword, rest = _split_keyword(text)
        keyword_upper = keyword.upper()

        if pending is not False and keyword != "{":
            raise MotionFileError(f"malformed BVH hierarchy: line {number}: expected '{{'")

        if keyword_upper in ("ROOT", "JOINT"):
            if keyword_upper == "ROOT" and stack:
                raise MotionFileError(f"malformed BVH hierarchy: line {number}: nested ROOT")
            if keyword_upper == "JOINT" and (not stack or stack[-1] is None):
                raise MotionFileError(
                    f"malformed BVH hierarchy: line {number}: JOINT outside a ROOT/JOINT"
                )
            opens = rest.endswith("{")
            name = rest[:-1].strip() if opens else rest
            if not name:
                raise MotionFileError(f"malformed BVH hierarchy: line {number}: unnamed joint")
            pending = {"joint": name, "channels": None}
            joints.append(pending)
            if opens:
                open_block(number)
        elif keyword_upper == "END":
            if not stack or stack[-1] is None:
                raise MotionFileError(
                    f"malformed BVH hierarchy: line {number}: End Site outside a joint"
                )
            pending = None
            if rest.endswith("{"):
                open_block(number)
        elif keyword == "{":
            open_block(number)
            if rest:
                raise MotionFileError(f"malformed BVH hierarchy: line {number}: text after '{{'")
        elif set(text) <= {"}", " ", "\t"}:
            for _ in range(text.count("}")):
                if not stack:
                    raise MotionFileError(
                        f"malformed BVH hierarchy: line {number}: unmatched '}}'"
                    )
                stack.pop()
        elif keyword_upper == "OFFSET":
            values = rest.split()
            if not stack or len(values) != 3:
                raise MotionFileError(f"malformed BVH hierarchy: line {number}: bad OFFSET")
            for value in values:
                _parse_number(value, float, "OFFSET", number)
        elif keyword_upper == "CHANNELS":
            parts = rest.split()
            if not stack or stack[-1] is None or stack[-1]["channels"] is not None:
                raise MotionFileError(
                    f"malformed BVH hierarchy: line {number}: misplaced CHANNELS"
                )
            if not parts:
                raise MotionFileError(f"malformed BVH hierarchy: line {number}: empty CHANNELS")
            count = _parse_number(parts[0], int, "CHANNELS", number)
            if count != len(parts) - 1:
                raise MotionFileError(
                    f"malformed BVH hierarchy: line {number}: CHANNELS says {count} "
                    f"but lists {len(parts) - 1}"
                )
            stack[-1]["channels"] = parts[1:]
        elif keyword_upper == "MOTION":
            if stack:
                raise MotionFileError(f"malformed BVH hierarchy: {len(stack)} unclosed block(s)")
            if not joints:
                raise MotionFileError("malformed BVH hierarchy: no ROOT joint")
            for joint in joints:
                if joint["channels"] is None:
                    joint["channels"] = []
            return joints
        else:
            raise MotionFileError(
                f"malformed BVH hierarchy: line {number}: unexpected {text[:40]!r}"
            )
    raise MotionFileError("truncated BVH file: hierarchy ends before MOTION")


def _split_keyword(text: str) -> tuple[str, str]:
    """Split a stripped line into its first word and the (stripped) rest."""
    parts = text.split(None, 1)
    return parts[0], parts[1] if len(parts) > 1 else ""


def _parse_number(text: str, kind: type, what: str, number: int):
    try:
        return kind(text)
    except ValueError:
        raise MotionFileError(f"line {number}: invalid {what} value {text[:40]!r}") from None
