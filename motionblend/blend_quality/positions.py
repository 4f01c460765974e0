"""Joint positions (T frames, J joints, 3) of a motion file, read from its bytes.

Every reader takes the file's content as bytes or a binary file object (so files can come from a
local folder or a bucket alike) and returns `Positions`, float64, in the file's own units:

- NPY: a (T, J, 3) array as is (pickles refused). The rate is not in the file (see the caller).
- TRC: the marker coordinates of every data row; an empty cell (a marker lost for a few frames)
  is filled by linear interpolation over time; a marker with no coordinate at all is an error.
- BVH: read by the catalog's reader (`workspace.mocap.bvh`: skeleton and channel values), then
  forward kinematics of the MOTION section, vectorised over frames: a joint's local
  transform is its OFFSET plus its position channels (the root's translation) and the product
  of its rotation channels in the order they are declared (degrees, intrinsic:
  `Zrotation Xrotation Yrotation` is Rz @ Rx @ Ry); world = parent world @ local. Joints are
  ROOT and JOINT entries in file order; End Sites are not joints (as in the catalog).
- glTF / GLB: see `blend_quality.gltf`.

Anything that cannot be read as positions raises PositionsError with the reason.
"""

import io
import math
from dataclasses import dataclass

import numpy as np

from workspace.mocap import bvh, npy, trc
from workspace.mocap.base import MotionFileError, round_fps

_AXES = {"x": 0, "y": 1, "z": 2}
_CHANNEL_KINDS = ("position", "rotation")


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


# -- NPY -----------------------------------------------------------------------------------------


def npy_positions(source) -> Positions:
    """A (T, J, 3) .npy array as float64 positions."""
    try:
        array = npy.load_array(io.BytesIO(content_of(source)))
    except MotionFileError as exc:
        raise PositionsError(str(exc)) from exc
    if array.ndim != 3 or array.shape[2] != 3:
        raise PositionsError(f"array of shape {array.shape} is not joint positions (T, J, 3)")
    if not (np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating)):
        raise PositionsError(f"array dtype {array.dtype} is not real numbers")
    return checked(array.astype(np.float64), None)


# -- TRC -----------------------------------------------------------------------------------------


def trc_positions(source) -> Positions:
    """Marker positions of a TRC file (units as the file states), gaps interpolated."""
    fh = io.BytesIO(content_of(source))
    try:
        header = trc.read_header(fh)
        if header.markers == 0:
            raise PositionsError("malformed TRC header: NumMarkers is 0, nothing to measure")
        values = trc.read_coordinates(fh, header.markers)
    except MotionFileError as exc:
        raise PositionsError(str(exc)) from exc
    if not values.shape[0]:
        raise PositionsError("TRC file has no data rows")
    names = header.marker_names
    if len(names) != header.markers:
        names = [f"marker{i + 1}" for i in range(header.markers)]
    _fill_gaps(values, names)
    positions = values.reshape(values.shape[0], header.markers, 3)
    return checked(positions, round_fps(header.rate), names)


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


def bvh_positions(source) -> Positions:
    """World joint positions of a BVH file by forward kinematics (units of its OFFSETs)."""
    skeleton, values, frame_time = parse_bvh(source)
    positions = forward_kinematics(skeleton, values)
    return checked(positions, round_fps(1.0 / frame_time), skeleton.names)


def parse_bvh(source) -> tuple[bvh.Skeleton, np.ndarray, float]:
    """(skeleton, channel values (T, C), frame time in seconds) of a BVH file, read by the
    catalog's BVH reader, with what forward kinematics needs checked."""
    fh = io.BytesIO(content_of(source))
    try:
        header = bvh.read_header(fh)
        if header.frames <= 0:
            raise PositionsError(f"BVH has {header.frames} frames: nothing to measure")
        _check_movable(header.skeleton)
        return header.skeleton, bvh.read_motion(fh, header), header.frame_time
    except MotionFileError as exc:
        raise PositionsError(str(exc)) from exc


def _check_movable(skeleton: bvh.Skeleton) -> None:
    """Every joint has a finite OFFSET and only position or rotation channels."""
    for name, offset, channels in zip(
        skeleton.names, skeleton.offsets, skeleton.channels, strict=True
    ):
        if offset is None or not all(map(math.isfinite, offset)):
            raise PositionsError(f"malformed BVH hierarchy: joint {name!r} has no finite OFFSET")
        unknown = [c for c in channels if _channel(c) is None]
        if unknown:
            raise PositionsError(
                f"malformed BVH hierarchy: bad CHANNELS line of joint {name!r}: {unknown[0]!r}"
            )


def _channel(name: str) -> tuple[int, bool] | None:
    """(axis, is a rotation) of a channel name such as `Zrotation`; None if it is neither."""
    axis, kind = _AXES.get(name[:1].lower()), name[1:].lower()
    return None if axis is None or kind not in _CHANNEL_KINDS else (axis, kind == "rotation")


def forward_kinematics(skeleton: bvh.Skeleton, values: np.ndarray) -> np.ndarray:
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
    offsets = np.asarray(skeleton.offsets, dtype=np.float64)
    world: list[np.ndarray | None] = []  # per joint: world rotation (3, 3, T), None = identity
    positions = np.empty((len(skeleton.names), 3, frames))
    column = 0
    for joint, parent in enumerate(skeleton.parents):
        translation, turns = offsets[joint][:, None], []  # (3, 1) or (3, T)
        for channel in skeleton.channels[joint]:
            axis, is_rotation = _channel(channel)
            if not is_rotation:
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
    """The positive `fps` of a JSON sidecar or blend manifest (bytes or a binary file object),
    read as the catalog reads an NPY sidecar; None when it has none."""
    try:
        return npy.sidecar_fps(content_of(source))
    except ValueError:  # PositionsError (empty) included
        return None
