"""Joint positions (T frames, J joints, 3) of a motion file, read from its bytes.

Every reader takes the file's content as bytes or a binary file object (so files can come from a
local folder or a bucket alike) and returns `Positions`, float64, in the file's own units:

- NPY: a (T, J, 3) array as is (pickles refused). The rate is not in the file (see the caller).
- TRC: the marker coordinates of every data row; an empty cell (a marker lost for a few frames)
  is filled by linear interpolation over time; a marker with no coordinate at all is an error.
- BVH: forward kinematics of the MOTION section, vectorised over frames: a joint's local
  transform is its OFFSET plus its position channels (the root's translation) and the product
  of its rotation channels in the order they are declared (degrees, intrinsic:
  `Zrotation Xrotation Yrotation` is Rz @ Rx @ Ry); world = parent world @ local. Joints are
  ROOT and JOINT entries in file order; End Sites are not joints (as in the catalog).
- glTF / GLB: see `blend_quality.gltf`.

Anything that cannot be read as positions raises PositionsError with the reason.
"""

import io
import json
import math
import re
from dataclasses import dataclass

import numpy as np

_AXES = {"x": 0, "y": 1, "z": 2}
_CHANNEL_KINDS = ("position", "rotation")
_MOTION_RE = re.compile(rb"^[ \t]*MOTION[ \t]*\r?$", re.MULTILINE | re.IGNORECASE)
_FRAMES_RE = re.compile(rb"\s*Frames\s*:\s*(\S+)[ \t]*\r?\n", re.IGNORECASE)
_FRAME_TIME_RE = re.compile(rb"\s*Frame\s+Time\s*:\s*(\S+)[ \t]*(\r?\n|$)", re.IGNORECASE)


class PositionsError(ValueError):
    """The content cannot be read as joint positions; the message says why."""


@dataclass(frozen=True)
class Positions:
    """Joint positions of one motion, and what the file says about its rate and joints."""

    positions: np.ndarray  # (T, J, 3) float64, finite
    fps: float | None  # frames per second stated by the file (None: NPY)
    joint_names: tuple[str, ...] | None = None

    @property
    def frames(self) -> int:
        return int(self.positions.shape[0])

    @property
    def joints(self) -> int:
        return int(self.positions.shape[1])


def read_positions(source, file_format: str, *, resources=None) -> Positions:
    """Positions of a motion file of `file_format` (its suffix: bvh, trc, npy, glb or gltf).

    `resources(uri) -> bytes` reads a file a .gltf refers to (an external buffer); without it
    only embedded buffers are read. Raises PositionsError for any other format (FBX has no
    positions here) and for content that cannot be read.
    """
    fmt = file_format.lower().lstrip(".")
    if fmt == "bvh":
        return bvh_positions(source)
    if fmt == "trc":
        return trc_positions(source)
    if fmt == "npy":
        return npy_positions(source)
    if fmt in ("glb", "gltf"):
        from blend_quality.gltf import gltf_positions

        return gltf_positions(source, resources=resources)
    raise PositionsError(
        f"{fmt or 'this'} files give no joint positions (metrics read BVH, TRC, NPY, GLB, glTF)"
    )


def content_of(source) -> bytes:
    """The bytes of `source`: bytes-like, or a binary file object read to its end."""
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
    else:
        read = getattr(source, "read", None)
        if read is None:
            raise TypeError(f"expected bytes or a binary file object, got {type(source).__name__}")
        data = read()
        if not isinstance(data, bytes):
            raise TypeError("expected a binary file object (its read() returned text)")
    if not data:
        raise PositionsError("empty file")
    return data


def checked(positions: np.ndarray, fps: float | None, names=None) -> Positions:
    """Positions after the checks every reader shares: at least one frame and joint, finite."""
    if positions.ndim != 3 or positions.shape[2] != 3:
        raise PositionsError(f"positions of shape {positions.shape} are not (T, J, 3)")
    if positions.shape[0] == 0 or positions.shape[1] == 0:
        raise PositionsError(f"no frames or no joints (shape {positions.shape})")
    if not np.isfinite(positions).all():
        raise PositionsError("positions hold NaN or infinite values")
    return Positions(positions, fps, tuple(names) if names is not None else None)


def round_fps(fps: float) -> float:
    """Snap a rate within 0.01 of an integer to it (1 / 0.0083333 -> 120), as the catalog does."""
    nearest = round(fps)
    return float(nearest) if abs(fps - nearest) <= 0.01 else fps


# -- NPY -----------------------------------------------------------------------------------------


def npy_positions(source) -> Positions:
    """A (T, J, 3) .npy array as float64 positions."""
    try:
        array = np.load(io.BytesIO(content_of(source)), allow_pickle=False)
    except PositionsError:
        raise
    except (ValueError, EOFError, OSError, TypeError) as exc:
        raise PositionsError(f"not a loadable .npy array: {exc}") from exc
    if not isinstance(array, np.ndarray):  # an .npz archive
        raise PositionsError("not a .npy array (an .npz archive or other container)")
    if array.ndim != 3 or array.shape[2] != 3:
        raise PositionsError(f"array of shape {array.shape} is not joint positions (T, J, 3)")
    if not (np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating)):
        raise PositionsError(f"array dtype {array.dtype} is not real numbers")
    return checked(array.astype(np.float64), None)


# -- TRC -----------------------------------------------------------------------------------------


def trc_positions(source) -> Positions:
    """Marker positions of a TRC file (units as the file states), gaps interpolated."""
    lines = _decode(content_of(source)).splitlines()
    if len(lines) < 5 or not lines[0].lstrip("\ufeff").startswith("PathFileType"):
        raise PositionsError("not a TRC file: line 1 does not start with PathFileType")
    fields = dict(zip(lines[1].split(), lines[2].split(), strict=False))
    try:
        rate = float(fields["DataRate"])
        markers = int(float(fields["NumMarkers"]))
    except (KeyError, ValueError) as exc:
        raise PositionsError(f"malformed TRC header: no usable {exc}") from None
    if not (math.isfinite(rate) and rate > 0) or markers <= 0:
        raise PositionsError(f"malformed TRC header: DataRate {rate}, NumMarkers {markers}")
    names = _marker_names(lines[3], markers)
    width = 3 * markers
    rows = []
    for number, line in enumerate(lines[5:], start=6):
        if not line.strip():
            continue
        cells = line.split("\t") if "\t" in line else line.split()
        coords = cells[2 : 2 + width]
        try:
            row = [float(cell) if cell.strip() else math.nan for cell in coords]
        except ValueError:
            raise PositionsError(f"TRC line {number}: a coordinate is not a number") from None
        rows.append(row + [math.nan] * (width - len(row)))
    if not rows:
        raise PositionsError("TRC file has no data rows")
    values = np.asarray(rows, dtype=np.float64)
    _fill_gaps(values, names)
    return checked(values.reshape(len(rows), markers, 3), round_fps(rate), names)


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _marker_names(line: str, markers: int) -> list[str]:
    cells = line.split("\t") if "\t" in line else line.split()
    names = [cell.strip() for cell in cells[2:] if cell.strip()]
    if len(names) != markers:
        return [f"marker{i + 1}" for i in range(markers)]
    return names


def _fill_gaps(values: np.ndarray, names: list[str]) -> None:
    """Interpolate missing coordinates (NaN) of each column over the frame index, in place."""
    missing = np.isnan(values)
    if not missing.any():
        return
    frames = np.arange(values.shape[0])
    for column in np.flatnonzero(missing.any(axis=0)):
        known = ~missing[:, column]
        if not known.any():
            raise PositionsError(f"TRC marker {names[column // 3]} has no coordinates at all")
        values[:, column] = np.interp(frames, frames[known], values[known, column])


# -- BVH -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Skeleton:
    """A BVH hierarchy: joints in file order (parents before children)."""

    names: tuple[str, ...]
    parents: tuple[int, ...]  # -1 for a root
    offsets: np.ndarray  # (J, 3)
    channels: tuple[tuple[str, ...], ...]  # per joint, e.g. ("Zrotation", "Xrotation", ...)

    @property
    def channel_count(self) -> int:
        return sum(len(c) for c in self.channels)


def bvh_positions(source) -> Positions:
    """World joint positions of a BVH file by forward kinematics (units of its OFFSETs)."""
    skeleton, values, frame_time = parse_bvh(source)
    positions = forward_kinematics(skeleton, values)
    return checked(positions, round_fps(1.0 / frame_time), skeleton.names)


def parse_bvh(source) -> tuple[Skeleton, np.ndarray, float]:
    """(skeleton, channel values (T, C), frame time in seconds) of a BVH file."""
    data = content_of(source)
    motion = _MOTION_RE.search(data)
    if motion is None:
        raise PositionsError("not a BVH file: no MOTION line")
    skeleton = _parse_hierarchy(_decode(data[: motion.start()]).splitlines())
    frames_match = _FRAMES_RE.match(data, motion.end())
    time_match = frames_match and _FRAME_TIME_RE.match(data, frames_match.end())
    if not time_match:
        raise PositionsError("BVH MOTION section lacks its 'Frames:' and 'Frame Time:' lines")
    try:
        frames = int(frames_match.group(1))
        frame_time = float(time_match.group(1))
    except ValueError:
        raise PositionsError("BVH 'Frames:' or 'Frame Time:' is not a number") from None
    if frames <= 0 or not (math.isfinite(frame_time) and frame_time > 0):
        raise PositionsError(f"BVH has {frames} frames of {frame_time} s: nothing to measure")
    values = _motion_values(data[time_match.end() :], skeleton.channel_count)
    if values.shape[0] < frames:
        raise PositionsError(
            f"truncated BVH file: {values.shape[0]} motion lines, header says {frames}"
        )
    return skeleton, values[:frames], frame_time


def _motion_values(data: bytes, channels: int) -> np.ndarray:
    if channels == 0:
        raise PositionsError("BVH hierarchy declares no channels")
    try:
        values = np.loadtxt(io.BytesIO(data), dtype=np.float64, ndmin=2)
    except ValueError as exc:
        raise PositionsError(f"BVH motion data is malformed: {exc}") from None
    if values.size and values.shape[1] != channels:
        raise PositionsError(
            f"BVH motion lines hold {values.shape[1]} values, the hierarchy {channels} channels"
        )
    return values.reshape(-1, channels)


def _parse_hierarchy(lines: list[str]) -> Skeleton:
    names, parents, offsets, channels = [], [], [], []
    stack: list[int] = []  # open blocks: a joint index, or -1 for an End Site
    pending: int | None = None  # block declared on this or the previous line, awaiting "{"
    lines = [line.strip() for line in lines if line.strip()]
    if not lines or lines[0].upper() != "HIERARCHY":
        raise PositionsError("not a BVH file: it does not start with HIERARCHY")
    for number, line in enumerate(lines[1:], start=2):
        keyword = line.split(None, 1)[0].upper()
        if keyword in ("ROOT", "JOINT"):
            if (keyword == "JOINT") != bool(stack) or (stack and stack[-1] < 0):
                raise PositionsError(f"malformed BVH hierarchy: misplaced {keyword} ({number})")
            name = line.split(None, 1)[1].rstrip("{").strip() if " " in line else ""
            pending = len(names)
            names.append(name)
            parents.append(stack[-1] if stack else -1)
            offsets.append(None)
            channels.append(())
        elif keyword == "END":
            pending = -1
        elif keyword != "{" and set(line) <= set("} \t"):
            for _ in range(line.count("}")):
                if not stack:
                    raise PositionsError(f"malformed BVH hierarchy: unmatched '}}' ({number})")
                stack.pop()
            continue
        elif keyword == "OFFSET":
            values = _numbers(line, 3, number)
            if stack and stack[-1] >= 0:
                offsets[stack[-1]] = values
            continue
        elif keyword == "CHANNELS":
            parts = line.split()[1:]
            if not stack or stack[-1] < 0 or not parts:
                raise PositionsError(f"malformed BVH hierarchy: misplaced CHANNELS ({number})")
            declared = [name.lower() for name in parts[1:]]
            if str(len(declared)) != parts[0] or not all(map(_known_channel, declared)):
                raise PositionsError(f"malformed BVH hierarchy: bad CHANNELS line ({number})")
            channels[stack[-1]] = tuple(declared)
            continue
        elif keyword != "{":
            raise PositionsError(f"malformed BVH hierarchy: unexpected {line[:40]!r} ({number})")
        if line.endswith("{"):
            if pending is None:
                raise PositionsError(f"malformed BVH hierarchy: '{{' opens nothing ({number})")
            stack.append(pending)
            pending = None
    if stack or not names:
        raise PositionsError("malformed BVH hierarchy: unclosed blocks or no ROOT")
    missing = [name for name, offset in zip(names, offsets, strict=True) if offset is None]
    if missing:
        raise PositionsError(f"malformed BVH hierarchy: joint {missing[0]!r} has no OFFSET")
    return Skeleton(tuple(names), tuple(parents), np.array(offsets), tuple(channels))


def _known_channel(name: str) -> bool:
    return len(name) > 1 and name[0] in _AXES and name[1:] in _CHANNEL_KINDS


def _numbers(line: str, count: int, number: int) -> list[float]:
    parts = line.split()[1:]
    try:
        values = [float(part) for part in parts]
    except ValueError:
        values = []
    if len(values) != count or not all(map(math.isfinite, values)):
        raise PositionsError(f"malformed BVH hierarchy: bad {line.split()[0]} ({number})")
    return values


def forward_kinematics(skeleton: Skeleton, values: np.ndarray) -> np.ndarray:
    """World positions (T, J, 3) of every joint for channel values (T, C), vectorised over T.

    A joint's world rotation is its parent's turned by each of its rotation channels in turn
    (right-multiplied: each turn only mixes two columns, so no 3x3 products), and its position
    is its parent's plus the parent's world rotation applied to its local translation. Arrays
    are kept frames-last (3, 3, T) so every step runs over contiguous rows.
    """
    frames = values.shape[0]
    channel_rows = np.ascontiguousarray(values.T)  # (C, T)
    radians = np.radians(channel_rows)
    cos, sin = np.cos(radians), np.sin(radians)
    world: list[np.ndarray | None] = []  # per joint: world rotation (3, 3, T), None = identity
    positions = np.empty((len(skeleton.names), 3, frames))
    column = 0
    for joint, parent in enumerate(skeleton.parents):
        translation, turns = skeleton.offsets[joint][:, None], []  # (3, 1) or (3, T)
        for channel in skeleton.channels[joint]:
            axis = _AXES[channel[0]]
            if channel[1:] == "position":
                translation = (
                    np.repeat(translation, frames, axis=1)
                    if translation.shape[1] == 1
                    else translation
                )
                translation[axis] += channel_rows[column]
            else:
                turns.append((axis, column))
            column += 1
        above = world[parent] if parent >= 0 else None
        if above is not None:  # the parent's rotation applied to the translation, per frame
            translation = (
                above[:, 0] * translation[0]
                + above[:, 1] * translation[1]
                + above[:, 2] * translation[2]
            )
        positions[joint] = translation if parent < 0 else positions[parent] + translation
        if not turns:
            world.append(above)
            continue
        if above is None:
            rotation = np.zeros((3, 3, frames))
            rotation[0, 0] = rotation[1, 1] = rotation[2, 2] = 1.0
        else:
            rotation = above.copy()
        for axis, col in turns:
            _turn(rotation, axis, cos[col], sin[col])
        world.append(rotation)
    return np.ascontiguousarray(positions.transpose(2, 0, 1))


def _turn(matrix: np.ndarray, axis: int, cos: np.ndarray, sin: np.ndarray) -> None:
    """matrix (3, 3, T) := matrix @ R_axis(angle) per frame, in place. R_x = [[1, 0, 0],
    [0, c, -s], [0, s, c]] (and cyclically for y and z) only mixes two columns."""
    first, second = [(1, 2), (2, 0), (0, 1)][axis]
    a, b = matrix[:, first].copy(), matrix[:, second]
    matrix[:, first] = a * cos + b * sin
    matrix[:, second] = b * cos - a * sin


def sidecar_fps(source) -> float | None:
    """The positive `fps` of a JSON sidecar or blend manifest (bytes or a binary file object)."""
    try:
        document = json.loads(content_of(source))
    except (PositionsError, ValueError):
        return None
    fps = document.get("fps") if isinstance(document, dict) else None
    if isinstance(fps, bool) or not isinstance(fps, int | float):
        return None
    return float(fps) if math.isfinite(fps) and fps > 0 else None
