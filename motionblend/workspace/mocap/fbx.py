"""Metadata of binary FBX files (7.x, including the 64-bit node headers of 7500+).

Stdlib only (struct + zlib). The whole node tree is walked and bounds-checked so that a truncated
or corrupt file raises `MotionFileError` instead of yielding half an answer; array properties are
never materialised (only their type and length are kept), but zlib-compressed arrays are inflated
in bounded chunks and discarded, so corrupt compressed data is detected without holding it.

Binary layout (little-endian), as written by the Autodesk FBX SDK and Blender:

    header   b"Kaydara FBX Binary  \\x00\\x1a\\x00" + uint32 version
    node     endOffset, numProperties, propertyListLen  (uint32, or uint64 when version >= 7500)
             uint8 nameLen, name, properties, then optionally nested nodes + a null record
    null     a node header of zeros (13 bytes, 25 when version >= 7500) ends a nested list and
             the top-level list
    property type code + payload:
             Y int16, C/B/Z 1 byte, I int32, F float32, D float64, L int64,
             S/R uint32 length + bytes,
             f/d/l/i/b/c arrays: uint32 arrayLength, uint32 encoding (0 raw, 1 zlib),
             uint32 compressedLength, then compressedLength bytes

Extracted: fps from GlobalSettings > Properties70 "TimeMode" (+ "CustomFrameRate"), duration of
the longest AnimationStack (LocalStart/LocalStop, else ReferenceStart/ReferenceStop, in KTime
ticks), joints = Objects > Model nodes whose type is "LimbNode".
"""

from __future__ import annotations

import math
import mmap
import os
import re
import struct
import zlib
from dataclasses import dataclass, field

from workspace.mocap.base import STATUS_UNSUPPORTED, MotionFileError, MotionMetadata

FILE_FORMAT = "fbx"
MAGIC = b"Kaydara FBX Binary  \x00\x1a\x00"
HEADER_SIZE = len(MAGIC) + 4  # magic + uint32 version
KTIME_TICKS_PER_SECOND = 46_186_158_000
ASCII_UNSUPPORTED_REASON = "ASCII FBX is not supported; export as binary FBX"

# FbxTime::EMode (Autodesk FBX SDK; values as published for Autodesk.Fbx FbxTime.EMode).
# eDefaultMode (0) means "the application's global time mode", which the FBX SDK initialises
# to eFrames30; ufbx and other readers also resolve it to 30 fps. eCustom (14) reads
# GlobalSettings "CustomFrameRate".
TIME_MODE_DEFAULT = 0
TIME_MODE_CUSTOM = 14
TIME_MODES: dict[int, tuple[str, float | None]] = {
    0: ("default", 30.0),
    1: ("120", 120.0),
    2: ("100", 100.0),
    3: ("60", 60.0),
    4: ("50", 50.0),
    5: ("48", 48.0),
    6: ("30", 30.0),
    7: ("30 drop", 30.0),
    8: ("NTSC drop frame", 30000 / 1001),
    9: ("NTSC full frame", 30000 / 1001),
    10: ("PAL", 25.0),
    11: ("24 cinema", 24.0),
    12: ("1000", 1000.0),
    13: ("film full frame 23.976", 24000 / 1001),
    14: ("custom", None),
    15: ("96", 96.0),
    16: ("72", 72.0),
    17: ("59.94", 60000 / 1001),
    18: ("119.88", 120000 / 1001),
}

# Guards against absurd values in corrupt files.
MAX_DEPTH = 64
MAX_ARRAY_BYTES = 1 << 31  # decompressed size of one array property
_INFLATE_CHUNK = 1 << 22

_SCALARS: dict[int, struct.Struct] = {
    ord("Y"): struct.Struct("<h"),
    ord("C"): struct.Struct("<B"),
    ord("B"): struct.Struct("<B"),
    ord("Z"): struct.Struct("<b"),
    ord("I"): struct.Struct("<i"),
    ord("F"): struct.Struct("<f"),
    ord("D"): struct.Struct("<d"),
    ord("L"): struct.Struct("<q"),
}
_ARRAY_ITEM_SIZE: dict[int, int] = {
    ord("f"): 4,
    ord("d"): 8,
    ord("l"): 8,
    ord("i"): 4,
    ord("b"): 1,
    ord("c"): 1,
}
_BOOLEANS = frozenset(b"CB")
_STRINGS = frozenset(b"SR")
_S = ord("S")
_U32 = struct.Struct("<I")
_ARRAY_HEADER = struct.Struct("<III")
_HEADER32 = struct.Struct("<IIIB")
_HEADER64 = struct.Struct("<QQQB")
_CLASS_SEPARATOR = "\x00\x01"
_ASCII_NODE_START = re.compile(rb"[A-Za-z_][A-Za-z0-9_]*[ \t]*:")


@dataclass(frozen=True, slots=True)
class FbxArray:
    """An array property, kept as type code and length only (its values are not decoded)."""

    type_code: str
    length: int


@dataclass(slots=True)
class FbxNode:
    name: str
    props: list = field(default_factory=list)
    children: list[FbxNode] = field(default_factory=list)

    def find(self, name: str) -> FbxNode | None:
        """The first direct child called `name`."""
        for child in self.children:
            if child.name == name:
                return child
        return None

    def find_all(self, name: str) -> list[FbxNode]:
        return [child for child in self.children if child.name == name]


@dataclass(slots=True)
class FbxDocument:
    version: int
    nodes: list[FbxNode]

    def find(self, name: str) -> FbxNode | None:
        for node in self.nodes:
            if node.name == name:
                return node
        return None


class _Parser:
    def __init__(self, buf, version: int):
        self.buf = buf
        self.size = len(buf)
        self.version = version
        self.header = _HEADER64 if version >= 7500 else _HEADER32
        self.null_len = self.header.size

    def _overrun(self, pos: int, n: int, what: str) -> MotionFileError:
        """The error for `n` bytes of `what` at `pos` not fitting (built only on failure)."""
        if pos + n > self.size:
            return MotionFileError(f"FBX truncated: {what} at byte {pos} runs past end of file")
        return MotionFileError(f"FBX corrupt: {what} at byte {pos} overruns its node")

    def parse_top_level(self) -> list[FbxNode]:
        pos = HEADER_SIZE
        nodes: list[FbxNode] = []
        while True:
            if pos + self.null_len > self.size:
                raise self._overrun(pos, self.null_len, "node header")
            end_offset = self.header.unpack_from(self.buf, pos)[0]
            if end_offset == 0:
                if any(self.buf[pos : pos + self.null_len]):
                    raise MotionFileError(f"FBX corrupt: malformed end record at byte {pos}")
                return nodes
            node, pos = self._parse_node(pos, self.size, 0)
            nodes.append(node)

    def _parse_node(self, pos: int, limit: int, depth: int) -> tuple[FbxNode, int]:
        """Parse the node whose header starts at `pos`; it must end by `limit`."""
        if depth > MAX_DEPTH:
            raise MotionFileError(f"FBX corrupt: nodes nested deeper than {MAX_DEPTH}")
        buf, header = self.buf, self.header
        if pos + header.size > limit:
            raise self._overrun(pos, header.size, "node header")
        end_offset, num_props, props_len, name_len = header.unpack_from(buf, pos)
        if end_offset > self.size:
            raise MotionFileError(
                f"FBX truncated: node at byte {pos} ends at {end_offset}, past end of file "
                f"({self.size} bytes)"
            )
        if end_offset > limit:
            raise MotionFileError(f"FBX corrupt: node at byte {pos} overruns its parent")
        pos += header.size
        if pos + name_len > end_offset:
            raise self._overrun(pos, name_len, "node name")
        name = _decode(buf[pos : pos + name_len])
        pos += name_len
        if num_props > props_len:  # every property takes at least one byte
            raise MotionFileError(f"FBX corrupt: node {name!r} claims {num_props} properties")
        props_end = pos + props_len
        if props_end > end_offset:
            raise self._overrun(pos, props_len, f"property list of {name!r}")
        props = self._parse_properties(pos, props_end, num_props, name)
        pos = props_end
        children: list[FbxNode] = []
        if pos < end_offset:
            list_end = end_offset - self.null_len
            if pos > list_end:
                raise MotionFileError(f"FBX corrupt: node {name!r} has no room for its end record")
            while pos < list_end:
                if pos + header.size > list_end:
                    raise self._overrun(pos, header.size, "node header")
                if header.unpack_from(buf, pos)[0] == 0:
                    raise MotionFileError(f"FBX corrupt: unexpected end record at byte {pos}")
                child, pos = self._parse_node(pos, list_end, depth + 1)
                children.append(child)
            if any(buf[list_end:end_offset]):
                raise MotionFileError(f"FBX corrupt: node {name!r} lacks its nested end record")
            pos = end_offset
        return FbxNode(name, props, children), pos

    def _parse_properties(self, pos: int, limit: int, count: int, node: str) -> list:
        """The `count` properties in buf[pos:limit], which they must fill exactly."""
        buf = self.buf
        props: list = []
        for _ in range(count):
            if pos >= limit:
                raise self._overrun(pos, 1, f"property of {node!r}")
            code = buf[pos]
            pos += 1
            scalar = _SCALARS.get(code)
            if scalar is not None:
                if pos + scalar.size > limit:
                    raise self._overrun(pos, scalar.size, f"property of {node!r}")
                value = scalar.unpack_from(buf, pos)[0]
                props.append(bool(value) if code in _BOOLEANS else value)
                pos += scalar.size
            elif code in _STRINGS:
                if pos + 4 > limit:
                    raise self._overrun(pos, 4, f"string length in {node!r}")
                length = _U32.unpack_from(buf, pos)[0]
                pos += 4
                if pos + length > limit:
                    raise self._overrun(pos, length, f"string in {node!r}")
                raw = bytes(buf[pos : pos + length])
                props.append(_decode(raw) if code == _S else raw)
                pos += length
            elif code in _ARRAY_ITEM_SIZE:
                props.append(self._check_array(pos, limit, code, node))
                pos += _ARRAY_HEADER.size + _ARRAY_HEADER.unpack_from(buf, pos)[2]
            else:
                raise MotionFileError(
                    f"FBX corrupt: unknown property type {bytes([code])!r} in {node!r} "
                    f"at byte {pos - 1}"
                )
        if pos != limit:
            raise MotionFileError(f"FBX corrupt: property list of {node!r} has the wrong length")
        return props

    def _check_array(self, pos: int, limit: int, code: int, node: str) -> FbxArray:
        """Bounds-check the array property at `pos` (after its type code); inflate-check it."""
        if pos + _ARRAY_HEADER.size > limit:
            raise self._overrun(pos, _ARRAY_HEADER.size, f"array header in {node!r}")
        length, encoding, stored = _ARRAY_HEADER.unpack_from(self.buf, pos)
        pos += _ARRAY_HEADER.size
        if pos + stored > limit:
            raise self._overrun(pos, stored, f"array data in {node!r}")
        expected = length * _ARRAY_ITEM_SIZE[code]
        if expected > MAX_ARRAY_BYTES:
            raise MotionFileError(f"FBX corrupt: absurd array length {length} in {node!r}")
        if encoding == 0:
            if stored != expected:
                raise MotionFileError(f"FBX corrupt: raw array size mismatch in {node!r}")
        elif encoding == 1:
            _check_inflate(self.buf[pos : pos + stored], expected, node)
        else:
            raise MotionFileError(f"FBX corrupt: unknown array encoding {encoding} in {node!r}")
        return FbxArray(chr(code), length)


def _check_inflate(data: bytes, expected: int, node: str) -> None:
    """Inflate `data` in bounded chunks (discarding the output); it must give `expected` bytes."""
    inflater = zlib.decompressobj()
    total = 0
    pending = data
    try:
        while True:
            out = inflater.decompress(pending, _INFLATE_CHUNK)
            total += len(out)
            if total > expected:
                break
            pending = inflater.unconsumed_tail
            if not pending or inflater.eof:
                break
            if not out:  # no progress although input is left: give up rather than spin
                break
        if total <= expected and not inflater.eof:
            total += len(inflater.flush())
    except zlib.error as exc:
        raise MotionFileError(f"FBX corrupt: bad zlib data in {node!r} array: {exc}") from exc
    if not inflater.eof or total != expected:
        raise MotionFileError(
            f"FBX corrupt: compressed array in {node!r} inflates to {total} bytes, "
            f"expected {expected}"
        )


def _decode(raw: bytes) -> str:
    return bytes(raw).decode("utf-8", errors="replace")


def _strip_class(name: str) -> str:
    """'Hips\\x00\\x01Model' -> 'Hips' (binary FBX appends the class after \\x00\\x01)."""
    return name.split(_CLASS_SEPARATOR, 1)[0]


def looks_like_ascii_fbx(head: bytes) -> bool:
    """True for the start of a text FBX: '; FBX ...' comments or a 'Name:' node, no NULs."""
    text = head.removeprefix(b"\xef\xbb\xbf")
    if text.lstrip().startswith(b"; FBX"):
        return True
    if b"\x00" in text:
        return False
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith(b";"):
            continue
        return _ASCII_NODE_START.match(stripped) is not None
    return False


def parse_document(buf) -> FbxDocument:
    """Parse a binary FBX held in `buf` (bytes, bytearray or mmap) into its node tree."""
    size = len(buf)
    if size == 0:
        raise MotionFileError("FBX file is empty")
    if size < len(MAGIC) and bytes(buf[:size]) == MAGIC[:size]:
        raise MotionFileError("FBX truncated: file ends inside the header")
    if bytes(buf[: len(MAGIC)]) != MAGIC:
        raise MotionFileError("not a binary FBX file (bad magic)")
    if size < HEADER_SIZE:
        raise MotionFileError("FBX truncated: header ends before the version")
    version = _U32.unpack_from(buf, len(MAGIC))[0]
    if not 1000 <= version < 100_000:
        raise MotionFileError(f"FBX corrupt: implausible version {version}")
    return FbxDocument(version, _Parser(buf, version).parse_top_level())


def _properties(node: FbxNode | None) -> dict[str, list]:
    """Properties70 (or FBX 6 Properties60) of `node`: property name -> its value list."""
    if node is None:
        return {}
    out: dict[str, list] = {}
    block = node.find("Properties70")
    first_value = 4  # P: name, type, label, flags, value...
    if block is None:
        block = node.find("Properties60")
        first_value = 3  # Property: name, type, flags, value...
    if block is None:
        return out
    for record in block.children:
        if record.props and isinstance(record.props[0], str):
            out.setdefault(record.props[0], record.props[first_value:])
    return out


def _number(values: list | None) -> float | None:
    """The first value of a property if it is a finite number (NaN/inf count as absent)."""
    value = values[0] if values else None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value if math.isfinite(value) else None


def _creator(doc: FbxDocument) -> str | None:
    for holder in (doc, doc.find("FBXHeaderExtension")):
        node = holder.find("Creator") if holder is not None else None
        if node is not None and node.props and isinstance(node.props[0], str):
            return node.props[0]
    return None


def _fps(settings: dict[str, list], details: dict, warnings: list[str]) -> float | None:
    mode = _number(settings.get("TimeMode"))
    if mode is None:
        mode = TIME_MODE_DEFAULT
        warnings.append("GlobalSettings TimeMode absent: assumed the default time mode (30 fps)")
    mode = int(mode)
    details["time_mode"] = mode
    if mode not in TIME_MODES:
        warnings.append(f"unknown TimeMode {mode}: fps unknown")
        return None
    label, fps = TIME_MODES[mode]
    details["time_mode_name"] = label
    if mode == TIME_MODE_DEFAULT:
        warnings.append("TimeMode is eDefaultMode: assumed 30 fps (FBX SDK default time mode)")
    if mode == TIME_MODE_CUSTOM:
        custom = _number(settings.get("CustomFrameRate"))
        if custom is None or not 0 < custom < 1e6:
            warnings.append(f"TimeMode is custom but CustomFrameRate is {custom!r}: fps unknown")
            return None
        details["custom_frame_rate"] = float(custom)
        fps = float(custom)
    return fps


def _templates(doc: FbxDocument) -> dict[str, dict[str, list]]:
    """Definitions > ObjectType > PropertyTemplate defaults, by object type ("AnimationStack").

    Writers (Blender among them) omit a property whose value equals its template's, e.g. an
    AnimationStack without "LocalStart" starts at the template's LocalStart.
    """
    out: dict[str, dict[str, list]] = {}
    definitions = doc.find("Definitions")
    for object_type in definitions.find_all("ObjectType") if definitions is not None else []:
        if object_type.props and isinstance(object_type.props[0], str):
            template = object_type.find("PropertyTemplate")
            if template is not None:
                out.setdefault(object_type.props[0], _properties(template))
    return out


def _span(own: dict[str, list], template: dict[str, list]) -> tuple[float, float, str] | None:
    """(start, stop, source) in KTime ticks: the stack's own Local span, else its own Reference
    span, else the template's; a missing end takes the template's value, else 0 (SDK default)."""
    for props, prefix in (
        (own, "Local"),
        (own, "Reference"),
        (template, "Local"),
        (template, "Reference"),
    ):
        start = _number(props.get(prefix + "Start"))
        stop = _number(props.get(prefix + "Stop"))
        if start is None and stop is None:
            continue
        if start is None:
            start = _number(template.get(prefix + "Start")) or 0
        if stop is None:
            stop = _number(template.get(prefix + "Stop")) or 0
        return start, stop, prefix
    return None


def _stacks(
    objects: FbxNode | None,
    template: dict[str, list],
    settings: dict[str, list],
    warnings: list[str],
) -> list[dict]:
    stacks = []
    for node in objects.find_all("AnimationStack") if objects is not None else []:
        strings = [p for p in node.props if isinstance(p, str)]
        name = _strip_class(strings[0]) if strings else ""
        span = _span(_properties(node), template)
        if span is not None:
            start, stop, source = span
            if source != "Local":
                warnings.append(
                    f"animation stack {name!r}: no LocalStart/LocalStop, used {source}"
                )
        else:
            start = _number(settings.get("TimeSpanStart"))
            stop = _number(settings.get("TimeSpanStop"))
            if start is None or stop is None:
                warnings.append(f"animation stack {name!r} has no time span: duration 0")
                start = stop = 0
            else:
                warnings.append(
                    f"animation stack {name!r} has no Local/Reference span: used "
                    "GlobalSettings TimeSpanStart/TimeSpanStop"
                )
        if stop < start:
            warnings.append(f"animation stack {name!r} stops before it starts: duration 0")
            stop = start
        start_s = start / KTIME_TICKS_PER_SECOND
        stop_s = stop / KTIME_TICKS_PER_SECOND
        stacks.append(
            {"name": name, "start": start_s, "stop": stop_s, "duration": stop_s - start_s}
        )
    return stacks


def _joint_names(objects: FbxNode | None) -> list[str]:
    names = []
    for node in objects.find_all("Model") if objects is not None else []:
        strings = [p for p in node.props if isinstance(p, str)]
        # FBX 7: (id, "Name\x00\x01Model", "LimbNode"); FBX 6: ("Model::Name", "LimbNode").
        if len(strings) >= 2 and strings[-1] == "LimbNode":
            names.append(_strip_class(strings[0]))
    return names


def metadata_from_document(doc: FbxDocument) -> MotionMetadata:
    warnings: list[str] = []
    details: dict = {"fbx_version": doc.version}
    if not 7000 <= doc.version < 8000:
        warnings.append(f"FBX version {doc.version} is outside 7.x; read as best effort")
    creator = _creator(doc)
    if creator:
        details["creator"] = creator
    templates = _templates(doc)
    settings = {
        **templates.get("GlobalSettings", {}),
        **_properties(doc.find("GlobalSettings")),
    }
    fps = _fps(settings, details, warnings)
    objects = doc.find("Objects")
    stacks = _stacks(objects, templates.get("AnimationStack", {}), settings, warnings)
    joints = _joint_names(objects)
    details["stacks"] = stacks
    details["joint_names"] = joints
    if stacks:
        duration = max(stack["duration"] for stack in stacks)
        frames = round(duration * fps) + 1 if fps else None
    else:
        duration, frames = 0.0, 0
    if warnings:
        details["warnings"] = warnings
    return MotionMetadata(
        file_format=FILE_FORMAT,
        frame_count=frames,
        joint_count=len(joints),
        fps=fps,
        duration_seconds=duration,
        details=details,
    )


def metadata_from_bytes(buf) -> MotionMetadata:
    """Metadata of an FBX held in memory (bytes, bytearray or mmap)."""
    if len(buf) and bytes(buf[: len(MAGIC)]) != MAGIC and looks_like_ascii_fbx(buf[:4096]):
        return MotionMetadata(
            file_format=FILE_FORMAT, status=STATUS_UNSUPPORTED, reason=ASCII_UNSUPPORTED_REASON
        )
    return metadata_from_document(parse_document(buf))


def read_metadata(path: str | os.PathLike) -> MotionMetadata:
    """Metadata of the FBX file at `path`.

    Binary FBX -> status ok; ASCII FBX -> status unsupported (not an error); empty, truncated,
    corrupt or unreadable files raise MotionFileError.
    """
    try:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size == 0:
                raise MotionFileError("FBX file is empty")
            try:
                view = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
            except (OSError, ValueError):
                return metadata_from_bytes(fh.read())
            try:
                return metadata_from_bytes(view)
            finally:
                view.close()
    except OSError as exc:
        raise MotionFileError(f"cannot read FBX file: {exc}") from exc
