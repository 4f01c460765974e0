"""Joint positions of a glTF 2.0 skinned animation (.glb or .gltf bytes).

The joints are those of the largest skin (as the catalog counts them) and the motion is the
longest clip (by key time span). The clip is sampled per frame at its key rate (1 / the median
step between the key times of its longest input), from its first to its last key; every
channel (translation, rotation, scale) is interpolated as its sampler says: STEP, LINEAR (slerp
for rotations) or CUBICSPLINE (Hermite, with the tangents scaled by the key interval). Each node's
world transform is its parent's times its own translation @ rotation @ scale (or `matrix`), and
a joint's position is the origin of its world transform, in metres as glTF stores them. The
container and document are read by the catalog's reader (`workspace.mocap.gltf.load`).
"""

import io

import numpy as np

from blend_quality.positions import PositionsError, checked, content_of
from workspace.mocap import gltf as mocap_gltf
from workspace.mocap.base import MotionFileError, round_fps

_COMPONENTS = {  # componentType -> (dtype, divisor when normalized)
    5120: ("<i1", 127.0),
    5121: ("<u1", 255.0),
    5122: ("<i2", 32767.0),
    5123: ("<u2", 65535.0),
    5125: ("<u4", None),
    5126: ("<f4", None),
}
_WIDTHS = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT4": 16}
_PATHS = {"translation": 3, "rotation": 4, "scale": 3}


def gltf_positions(source, *, resources=None):
    """Positions (T, joints of the largest skin, 3) of the longest clip of a .glb / .gltf.

    `resources(uri) -> bytes` reads an external buffer of a .gltf (None: only GLB and data
    URIs). Raises PositionsError for a file without skin or animation, or one that is corrupt.
    """
    data = content_of(source)
    try:
        _, document, chunk = mocap_gltf.load(io.BytesIO(data), len(data))
    except MotionFileError as exc:
        raise PositionsError(str(exc)) from exc
    binary = None if chunk is None else data[chunk[0] : chunk[0] + chunk[1]]
    try:
        return _positions(document, _Buffers(document, binary, resources))
    except PositionsError:
        raise
    except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
        raise PositionsError(f"malformed glTF: {type(exc).__name__}: {exc}") from exc


class _Buffers:
    """Accessor data as float64 arrays (count, width), normalized integers scaled."""

    def __init__(self, document: dict, binary: bytes | None, resources):
        self.document, self.binary, self.resources = document, binary, resources
        self.loaded: dict[int, bytes] = {}

    def buffer(self, index: int) -> bytes:
        if index not in self.loaded:
            uri = self.document["buffers"][index].get("uri")
            if uri is None:
                if self.binary is None:
                    raise PositionsError(f"buffer {index} has no URI and there is no GLB chunk")
                self.loaded[index] = self.binary
            elif uri.startswith("data:"):
                try:
                    self.loaded[index] = mocap_gltf.data_uri_bytes(uri)
                except ValueError as exc:
                    raise PositionsError(f"buffer {index}: {exc}") from None
            elif self.resources is None:
                raise PositionsError(f"buffer {index} is an external file ({uri}): not read")
            else:
                self.loaded[index] = self.resources(uri)
        return self.loaded[index]

    def accessor(self, index: int) -> np.ndarray:
        accessor = self.document["accessors"][index]
        if accessor.get("sparse"):
            raise PositionsError(f"accessor {index} is sparse: not supported")
        dtype, divisor = _COMPONENTS[accessor["componentType"]]
        width, count = _WIDTHS[accessor["type"]], int(accessor["count"])
        view = self.document["bufferViews"][accessor["bufferView"]]
        item = np.dtype(dtype).itemsize * width
        stride = int(view.get("byteStride") or item)
        start = int(view.get("byteOffset") or 0) + int(accessor.get("byteOffset") or 0)
        data = self.buffer(view["buffer"])
        if count and start + stride * (count - 1) + item > len(data):
            raise PositionsError(f"accessor {index} runs past the end of its buffer")
        raw = np.ndarray(
            (count, width), dtype=dtype, buffer=data, offset=start, strides=(stride, item // width)
        )
        values = raw.astype(np.float64)
        if accessor.get("normalized") and divisor:
            values = np.maximum(values / divisor, -1.0)
        return values


def _positions(document: dict, buffers: _Buffers):
    nodes = document.get("nodes") or []
    skins = document.get("skins") or []
    if not skins:
        raise PositionsError("glTF file has no skin: no joints to measure")
    joints = max(skins, key=lambda skin: len(skin.get("joints") or []))["joints"]
    animations = document.get("animations") or []
    if not animations:
        raise PositionsError("glTF file has no animation")
    clips = [_clip(animation, buffers) for animation in animations]
    channels, times = max(clips, key=lambda clip: (clip[1][-1] - clip[1][0], len(clip[1])))
    steps = np.diff(times)
    steps = steps[steps > 0]
    if not steps.size:
        frame_times, fps = times[:1], None
    else:
        fps = round_fps(1.0 / float(np.median(steps)))
        count = int(round((times[-1] - times[0]) * fps)) + 1
        frame_times = times[0] + np.arange(count) / fps
    local = _local_transforms(nodes, channels, frame_times)
    world = _world_transforms(nodes, local)
    frames = len(frame_times)
    origins = [np.broadcast_to(world[joint][..., :3, 3], (frames, 3)) for joint in joints]
    positions = np.stack(origins, axis=1)
    names = [nodes[joint].get("name") or f"node{joint}" for joint in joints]
    return checked(positions, fps, names)


def _clip(animation: dict, buffers: _Buffers):
    """(channels {(node, path): sampler data}, key times of the clip's longest input)."""
    samplers = animation["samplers"]
    channels, longest = {}, None
    for channel in animation["channels"]:
        target = channel["target"]
        if target.get("node") is None or target["path"] not in _PATHS:
            continue  # morph weights and targets outside the node tree move no joint
        sampler = samplers[channel["sampler"]]
        times = buffers.accessor(sampler["input"])[:, 0]
        values = buffers.accessor(sampler["output"])
        interpolation = sampler.get("interpolation", "LINEAR")
        if interpolation == "CUBICSPLINE":
            values = values.reshape(len(times), 3, -1)
        if len(times) == 0 or len(values) != len(times):
            raise PositionsError("an animation sampler's input and output counts differ")
        channels[(target["node"], target["path"])] = (times, values, interpolation)
        if longest is None or len(times) > len(longest):
            longest = times
    if longest is None:
        raise PositionsError("the animation moves no node")
    starts = min(c[0][0] for c in channels.values())
    ends = max(c[0][-1] for c in channels.values())
    if longest[0] > starts or longest[-1] < ends:  # keep the clip's whole span
        longest = np.unique(np.concatenate([[starts], longest, [ends]]))
    return channels, longest


def _sample(times, values, interpolation, at, path):
    """A channel's values at the times `at` (clamped to its key range)."""
    if len(times) == 1:
        key = values[0, 1] if interpolation == "CUBICSPLINE" else values[0]
        return np.repeat(key[None], len(at), axis=0)
    index = np.clip(np.searchsorted(times, at, side="right") - 1, 0, len(times) - 2)
    span = times[index + 1] - times[index]
    u = np.clip((at - times[index]) / np.where(span > 0, span, 1.0), 0.0, 1.0)[:, None]
    if interpolation == "STEP":
        return np.where(u >= 1.0, values[index + 1], values[index])
    if interpolation == "CUBICSPLINE":
        p0, p1 = values[index, 1], values[index + 1, 1]
        m0, m1 = values[index, 2] * span[:, None], values[index + 1, 0] * span[:, None]
        u2, u3 = u * u, u * u * u
        result = (
            (2 * u3 - 3 * u2 + 1) * p0
            + (u3 - 2 * u2 + u) * m0
            + (-2 * u3 + 3 * u2) * p1
            + (u3 - u2) * m1
        )
        return _normalise(result) if path == "rotation" else result
    a, b = values[index], values[index + 1]
    if path != "rotation":
        return a + u * (b - a)
    return _slerp(a, b, u)


def _slerp(a, b, u):
    dot = np.sum(a * b, axis=1, keepdims=True)
    b = np.where(dot < 0, -b, b)
    dot = np.abs(dot)
    angle = np.arccos(np.clip(dot, -1.0, 1.0))
    sin = np.sin(angle)
    close = sin < 1e-6
    safe = np.where(close, 1.0, sin)
    wa = np.where(close, 1.0 - u, np.sin((1.0 - u) * angle) / safe)
    wb = np.where(close, u, np.sin(u * angle) / safe)
    return _normalise(wa * a + wb * b)


def _normalise(q):
    norm = np.linalg.norm(q, axis=1, keepdims=True)
    return q / np.where(norm > 0, norm, 1.0)


def _local_transforms(nodes: list, channels: dict, at: np.ndarray) -> list:
    """Per node: its local 4x4 transform per frame (T, 4, 4), or (4, 4) when not animated."""
    local = []
    for index, node in enumerate(nodes):
        animated = [path for path in _PATHS if (index, path) in channels]
        if "matrix" in node and not animated:
            local.append(np.array(node["matrix"], dtype=np.float64).reshape(4, 4).T)
            continue
        trs = {
            "translation": np.array(node.get("translation", [0.0, 0.0, 0.0]), dtype=float)[None],
            "rotation": np.array(node.get("rotation", [0.0, 0.0, 0.0, 1.0]), dtype=float)[None],
            "scale": np.array(node.get("scale", [1.0, 1.0, 1.0]), dtype=float)[None],
        }
        for path in animated:
            times, values, interpolation = channels[(index, path)]
            trs[path] = _sample(times, values, interpolation, at, path)
        frames = max(len(value) for value in trs.values())
        matrix = np.zeros((frames, 4, 4))
        matrix[:, :3, :3] = _rotation_matrices(trs["rotation"]) * trs["scale"][:, None, :]
        matrix[:, :3, 3] = trs["translation"]
        matrix[:, 3, 3] = 1.0
        local.append(matrix if animated else matrix[0])
    return local


def _rotation_matrices(q: np.ndarray) -> np.ndarray:
    """(N, 4) unit quaternions (x, y, z, w) -> (N, 3, 3)."""
    x, y, z, w = _normalise(q).T
    return np.stack(
        [
            np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)], -1),
            np.stack([2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)], -1),
            np.stack([2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)], -1),
        ],
        axis=1,
    )


def _world_transforms(nodes: list, local: list) -> dict:
    """World transforms of every node reachable from a root, parents before children."""
    parent_of = {}
    for index, node in enumerate(nodes):
        for child in node.get("children") or []:
            if child in parent_of or child == index:
                raise PositionsError(f"node {child} has two parents or is its own child")
            parent_of[child] = index
    world: dict[int, np.ndarray] = {}
    pending = [index for index in range(len(nodes)) if index not in parent_of]
    while pending:
        index = pending.pop()
        parent = parent_of.get(index)
        world[index] = local[index] if parent is None else world[parent] @ local[index]
        pending.extend(nodes[index].get("children") or [])
    if len(world) != len(nodes):
        raise PositionsError("the node hierarchy has a cycle")
    return world
