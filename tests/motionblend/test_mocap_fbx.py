"""Tests of motionblend/workspace/mocap/fbx.py, the binary FBX metadata reader.

(a) Synthetic files from a tiny binary FBX writer defined here (32-bit node headers for 7400,
    64-bit for 7500, zlib-compressed and raw array properties) plus corrupt variants of them.
(b) The real samples in /work/shared/mocap_samples/fbx/ (skipped when the folder is absent):
    expectations are derived from the raw bytes with regular expressions that do not use the
    reader (property lists are never compressed in binary FBX, only array payloads are), and
    the values worked out by hand are pinned for the exact bytes named in SOURCE.txt.
"""

import hashlib
import random
import re
import struct
import zlib
from pathlib import Path

import pytest

from workspace.mocap import fbx
from workspace.mocap.base import STATUS_OK, STATUS_UNSUPPORTED, MotionFileError, MotionMetadata

TICKS = 46_186_158_000  # KTime ticks per second
# ../shared/mocap_samples/fbx next to the repository, i.e. /work/shared/mocap_samples/fbx here
SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "mocap_samples" / "fbx"

# ---------------------------------------------------------------------------------------------
# A tiny binary FBX writer
# ---------------------------------------------------------------------------------------------

MAGIC = b"Kaydara FBX Binary  \x00\x1a\x00"
_SCALAR_FORMATS = {"Y": "<h", "C": "<B", "I": "<i", "F": "<f", "D": "<d", "L": "<q"}
_ARRAY_FORMATS = {"f": "f", "d": "d", "l": "q", "i": "i", "b": "B"}


def I(value):  # noqa: E743 - FBX type codes read best as they are spelled
    return ("I", value)


def L(value):
    return ("L", value)


def D(value):
    return ("D", value)


def S(value):
    return ("S", value)


def arr(code, values, compress):
    return (code, list(values), compress)


def node(name, props=(), children=None):
    """A node; children=None writes no nested list, [] writes just the null record."""
    return (name, list(props), children)


def P(name, type_, label, flags, *values):
    return node("P", [S(name), S(type_), S(label), S(flags), *values])


def props70(*records):
    return node("Properties70", [], list(records))


def encode_prop(prop):
    code = prop[0]
    if code in _SCALAR_FORMATS:
        return code.encode() + struct.pack(_SCALAR_FORMATS[code], prop[1])
    if code in ("S", "R"):
        raw = prop[1].encode() if isinstance(prop[1], str) else prop[1]
        return code.encode() + struct.pack("<I", len(raw)) + raw
    if code in _ARRAY_FORMATS:
        values, compress = prop[1], prop[2]
        payload = struct.pack(f"<{len(values)}{_ARRAY_FORMATS[code]}", *values)
        data = zlib.compress(payload) if compress else payload
        return code.encode() + struct.pack("<III", len(values), int(compress), len(data)) + data
    raise ValueError(code)


def encode_node(item, start, wide):
    name, props, children = item
    prop_bytes = b"".join(encode_prop(p) for p in props)
    name_bytes = name.encode()
    header_size = 25 if wide else 13
    pos = start + header_size + len(name_bytes) + len(prop_bytes)
    parts = []
    if children is not None:
        for child in children:
            encoded = encode_node(child, pos, wide)
            parts.append(encoded)
            pos += len(encoded)
        parts.append(bytes(header_size))
        pos += header_size
    header = struct.pack(
        "<QQQB" if wide else "<IIIB", pos, len(props), len(prop_bytes), len(name_bytes)
    )
    return header + name_bytes + prop_bytes + b"".join(parts)


FOOTER_ID = bytes.fromhex("fabcab09d0c8d466b176fb831cf7267e")
FOOTER_MAGIC = bytes.fromhex("f85a8c6adef5d97eece90ce3758f290b")


def write_fbx(nodes, version):
    """Header, top-level nodes, top-level null record, then a (simplified) footer."""
    wide = version >= 7500
    out = bytearray(MAGIC + struct.pack("<I", version))
    for item in nodes:
        out += encode_node(item, len(out), wide)
    out += bytes(25 if wide else 13)
    out += FOOTER_ID + bytes(4) + struct.pack("<I", version) + bytes(120) + FOOTER_MAGIC
    return bytes(out)


# ---------------------------------------------------------------------------------------------
# The synthetic scene
# ---------------------------------------------------------------------------------------------

VERTICES = [((i * 37) % 101) / 7.0 for i in range(300)]
VERTICES_ZLIB = zlib.compress(struct.pack("<300d", *VERTICES))  # what the writer embeds
JOINTS = ["Hips", "Spine", "Head"]


def stack(name, props):
    stack_id = zlib.crc32(name.encode())
    return node(
        "AnimationStack",
        [L(stack_id), S(f"{name}\x00\x01AnimStack"), S("")],
        [props70(*props)],
    )


def scene(version, time_mode, custom_fps=-1.0, stacks=None, template=True):
    """GlobalSettings, a Definitions template, 3 LimbNode + 1 Mesh model, a mesh with a zlib
    array, an animation curve with zlib arrays, and the given animation stacks.

    Default stacks: "Walk" 0..2 s written Blender-style (LocalStart omitted: template default)
    and "Run" 1..4.6 s, so the longest stack lasts 3.6 s. The GlobalSettings time span is 10 s
    on purpose: using it instead of the stacks would show.
    """
    if stacks is None:
        stacks = [
            stack("Walk", [P("LocalStop", "KTime", "Time", "", L(2 * TICKS))]),
            stack(
                "Run",
                [
                    P("LocalStart", "KTime", "Time", "", L(TICKS)),
                    P("LocalStop", "KTime", "Time", "", L(TICKS * 46 // 10)),
                    P("ReferenceStart", "KTime", "Time", "", L(0)),
                    P("ReferenceStop", "KTime", "Time", "", L(9 * TICKS)),
                ],
            ),
        ]
    models = [
        node(
            "Model",
            [L(100 + i), S(f"{joint}\x00\x01Model"), S("LimbNode")],
            [
                node("Version", [I(232)]),
                props70(P("Lcl Translation", "Lcl Translation", "", "A", D(0.0), D(i), D(0.0))),
            ],
        )
        for i, joint in enumerate(JOINTS)
    ]
    models.append(
        node("Model", [L(200), S("Body\x00\x01Model"), S("Mesh")], [node("Version", [I(232)])])
    )
    attributes = [
        node("NodeAttribute", [L(300 + i), S(f"{joint}\x00\x01NodeAttribute"), S("LimbNode")], [])
        for i, joint in enumerate(JOINTS)
    ]
    geometry = node(
        "Geometry",
        [L(400), S("Body\x00\x01Geometry"), S("Mesh")],
        [
            node("Vertices", [arr("d", VERTICES, compress=True)]),
            node("PolygonVertexIndex", [arr("i", [0, 1, -3, 2, 3, -1], compress=False)]),
            node("Edges", [arr("b", [1, 0, 1], compress=False)]),
        ],
    )
    curve = node(
        "AnimationCurve",
        [L(500), S("\x00\x01AnimCurve"), S("")],
        [
            node("Default", [D(0.0)]),
            node("KeyTime", [arr("l", [0, TICKS, 2 * TICKS], compress=True)]),
            node("KeyValueFloat", [arr("f", [0.0, 1.5, 3.0], compress=True)]),
        ],
    )
    definitions = [node("Version", [I(100)]), node("Count", [I(4)])]
    if template:
        definitions.append(
            node(
                "ObjectType",
                [S("AnimationStack")],
                [
                    node("Count", [I(len(stacks))]),
                    node(
                        "PropertyTemplate",
                        [S("FbxAnimStack")],
                        [
                            props70(
                                P("Description", "KString", "", "", S("")),
                                P("LocalStart", "KTime", "Time", "", L(0)),
                                P("LocalStop", "KTime", "Time", "", L(0)),
                                P("ReferenceStart", "KTime", "Time", "", L(0)),
                                P("ReferenceStop", "KTime", "Time", "", L(0)),
                            )
                        ],
                    ),
                ],
            )
        )
    nodes = [
        node(
            "FBXHeaderExtension",
            [],
            [node("FBXHeaderVersion", [I(1003)]), node("FBXVersion", [I(version)])],
        ),
        node("Creator", [S("motionblend test writer")]),
        node(
            "GlobalSettings",
            [],
            [
                node("Version", [I(1000)]),
                props70(
                    P("UpAxis", "int", "Integer", "", I(1)),
                    P("TimeMode", "enum", "", "", I(time_mode)),
                    P("TimeSpanStart", "KTime", "Time", "", L(0)),
                    P("TimeSpanStop", "KTime", "Time", "", L(10 * TICKS)),
                    P("CustomFrameRate", "double", "Number", "", D(custom_fps)),
                ),
            ],
        ),
        node("Definitions", [], definitions),
        node("Objects", [], [geometry, *models, *attributes, curve, *stacks]),
        node("Connections", [], [node("C", [S("OO"), L(100), L(0)])]),
    ]
    return write_fbx(nodes, version)


def _write(tmp_path, data, name="scene.fbx"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


VERSIONS = [7400, 7500]


# ---------------------------------------------------------------------------------------------
# (a) synthetic files
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "time_mode", "custom_fps", "fps", "frames"),
    [
        # custom 12.5 fps: round(3.6 s * 12.5) + 1 = 46
        (7400, 14, 12.5, 12.5, 46),
        (7500, 14, 12.5, 12.5, 46),
        # PAL (mode 10) = 25 fps: round(3.6 * 25) + 1 = 91; CustomFrameRate is ignored
        (7400, 10, 60.0, 25.0, 91),
        (7500, 10, -1.0, 25.0, 91),
    ],
)
def test_synthetic_scene(tmp_path, version, time_mode, custom_fps, fps, frames):
    path = _write(tmp_path, scene(version, time_mode, custom_fps))
    meta = fbx.read_metadata(path)
    assert isinstance(meta, MotionMetadata)
    assert meta.status == STATUS_OK and meta.reason is None
    assert meta.file_format == "fbx"
    assert meta.fps == pytest.approx(fps)
    assert meta.duration_seconds == pytest.approx(3.6)
    assert meta.frame_count == frames
    assert meta.joint_count == 3
    details = meta.details
    assert details["joint_names"] == JOINTS  # the Mesh model and NodeAttributes do not count
    assert details["fbx_version"] == version
    assert details["creator"] == "motionblend test writer"
    assert details["time_mode"] == time_mode
    assert [s["name"] for s in details["stacks"]] == ["Walk", "Run"]
    walk, run = details["stacks"]
    assert (walk["start"], walk["stop"], walk["duration"]) == pytest.approx((0.0, 2.0, 2.0))
    assert (run["start"], run["stop"], run["duration"]) == pytest.approx((1.0, 4.6, 3.6))
    assert "warnings" not in details  # nothing was assumed


def test_path_may_be_str(tmp_path):
    path = _write(tmp_path, scene(7400, 11))
    assert fbx.read_metadata(str(path)).fps == 24.0


EXPECTED_MODE_FPS = {
    1: 120.0,
    2: 100.0,
    3: 60.0,
    4: 50.0,
    5: 48.0,
    6: 30.0,
    7: 30.0,
    8: 29.97,
    9: 29.97,
    10: 25.0,
    11: 24.0,
    12: 1000.0,
    13: 23.976,
    15: 96.0,
    16: 72.0,
    17: 59.94,
    18: 119.88,
}


@pytest.mark.parametrize(("mode", "fps"), sorted(EXPECTED_MODE_FPS.items()))
def test_time_modes(tmp_path, mode, fps):
    meta = fbx.read_metadata(_write(tmp_path, scene(7500, mode, custom_fps=7.0)))
    assert meta.fps == pytest.approx(fps, abs=1e-3)
    assert meta.details["time_mode"] == mode
    assert meta.frame_count == round(3.6 * meta.fps) + 1


def test_default_time_mode_assumes_30_fps_with_warning(tmp_path):
    meta = fbx.read_metadata(_write(tmp_path, scene(7400, 0)))
    assert meta.fps == 30.0
    assert meta.frame_count == round(3.6 * 30) + 1
    assert any("30 fps" in w for w in meta.details["warnings"])


@pytest.mark.parametrize("custom_fps", [-1.0, 0.0, float("nan")])
def test_custom_mode_without_usable_rate_gives_unknown_fps(tmp_path, custom_fps):
    meta = fbx.read_metadata(_write(tmp_path, scene(7400, 14, custom_fps)))
    assert meta.fps is None
    assert meta.frame_count is None
    assert meta.duration_seconds == pytest.approx(3.6)
    assert meta.details["warnings"]


def test_unknown_time_mode_gives_unknown_fps(tmp_path):
    meta = fbx.read_metadata(_write(tmp_path, scene(7400, 42)))
    assert meta.fps is None and meta.frame_count is None


@pytest.mark.parametrize("version", VERSIONS)
def test_no_animation_stack(tmp_path, version):
    meta = fbx.read_metadata(_write(tmp_path, scene(version, 6, stacks=[])))
    assert meta.frame_count == 0
    assert meta.duration_seconds == 0.0
    assert meta.details["stacks"] == []
    assert meta.joint_count == 3


def test_reference_span_used_when_local_absent(tmp_path):
    only_reference = stack(
        "Take",
        [
            P("ReferenceStart", "KTime", "Time", "", L(TICKS // 2)),
            P("ReferenceStop", "KTime", "Time", "", L(TICKS * 5 // 2)),
        ],
    )
    for template in (True, False):
        data = scene(7400, 6, stacks=[only_reference], template=template)
        meta = fbx.read_metadata(_write(tmp_path, data))
        (take,) = meta.details["stacks"]
        assert (take["start"], take["stop"]) == pytest.approx((0.5, 2.5))
        assert meta.duration_seconds == pytest.approx(2.0)
        assert meta.frame_count == 61  # 2 s at 30 fps, both ends included
        assert any("Reference" in w for w in meta.details["warnings"])


def test_stack_without_any_span(tmp_path):
    bare = stack("Bare", [])
    # With the template: its 0..0 default applies (what the FBX SDK would report).
    meta = fbx.read_metadata(_write(tmp_path, scene(7400, 6, stacks=[bare])))
    assert meta.duration_seconds == 0.0 and meta.frame_count == 1
    # Without a template: the GlobalSettings time span (10 s) stands in, with a warning.
    meta = fbx.read_metadata(_write(tmp_path, scene(7400, 6, stacks=[bare], template=False)))
    assert meta.duration_seconds == pytest.approx(10.0) and meta.frame_count == 301
    assert any("TimeSpan" in w for w in meta.details["warnings"])


def test_parse_document_tree(tmp_path):
    data = scene(7500, 10)
    doc = fbx.parse_document(data)
    assert doc.version == 7500
    assert [n.name for n in doc.nodes] == [
        "FBXHeaderExtension",
        "Creator",
        "GlobalSettings",
        "Definitions",
        "Objects",
        "Connections",
    ]
    geometry = doc.find("Objects").find("Geometry")
    assert geometry.find("Vertices").props == [fbx.FbxArray("d", 300)]
    assert geometry.find("PolygonVertexIndex").props == [fbx.FbxArray("i", 6)]
    assert VERTICES_ZLIB in data  # the compressed array really is in the file


# --- corrupt and unsupported files -----------------------------------------------------------


def _top_level_end(data, version):
    """Offset just past the top-level null record (the footer follows)."""
    return len(data) - (16 + 4 + 4 + 120 + 16)


@pytest.mark.parametrize("version", VERSIONS)
def test_every_truncation_raises(tmp_path, version):
    data = scene(version, 14, 24.0)
    end = _top_level_end(data, version)
    # round(3.6 s * 24) + 1 = 87; the footer is not needed
    assert fbx.read_metadata(_write(tmp_path, data[:end])).frame_count == 87
    path = tmp_path / "cut.fbx"
    for cut in range(0, end):
        path.write_bytes(data[:cut])
        with pytest.raises(MotionFileError):
            fbx.read_metadata(path)


def test_zero_byte_file(tmp_path):
    with pytest.raises(MotionFileError, match="empty"):
        fbx.read_metadata(_write(tmp_path, b""))


@pytest.mark.parametrize(
    "head",
    [
        b"Kaydara FBX Binary  \x00\x1b\x00",  # one byte off
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00",
        bytes(range(23)),
    ],
)
def test_bad_magic(tmp_path, head):
    data = scene(7400, 6)
    with pytest.raises(MotionFileError, match="magic"):
        fbx.read_metadata(_write(tmp_path, head + data[len(head) :]))


def test_implausible_version(tmp_path):
    data = bytearray(scene(7400, 6))
    data[23:27] = struct.pack("<I", 0)
    with pytest.raises(MotionFileError, match="version"):
        fbx.read_metadata(_write(tmp_path, bytes(data)))


def _node_header_offset(data, name, version):
    """Offset of the header of the first node called `name` (its name is preceded by its
    length byte, which never precedes the same text inside an S property)."""
    idx = data.index(bytes([len(name)]) + name.encode())
    return idx - (24 if version >= 7500 else 12)


@pytest.mark.parametrize("version", VERSIONS)
def test_end_offset_past_eof(tmp_path, version):
    data = bytearray(scene(version, 6))
    fmt = "<Q" if version >= 7500 else "<I"
    data[27 : 27 + struct.calcsize(fmt)] = struct.pack(fmt, len(data) + 1000)
    with pytest.raises(MotionFileError, match="past end of file"):
        fbx.read_metadata(_write(tmp_path, bytes(data)))


@pytest.mark.parametrize("version", VERSIONS)
def test_nested_end_offset_overrunning_parent(tmp_path, version):
    data = bytearray(scene(version, 6))
    at = _node_header_offset(data, "AnimationStack", version)
    fmt = "<Q" if version >= 7500 else "<I"
    (end,) = struct.unpack_from(fmt, data, at)
    struct.pack_into(fmt, data, at, end + 40)  # into the next stack, still inside the file
    with pytest.raises(MotionFileError):
        fbx.read_metadata(_write(tmp_path, bytes(data)))


@pytest.mark.parametrize("version", VERSIONS)
def test_corrupt_zlib_array(tmp_path, version):
    data = bytearray(scene(version, 6))
    at = data.index(VERTICES_ZLIB)
    for i in range(at + 10, at + len(VERTICES_ZLIB) - 10):
        data[i] ^= 0x5A
    with pytest.raises(MotionFileError, match="zlib|inflates"):
        fbx.read_metadata(_write(tmp_path, bytes(data)))


def test_zlib_array_with_wrong_declared_length(tmp_path):
    # A valid zlib stream whose arrayLength claims one element more than it inflates to.
    data = bytearray(scene(7400, 6))
    at = data.index(VERTICES_ZLIB) - 12
    assert struct.unpack_from("<I", data, at)[0] == 300
    struct.pack_into("<I", data, at, 301)
    with pytest.raises(MotionFileError, match="inflates"):
        fbx.read_metadata(_write(tmp_path, bytes(data)))


def test_absurd_array_length_is_refused_quickly(tmp_path):
    # 0xFFFFFFFF doubles (32 GiB) claimed by an 8-byte payload: refused before inflating.
    prop = b"d" + struct.pack("<III", 0xFFFFFFFF, 1, 8) + bytes(8)
    end = 27 + 13 + len(b"Bomb") + len(prop)
    bomb = struct.pack("<IIIB", end, 1, len(prop), 4) + b"Bomb" + prop
    data = MAGIC + struct.pack("<I", 7400) + bomb + bytes(13)
    with pytest.raises(MotionFileError, match="absurd"):
        fbx.read_metadata(_write(tmp_path, data))


def test_unknown_property_type(tmp_path):
    data = bytearray(scene(7400, 6))
    at = data.index(b"S\x17\x00\x00\x00motionblend test writer")
    data[at] = ord("Q")
    with pytest.raises(MotionFileError, match="property type"):
        fbx.read_metadata(_write(tmp_path, bytes(data)))


def test_missing_nested_end_record(tmp_path):
    data = bytearray(scene(7400, 6))
    # Connections is the last top-level node: its list ends with 13 zero bytes just before the
    # top-level null record.
    end = _top_level_end(data, 7400) - 13
    data[end - 13] = 0x7F
    with pytest.raises(MotionFileError):
        fbx.read_metadata(_write(tmp_path, bytes(data)))


def test_excessive_nesting(tmp_path):
    deep = node("Leaf", [I(1)])
    for _ in range(200):
        deep = node("N", [], [deep])
    with pytest.raises(MotionFileError, match="deeper"):
        fbx.read_metadata(_write(tmp_path, write_fbx([deep], 7400)))


@pytest.mark.parametrize("version", VERSIONS)
def test_random_corruption_never_leaks_other_errors(tmp_path, version):
    data = scene(version, 14, 30.0)
    rng = random.Random(version)
    path = tmp_path / "fuzz.fbx"
    for _ in range(400):
        mutated = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            i = rng.randrange(27, len(mutated))
            mutated[i] = rng.randrange(256)
        path.write_bytes(bytes(mutated))
        try:
            meta = fbx.read_metadata(path)
        except MotionFileError:
            continue
        assert isinstance(meta, MotionMetadata)


def test_missing_file(tmp_path):
    with pytest.raises(MotionFileError, match="cannot read"):
        fbx.read_metadata(tmp_path / "nope.fbx")


ASCII_FBX = b"""; FBX 7.4.0 project file
; Copyright (C) 1997-2010 Autodesk Inc. and/or its licensors.
; ----------------------------------------------------

FBXHeaderExtension:  {
\tFBXHeaderVersion: 1003
\tFBXVersion: 7400
}
"""


@pytest.mark.parametrize(
    "text",
    [
        ASCII_FBX,
        ASCII_FBX.split(b"\n\n", 1)[1],  # no comment header
        b"\xef\xbb\xbf" + ASCII_FBX,  # UTF-8 BOM
    ],
)
def test_ascii_fbx_is_unsupported_not_an_error(tmp_path, text):
    meta = fbx.read_metadata(_write(tmp_path, text))
    assert meta.file_format == "fbx"
    assert meta.status == STATUS_UNSUPPORTED
    assert meta.reason == "ASCII FBX is not supported; export as binary FBX"
    assert meta.frame_count is None and meta.joint_count is None


def test_text_that_is_not_fbx_is_an_error(tmp_path):
    with pytest.raises(MotionFileError, match="magic"):
        fbx.read_metadata(_write(tmp_path, b"hello world, this is not an FBX file\n"))


# ---------------------------------------------------------------------------------------------
# (b) real samples
# ---------------------------------------------------------------------------------------------

needs_samples = pytest.mark.skipif(not SAMPLES.is_dir(), reason=f"{SAMPLES} is absent")

SAMPLE_NAMES = [
    "animation_with_skeleton.fbx",
    "huesitos.fbx",
    "boxWithCompressedCTypeArray_v7500_no_animation.FBX",
]

# TimeMode -> fps, written out independently of fbx.TIME_MODES (FBX SDK FbxTime::EMode).
INDEPENDENT_FPS = {0: 30.0, 10: 25.0, 11: 24.0, 6: 30.0, 3: 60.0, 1: 120.0}


def _s(text):
    raw = text.encode()
    return b"S" + struct.pack("<I", len(raw)) + re.escape(raw)


def _raw_facts(data):
    """What the raw bytes say, found by pattern matching rather than by parsing the tree."""
    facts = {"version": struct.unpack_from("<I", data, 23)[0]}
    mode = re.search(_s("TimeMode") + _s("enum") + _s("") + _s("") + rb"I(.{4})", data, re.S)
    facts["time_mode"] = struct.unpack("<i", mode.group(1))[0]

    def ktimes(name):
        pattern = _s(name) + _s("KTime") + _s("Time") + _s("") + rb"L(.{8})"
        return [struct.unpack("<q", m.group(1))[0] for m in re.finditer(pattern, data, re.S)]

    facts["local_start"] = ktimes("LocalStart")
    facts["local_stop"] = ktimes("LocalStop")
    facts["stack_count"] = len(re.findall(rb"\x00\x01AnimStack", data))
    limb = rb"S(.{4})([^\x00]*)\x00\x01Model" + _s("LimbNode")
    facts["joints"] = [m.group(2).decode() for m in re.finditer(limb, data, re.S)]
    return facts


def _git_blob_sha1(data):
    return hashlib.sha1(b"blob %d\x00" % len(data) + data).hexdigest()


@needs_samples
@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_real_sample_consistency(name):
    path = SAMPLES / name
    if not path.exists():
        pytest.skip(f"{path} is absent")
    data = path.read_bytes()
    facts = _raw_facts(data)
    meta = fbx.read_metadata(path)

    assert meta.status == STATUS_OK
    assert meta.details["fbx_version"] == facts["version"]
    assert meta.details["time_mode"] == facts["time_mode"]
    assert meta.fps == INDEPENDENT_FPS[facts["time_mode"]]
    assert meta.details["joint_names"] == facts["joints"]
    assert meta.joint_count == len(facts["joints"])
    assert len(meta.details["stacks"]) == facts["stack_count"]
    if facts["stack_count"] == 0:
        assert meta.frame_count == 0 and meta.duration_seconds == 0.0
    else:
        # The only LocalStart values are the template's 0 (the stacks omit theirs), so every
        # stack starts at 0 and the longest one stops at the largest LocalStop.
        assert set(facts["local_start"]) <= {0}
        assert meta.duration_seconds == pytest.approx(max(facts["local_stop"]) / TICKS)
        assert meta.frame_count == round(meta.duration_seconds * meta.fps) + 1
        assert meta.joint_count > 0


# Worked out by hand from the raw bytes (hexdump of the P records, KTime / 46,186,158,000):
#   animation_with_skeleton: TimeMode 11 (24 fps); stack LocalStop 38,488,465,000 ticks
#     = 20/24 s exactly -> 21 frames; 16 LimbNode models (Bone .. Bone.013 + 2 "_end" leaves).
#   huesitos: TimeMode 10 (PAL 25 fps); LocalStop 72,050,406,480 ticks = 39/25 s = 1.56 s
#     -> 40 frames; 11 LimbNode models.
#   box v7500: TimeMode 0 (default -> 30 fps assumed), no AnimationStack, no LimbNode.
PINNED = {
    "animation_with_skeleton.fbx": (21, 16, 24.0, 20 / 24, "Armature|ArmatureAction"),
    "huesitos.fbx": (40, 11, 25.0, 1.56, "Armature|Action"),
    "boxWithCompressedCTypeArray_v7500_no_animation.FBX": (0, 0, 30.0, 0.0, None),
}


def _source_blobs():
    source = SAMPLES / "SOURCE.txt"
    if not source.exists():
        return {}
    blobs, current = {}, None
    for line in source.read_text().splitlines():
        if m := re.match(r"\s*File:\s*(\S+)", line):
            current = m.group(1)
        elif (m := re.match(r"\s*git blob:\s*([0-9a-f]{40})", line)) and current:
            blobs[current] = m.group(1)
    return blobs


@needs_samples
@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_real_sample_pinned_values(name):
    path = SAMPLES / name
    if not path.exists():
        pytest.skip(f"{path} is absent")
    if _source_blobs().get(name) != _git_blob_sha1(path.read_bytes()):
        pytest.skip(f"{name} is not the file described in SOURCE.txt")
    frames, joints, fps, duration, stack_name = PINNED[name]
    meta = fbx.read_metadata(path)
    assert (meta.frame_count, meta.joint_count, meta.fps) == (frames, joints, fps)
    assert meta.duration_seconds == pytest.approx(duration)
    if stack_name is None:
        assert meta.details["stacks"] == []
        assert meta.details["fbx_version"] == 7500
    else:
        (only,) = meta.details["stacks"]
        assert only["name"] == stack_name and only["start"] == 0.0
        assert meta.details["fbx_version"] == 7400
        assert meta.details["creator"].startswith("Blender (stable FBX IO)")
