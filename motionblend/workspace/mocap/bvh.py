"""Biovision Hierarchy (.bvh) motion files: the catalog's metadata, and the motion's values.

A BVH file is a HIERARCHY section (the skeleton: ROOT and JOINT entries with OFFSET and CHANNELS,
closed by End Site leaves), then a MOTION section whose `Frames:` and `Frame Time:` lines precede
one text line of channel values per frame. `read_header` parses the hierarchy, reads `Frames:` and
`Frame Time:` and stops there, so the catalog's `read_metadata` never reads the motion data lines
(the bulk of the file); `read_motion` reads them, for the blend metrics' forward kinematics.
"""

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from workspace.mocap.base import MotionFileError, MotionMetadata, round_fps

FILE_FORMAT = "bvh"

# A header line longer than this is not BVH (protects against reading a binary file as one line).
_MAX_LINE_BYTES = 64 * 1024

_FRAMES_RE = re.compile(r"^Frames\s*:\s*(\S+)\s*$", re.IGNORECASE)
_FRAME_TIME_RE = re.compile(r"^Frame\s+Time\s*:\s*(\S+)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Skeleton:
    """The HIERARCHY: ROOT and JOINT entries in file order, parents before children.

    End Sites are not joints. Values are as the file declares them: a joint without an OFFSET
    line has offset None, one without CHANNELS no channels.
    """

    names: tuple[str, ...]
    parents: tuple[int, ...]  # index of each joint's parent, -1 for the root
    offsets: tuple[tuple[float, float, float] | None, ...]
    channels: tuple[tuple[str, ...], ...]  # per joint, in order, e.g. ("Zrotation", ...)

    @property
    def channel_count(self) -> int:
        return sum(len(c) for c in self.channels)


@dataclass(frozen=True)
class Header:
    """Everything before the motion data lines."""

    skeleton: Skeleton
    frames: int  # as `Frames:` states (>= 0)
    frame_time: float  # seconds, as `Frame Time:` states (> 0)


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
            header = read_header(fh)
    except OSError as exc:
        raise MotionFileError(f"cannot read BVH file: {exc}") from exc

    frames, skeleton = header.frames, header.skeleton
    fps = round_fps(1.0 / header.frame_time)
    return MotionMetadata(
        file_format=FILE_FORMAT,
        frame_count=frames,
        joint_count=len(skeleton.names),
        fps=fps,
        duration_seconds=frames / fps,
        details={
            "root_name": skeleton.names[0],
            "joint_names": list(skeleton.names),
            "channel_count": skeleton.channel_count,
            "joint_channels": [
                {"joint": name, "channels": list(channels)}
                for name, channels in zip(skeleton.names, skeleton.channels, strict=True)
            ],
            "frame_time": header.frame_time,
        },
    )


def read_motion(fh: BinaryIO, header: Header):
    """The channel values of the motion lines, float64 (frames, channels), in declared order.

    `fh` is where `read_header` left it. Lines past the `Frames:` count are read but dropped.
    Raises MotionFileError when the hierarchy declares no channels, when a line is not numbers
    or holds another number of values than there are channels, and for fewer lines than frames.
    """
    import numpy as np  # here, not above: the catalog's header reads never load numpy

    channels = header.skeleton.channel_count
    if channels == 0:
        raise MotionFileError("BVH hierarchy declares no channels")
    try:
        values = np.loadtxt(fh, dtype=np.float64, ndmin=2)
    except ValueError as exc:
        raise MotionFileError(f"BVH motion data is malformed: {exc}") from None
    if values.size and values.shape[1] != channels:
        raise MotionFileError(
            f"BVH motion lines hold {values.shape[1]} values, the hierarchy {channels} channels"
        )
    values = values.reshape(-1, channels)
    if values.shape[0] < header.frames:
        raise MotionFileError(
            f"truncated BVH file: {values.shape[0]} motion lines, header says {header.frames}"
        )
    return values[: header.frames]


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


def read_header(fh: BinaryIO) -> Header:
    """Parse HIERARCHY, `Frames:` and `Frame Time:`; stop reading right after `Frame Time:`.

    Raises MotionFileError for a malformed or truncated hierarchy, or a missing or invalid
    `Frames:` / `Frame Time:` line.
    """
    lines = _lines(fh)
    first = next(lines, None)
    if first is None:
        raise MotionFileError("not a BVH file: no HIERARCHY line")
    if first[1].upper() != "HIERARCHY":
        raise MotionFileError(
            f"not a BVH file: line {first[0]} is {first[1][:40]!r}, not HIERARCHY"
        )

    skeleton = _parse_hierarchy(lines)

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
    return Header(skeleton, frames, frame_time)


def _parse_hierarchy(lines) -> Skeleton:
    """Consume the lines of the HIERARCHY section up to and including MOTION."""
    names: list[str] = []
    parents: list[int] = []
    offsets: list[tuple[float, float, float] | None] = []
    channels: list[tuple[str, ...] | None] = []
    stack: list[int | None] = []  # open blocks: a joint index, or None for an End Site
    pending: int | None | bool = False  # declared block awaiting its "{" (False: none)

    def open_block(number: int) -> None:
        nonlocal pending
        if pending is False:
            raise MotionFileError(f"malformed BVH hierarchy: line {number} opens '{{' for nothing")
        stack.append(pending)
        pending = False

    for number, text in lines:
        words = text.split(None, 1)  # the keyword and the (stripped) rest of the line
        keyword, rest = words[0], words[1] if len(words) > 1 else ""
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
            pending = len(names)
            names.append(name)
            parents.append(stack[-1] if stack else -1)
            offsets.append(None)
            channels.append(None)
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
            try:
                offset = tuple(map(float, values))
            except ValueError:
                for value in values:  # raises, naming the value
                    _parse_number(value, float, "OFFSET", number)
            if stack[-1] is not None:  # an End Site's offset places no joint
                offsets[stack[-1]] = offset
        elif keyword_upper == "CHANNELS":
            parts = rest.split()
            if not stack or stack[-1] is None or channels[stack[-1]] is not None:
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
            channels[stack[-1]] = tuple(parts[1:])
        elif keyword_upper == "MOTION":
            if stack:
                raise MotionFileError(f"malformed BVH hierarchy: {len(stack)} unclosed block(s)")
            if not names:
                raise MotionFileError("malformed BVH hierarchy: no ROOT joint")
            return Skeleton(
                tuple(names), tuple(parents), tuple(offsets), tuple(c or () for c in channels)
            )
        else:
            raise MotionFileError(
                f"malformed BVH hierarchy: line {number}: unexpected {text[:40]!r}"
            )
    raise MotionFileError("truncated BVH file: the hierarchy ends with no MOTION line")


def _parse_number(text: str, kind: type, what: str, number: int):
    try:
        return kind(text)
    except ValueError:
        raise MotionFileError(f"line {number}: invalid {what} value {text[:40]!r}") from None
