"""Metadata of glTF 2.0 skinned animations (.glb binary containers and .gltf JSON files).

Everything except the frame rate comes from the JSON document: skins list their joint nodes, and
each animation sampler's INPUT accessor (its key times) has a `count` and, as the spec requires,
`min`/`max`. Key counts are taken from the input accessor, never the output (a CUBICSPLINE output
holds three values per key). glTF stores no frame rate, so it is derived from the median step
between the key times of the longest clip, which are the only buffer bytes read: from the GLB
binary chunk, a base64 `data:` URI or an external .bin next to the file. When those bytes are not
available the rate falls back to (keys - 1) / span.

The document is read with the standard `json` module rather than pygltflib's loader: pygltflib
turns every accessor and buffer view into a dataclass through dataclasses_json, which takes
about 2 s for a 2 MB GLB with ~1400 accessors (json.loads: ~5 ms), too slow for a catalog that
only needs a few fields. The GLB container is validated here (magic, version, declared length,
chunk bounds) so truncated files are reported instead of silently half-read. `load` (the
document and where the binary chunk is) and `data_uri_bytes` also serve the blend metrics, which
decode whole animations.
"""

import base64
import binascii
import json
import math
import os
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO
from urllib.parse import unquote, urlparse

import numpy as np

from workspace.mocap.base import MotionFileError, MotionMetadata, round_fps

_GLB_MAGIC = b"glTF"
_CHUNK_JSON = 0x4E4F534A
_CHUNK_BIN = 0x004E4942
_FLOAT = 5126  # accessor componentType of 32-bit floats, the type of animation key times


def read_metadata(path: Path, **kw) -> MotionMetadata:
    """Read skins, animation clips, frames, fps and duration of a .glb or .gltf file.

    joint_count = joints of the largest skin (0 without skins). The longest clip (by time span)
    gives frame_count (its key count), duration (last key - first key) and fps (1 / median key
    step, rounded to the nearest integer when within 0.01). Without animations: 0 frames, 0 s and
    fps None. file_format is "glb" or "gltf" (by content: a GLB header or JSON).

    details: `clips` ([{name, keys, start, end, duration}] in file order; a clip's keys are the
    largest input accessor count of its samplers, start/end the smallest min and largest max),
    `skins` ([{name, joint_count}]), `joint_names` (node names of the largest skin),
    `longest_clip` (its name), `fps_source` ("key_times", "key_count" or None) and `warnings`.
    Extra keyword arguments are accepted and ignored.

    Raises MotionFileError for an empty, truncated or corrupt file and for a document whose
    skins, animations or accessors reference missing objects.
    """
    path = Path(path)
    try:
        with path.open("rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size == 0:
                raise MotionFileError("empty file")
            file_format, document, binary_chunk = load(
                fh, size, glb_only=path.suffix.lower() == ".glb"
            )
    except OSError as exc:
        raise MotionFileError(f"cannot read glTF file: {exc}") from exc

    try:
        return _extract(document, file_format, _Context(path, binary_chunk))
    except MotionFileError:
        raise
    except OSError as exc:
        raise MotionFileError(f"cannot read glTF buffer data: {exc}") from exc
    except (AttributeError, IndexError, KeyError, TypeError, ValueError) as exc:
        raise MotionFileError(f"malformed glTF document: {type(exc).__name__}: {exc}") from exc


def load(
    fh: BinaryIO, size: int, *, glb_only: bool = False
) -> tuple[str, dict, tuple[int, int] | None]:
    """The format, JSON document and GLB binary chunk of a glTF file of `size` bytes at `fh`.

    Returns ("glb", document, (file offset, length) of the binary chunk, None without one) for
    a GLB container and ("gltf", document, None) for a JSON file; the binary chunk is not read.
    With `glb_only` (a .glb file) content without the GLB magic is an error, not read as JSON.
    Raises MotionFileError for a corrupt or truncated container and a document that is not a
    JSON object with an `asset`.
    """
    head = fh.read(12)
    if head[:4] == _GLB_MAGIC:
        return "glb", *_load_glb(fh, head, size)
    if glb_only:
        raise MotionFileError("not a GLB file: the header does not start with 'glTF'")
    return "gltf", _parse_json(head + fh.read()), None


def data_uri_bytes(uri: str) -> bytes:
    """The bytes of a base64 `data:` URI; ValueError (saying why) for any other."""
    header, _, payload = uri.partition(",")
    if not header.endswith(";base64"):
        raise ValueError("data URI is not base64")
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"bad base64 data URI ({exc})") from None


def _load_glb(fh: BinaryIO, head: bytes, size: int) -> tuple[dict, tuple[int, int] | None]:
    """Validate the GLB container and read its JSON chunk.

    Returns the document and (file offset, length) of the binary chunk (None without one); the
    binary chunk itself is not read here, only the key times needed later.
    """
    if len(head) < 12:
        raise MotionFileError(f"truncated GLB file: {size} bytes, less than its header")
    _, version, length = struct.unpack("<4sII", head)
    if version != 2:
        raise MotionFileError(f"unsupported GLB container version {version} (expected 2)")
    if length > size:
        raise MotionFileError(f"truncated GLB file: header says {length} bytes, file has {size}")
    offset, document, binary_chunk = 12, None, None
    while offset < length:
        if offset + 8 > length:
            raise MotionFileError("corrupt GLB file: incomplete chunk header")
        fh.seek(offset)
        chunk_length, chunk_type = struct.unpack("<II", fh.read(8))
        if offset + 8 + chunk_length > length:
            raise MotionFileError("truncated GLB file: a chunk runs past the end of the file")
        if offset == 12 and chunk_type != _CHUNK_JSON:
            raise MotionFileError("corrupt GLB file: the first chunk is not JSON")
        if chunk_type == _CHUNK_JSON and document is None:
            # the spec pads with spaces; tolerate writers that pad with NUL bytes
            document = _parse_json(fh.read(chunk_length).rstrip(b"\x00"))
        elif chunk_type == _CHUNK_BIN and binary_chunk is None:
            binary_chunk = (offset + 8, chunk_length)
        offset += 8 + chunk_length
    if document is None:
        raise MotionFileError("corrupt GLB file: no JSON chunk")
    return document, binary_chunk


def _parse_json(data: bytes) -> dict:
    """Decode and check a glTF JSON document."""
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise MotionFileError(f"corrupt glTF JSON: {exc}") from exc
    if not isinstance(document, dict) or not isinstance(document.get("asset"), dict):
        raise MotionFileError("not a glTF document: a JSON object with an 'asset' is required")
    return document


@dataclass
class _Context:
    """The file, its GLB binary chunk, buffers already read, and warnings collected."""

    path: Path
    binary_chunk: tuple[int, int] | None = None  # (file offset, length) of the GLB BIN chunk
    data_uris: dict = field(default_factory=dict)  # decoded data: URI buffers by index
    warnings: list = field(default_factory=list)


def _extract(document: dict, file_format: str, ctx: _Context) -> MotionMetadata:
    nodes = _list(document, "nodes")
    skin_list = _list(document, "skins")
    skins = [
        {"name": skin.get("name"), "joint_count": len(skin.get("joints") or [])}
        for skin in skin_list
    ]
    joint_names: list = []
    joint_count = 0
    if skins:
        largest = max(range(len(skins)), key=lambda i: skins[i]["joint_count"])
        joints = skin_list[largest].get("joints") or []
        joint_names = [nodes[_index(j, len(nodes), "skin joint")].get("name") for j in joints]
        joint_count = len(joints)

    clips, clip_inputs = [], []
    for animation in _list(document, "animations"):
        clip, main_input = _clip(document, animation, ctx)
        clips.append(clip)
        clip_inputs.append(main_input)

    details = {
        "clips": clips,
        "skins": skins,
        "joint_names": joint_names,
        "longest_clip": None,
        "fps_source": None,
        "warnings": ctx.warnings,
    }
    metadata = MotionMetadata(
        file_format=file_format,
        frame_count=0,
        joint_count=joint_count,
        fps=None,
        duration_seconds=0.0,
        details=details,
    )
    if not clips:
        return metadata

    def span_key(i: int):
        duration = clips[i]["duration"]
        return (-1.0 if duration is None else duration, clips[i]["keys"])

    longest = max(range(len(clips)), key=span_key)
    clip = clips[longest]
    details["longest_clip"] = clip["name"]
    metadata.frame_count = clip["keys"]
    metadata.duration_seconds = clip["duration"]
    if clip["duration"] and clip["keys"] > 1:
        times = _read_times(document, clip_inputs[longest], ctx)
        steps = np.diff(times) if times is not None else np.empty(0)
        steps = steps[steps > 0]
        if steps.size:
            metadata.fps = round_fps(1.0 / float(np.median(steps)))
            details["fps_source"] = "key_times"
        else:
            metadata.fps = round_fps((clip["keys"] - 1) / clip["duration"])
            details["fps_source"] = "key_count"
    return metadata


def _clip(document: dict, animation: dict, ctx: _Context) -> tuple[dict, int | None]:
    """One clip's summary and the index of its input accessor with the most keys."""
    accessors = _list(document, "accessors")
    samplers = animation.get("samplers") or []
    inputs = sorted({_index(s.get("input"), len(accessors), "sampler input") for s in samplers})
    keys, starts, ends, main_input = 0, [], [], None
    for index in inputs:
        accessor = accessors[index]
        count = _count(accessor)
        if main_input is None or count > keys:
            keys, main_input = count, index
        low, high = _first(accessor.get("min")), _first(accessor.get("max"))
        if low is None or high is None:  # spec-required, but tolerate exporters that omit them
            times = _read_times(document, index, ctx)
            if times is not None and times.size:
                low, high = float(times.min()), float(times.max())
        if low is not None and high is not None:
            starts.append(low)
            ends.append(high)
    start = min(starts) if starts else None
    end = max(ends) if ends else None
    clip = {
        "name": animation.get("name"),
        "keys": keys,
        "start": start,
        "end": end,
        "duration": end - start if starts else None,
    }
    return clip, main_input


def _read_times(document: dict, index: int | None, ctx: _Context):
    """The float key times of input accessor `index`, or None (with a warning) if unavailable."""
    if index is None:
        return None
    accessor = _list(document, "accessors")[index]
    count = _count(accessor)
    if (
        accessor.get("componentType") != _FLOAT
        or accessor.get("type") != "SCALAR"
        or accessor.get("sparse")
    ):
        ctx.warnings.append(f"accessor {index}: key times are not plain SCALAR floats")
        return None
    if accessor.get("bufferView") is None or count == 0:
        return None
    views = _list(document, "bufferViews")
    view = views[_index(accessor["bufferView"], len(views), "bufferView")]
    stride = int(view.get("byteStride") or 4)
    view_start = int(view.get("byteOffset") or 0)
    offset = view_start + int(accessor.get("byteOffset") or 0)
    length = stride * (count - 1) + 4
    if stride < 4 or offset + length > view_start + int(view.get("byteLength") or 0):
        ctx.warnings.append(f"accessor {index}: key times run past their bufferView")
        return None
    data = _buffer_range(document, view.get("buffer"), offset, length, ctx)
    if data is None:
        return None
    return np.ndarray((count,), dtype="<f4", buffer=data, strides=(stride,))


def _buffer_range(document: dict, buffer_index, start: int, length: int, ctx: _Context):
    """`length` bytes at `start` of a buffer, or None (with a warning) when unavailable.

    The buffer is the GLB binary chunk (read with a seek, only the range), a base64 `data:` URI
    (decoded once) or an external file relative to the glTF file (read with a seek).
    """
    buffers = _list(document, "buffers")
    buffer_index = _index(buffer_index, len(buffers), "buffer")
    uri = buffers[buffer_index].get("uri")
    source, base, available = None, 0, 0
    if uri is None:
        if ctx.binary_chunk is None:
            ctx.warnings.append(f"buffer {buffer_index}: no URI and no GLB binary chunk")
            return None
        source = ctx.path
        base, available = ctx.binary_chunk
    elif not isinstance(uri, str):
        ctx.warnings.append(f"buffer {buffer_index}: URI is not a string")
        return None
    elif uri.startswith("data:"):
        data = _data_uri(buffer_index, uri, ctx)
        if data is None:
            return None
        available = len(data)
    else:
        relative = unquote(uri)
        if urlparse(uri).scheme or Path(relative).is_absolute():
            ctx.warnings.append(f"buffer {buffer_index}: only relative file URIs are read")
            return None
        source = ctx.path.parent / relative
        try:
            available = source.stat().st_size
        except OSError as exc:
            ctx.warnings.append(f"buffer {buffer_index}: cannot read {relative!r} ({exc})")
            return None

    if start < 0 or start + length > available:
        ctx.warnings.append(f"buffer {buffer_index}: key times run past the buffer's end")
        return None
    if source is None:
        return data[start : start + length]
    with source.open("rb") as fh:
        fh.seek(base + start)
        data = fh.read(length)
    if len(data) != length:
        ctx.warnings.append(f"buffer {buffer_index}: short read of key times")
        return None
    return data


def _data_uri(buffer_index: int, uri: str, ctx: _Context) -> bytes | None:
    if buffer_index not in ctx.data_uris:
        data = None
        try:
            data = data_uri_bytes(uri)
        except ValueError as exc:
            ctx.warnings.append(f"buffer {buffer_index}: {exc}")
        ctx.data_uris[buffer_index] = data
    return ctx.data_uris[buffer_index]


def _list(document: dict, key: str) -> list:
    """A top-level array of the document (empty when absent), checked to hold objects."""
    items = document.get(key)
    if items is None:
        return []
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise MotionFileError(f"malformed glTF document: '{key}' is not an array of objects")
    return items


def _count(accessor: dict) -> int:
    count = accessor.get("count")
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        raise MotionFileError(f"malformed glTF document: accessor count {count!r}")
    return count


def _index(value, size: int, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < size:
        raise MotionFileError(f"malformed glTF document: {what} index {value!r} out of range")
    return value


def _first(values) -> float | None:
    if not values:
        return None
    value = float(values[0])
    return value if math.isfinite(value) else None
