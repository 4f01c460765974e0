"""glTF reader: GLB/glTF files built with pygltflib, corrupt files, and the real samples."""

import base64
import json
import statistics
import struct
from pathlib import Path

import numpy as np
import pygltflib
import pytest

from tests.motionblend.conftest import sample_params
from workspace.mocap import gltf
from workspace.mocap.base import STATUS_OK, MotionFileError

JOINTS = ["root", "spine", "neck", "head"]

# walk: LINEAR, 60 fps, starts at t=0.5, ends at 1.0 -> 31 keys over 0.5 s
WALK = {"name": "walk", "interpolation": "LINEAR", "times": [0.5 + k / 60 for k in range(31)]}
# wave: CUBICSPLINE, 24 fps, 0..1.0 s -> 25 keys (its output accessor holds 75 elements)
WAVE = {"name": "wave", "interpolation": "CUBICSPLINE", "times": [k / 24 for k in range(25)]}


def build(clips=(WALK, WAVE), skins=(("face", [2, 3]), ("body", [0, 1, 2, 3])), with_min_max=True):
    """A pygltflib document (binary blob attached) with a 4-node chain, skins and clips.

    Each clip is {name, interpolation, times} (one sampler) or {name, samplers: [...]} where
    each sampler is {interpolation, times}; samplers animate the rotation of successive joints.
    """
    document = pygltflib.GLTF2(
        asset=pygltflib.Asset(version="2.0", generator="motionblend tests"),
        scene=0,
        scenes=[pygltflib.Scene(nodes=[0])],
        nodes=[
            pygltflib.Node(name=name, children=[i + 1] if i + 1 < len(JOINTS) else [])
            for i, name in enumerate(JOINTS)
        ],
        skins=[pygltflib.Skin(name=name, joints=list(joints)) for name, joints in skins],
    )
    blob = bytearray()

    def add_accessor(values: np.ndarray, kind: str, min_max: bool) -> int:
        data = values.astype("<f4").tobytes()
        document.bufferViews.append(
            pygltflib.BufferView(buffer=0, byteOffset=len(blob), byteLength=len(data))
        )
        blob.extend(data)
        accessor = pygltflib.Accessor(
            bufferView=len(document.bufferViews) - 1,
            componentType=pygltflib.FLOAT,
            count=len(values),
            type=kind,
        )
        if min_max:
            accessor.min = [float(v) for v in values.astype("<f4").min(axis=0).reshape(-1)]
            accessor.max = [float(v) for v in values.astype("<f4").max(axis=0).reshape(-1)]
        document.accessors.append(accessor)
        return len(document.accessors) - 1

    for clip in clips:
        animation = pygltflib.Animation(name=clip["name"])
        for s, sampler in enumerate(clip.get("samplers", [clip])):
            times = np.asarray(sampler["times"], dtype=np.float32)
            per_key = 3 if sampler["interpolation"] == "CUBICSPLINE" else 1
            rotations = np.tile([0.0, 0.0, 0.0, 1.0], (len(times) * per_key, 1))
            animation.samplers.append(
                pygltflib.AnimationSampler(
                    input=add_accessor(times, pygltflib.SCALAR, with_min_max),
                    output=add_accessor(rotations, pygltflib.VEC4, True),
                    interpolation=sampler["interpolation"],
                )
            )
            animation.channels.append(
                pygltflib.AnimationChannel(
                    sampler=s,
                    target=pygltflib.AnimationChannelTarget(node=s % len(JOINTS), path="rotation"),
                )
            )
        document.animations.append(animation)

    document.buffers = [pygltflib.Buffer(byteLength=len(blob))]
    document.set_binary_blob(bytes(blob))
    return document


def save_glb(document, path: Path) -> Path:
    document.save_binary(str(path))
    return path


def save_gltf(document, path: Path, bin_name: str | None = None) -> Path:
    """Save as .gltf: buffer embedded as a base64 data: URI, or in `bin_name` next to it."""
    blob = document.binary_blob()
    if bin_name is None:
        uri = "data:application/octet-stream;base64," + base64.b64encode(blob).decode()
    else:
        (path.parent / bin_name).write_bytes(blob)
        uri = bin_name
    document.buffers = [pygltflib.Buffer(uri=uri, byteLength=len(blob))]
    document.destroy_binary_blob()
    path.write_text(document.gltf_to_json(), encoding="utf-8")
    return path


def assert_walk_wave(meta):
    assert meta.status == STATUS_OK
    assert meta.joint_count == 4  # the largest skin, not the first
    assert meta.details["joint_names"] == JOINTS
    assert meta.details["skins"] == [
        {"name": "face", "joint_count": 2},
        {"name": "body", "joint_count": 4},
    ]
    walk, wave = meta.details["clips"]
    assert walk["name"] == "walk" and walk["keys"] == 31
    assert walk["start"] == pytest.approx(0.5) and walk["end"] == pytest.approx(1.0)
    assert walk["duration"] == pytest.approx(0.5)
    assert wave["name"] == "wave" and wave["keys"] == 25  # input count, not the 75 outputs
    assert (wave["start"], wave["end"]) == (0.0, 1.0)
    # the longest clip by span is wave (1.0 s), although walk has more keys
    assert meta.details["longest_clip"] == "wave"
    assert meta.frame_count == 25
    assert meta.fps == 24.0
    assert meta.duration_seconds == pytest.approx(1.0)
    assert meta.details["fps_source"] == "key_times"
    assert meta.details["warnings"] == []


def test_glb_known_answers(tmp_path):
    document = build()
    assert document.accessors[document.animations[1].samplers[0].output].count == 75
    meta = gltf.read_metadata(save_glb(document, tmp_path / "rig.glb"))
    assert meta.file_format == "glb"
    assert_walk_wave(meta)


def test_gltf_with_embedded_data_uri(tmp_path):
    path = save_gltf(build(), tmp_path / "rig.gltf")
    assert "data:application/octet-stream;base64," in path.read_text()
    meta = gltf.read_metadata(path)
    assert meta.file_format == "gltf"
    assert_walk_wave(meta)


def test_gltf_with_external_bin(tmp_path):
    meta = gltf.read_metadata(save_gltf(build(), tmp_path / "rig.gltf", bin_name="rig data.bin"))
    assert_walk_wave(meta)


def test_clip_not_starting_at_zero_has_duration_last_minus_first(tmp_path):
    meta = gltf.read_metadata(save_glb(build(clips=[WALK]), tmp_path / "walk.glb"))
    assert meta.frame_count == 31
    assert meta.fps == 60.0
    assert meta.duration_seconds == pytest.approx(0.5)  # not 1.0 (the end time)
    assert meta.details["clips"][0]["start"] == pytest.approx(0.5)


GAPPY = {"name": "gappy", "interpolation": "LINEAR", "times": [k / 30 for k in range(10)] + [2.0]}


def test_fps_is_the_median_key_step(tmp_path):
    meta = gltf.read_metadata(save_glb(build(clips=[GAPPY]), tmp_path / "gappy.glb"))
    assert (meta.frame_count, meta.fps, meta.duration_seconds) == (11, 30.0, 2.0)


def test_missing_external_bin_falls_back_to_key_count(tmp_path):
    path = save_gltf(build(clips=[GAPPY]), tmp_path / "gappy.gltf", bin_name="gappy.bin")
    (tmp_path / "gappy.bin").unlink()
    meta = gltf.read_metadata(path)
    assert (meta.frame_count, meta.duration_seconds) == (11, 2.0)  # from accessor count/min/max
    assert meta.fps == pytest.approx(10 / 2.0)  # (keys - 1) / span
    assert meta.details["fps_source"] == "key_count"
    assert any("gappy.bin" in w for w in meta.details["warnings"])


def test_fps_not_snapped_when_far_from_an_integer(tmp_path):
    clip = {"name": "odd", "interpolation": "STEP", "times": [k / 12.5 for k in range(26)]}
    meta = gltf.read_metadata(save_glb(build(clips=[clip]), tmp_path / "odd.glb"))
    assert meta.fps == pytest.approx(12.5, rel=1e-5)
    assert meta.duration_seconds == pytest.approx(2.0)


def test_clip_with_several_sampler_inputs(tmp_path):
    clip = {
        "name": "mixed",
        "samplers": [
            {"interpolation": "LINEAR", "times": [k / 10 for k in range(11)]},  # 0..1.0
            {"interpolation": "LINEAR", "times": [0.2 + k / 20 for k in range(27)]},  # 0.2..1.5
        ],
    }
    meta = gltf.read_metadata(save_glb(build(clips=[clip]), tmp_path / "mixed.glb"))
    assert meta.details["clips"][0]["keys"] == 27
    assert meta.details["clips"][0]["start"] == 0.0
    assert meta.details["clips"][0]["end"] == pytest.approx(1.5)
    assert (meta.frame_count, meta.fps) == (27, 20.0)
    assert meta.duration_seconds == pytest.approx(1.5)


def test_input_accessor_without_min_max_is_tolerated(tmp_path):
    meta = gltf.read_metadata(save_glb(build(with_min_max=False), tmp_path / "nominmax.glb"))
    assert_walk_wave(meta)


def test_skinned_file_without_animation(tmp_path):
    meta = gltf.read_metadata(save_glb(build(clips=[]), tmp_path / "static.glb"))
    assert meta.status == STATUS_OK
    assert (meta.frame_count, meta.duration_seconds, meta.fps) == (0, 0.0, None)
    assert meta.joint_count == 4
    assert meta.details["clips"] == []
    assert meta.details["longest_clip"] is None


def test_animation_without_skin(tmp_path):
    meta = gltf.read_metadata(save_glb(build(skins=()), tmp_path / "noskin.glb"))
    assert meta.joint_count == 0
    assert meta.details["joint_names"] == [] and meta.details["skins"] == []
    assert meta.frame_count == 25


def test_single_key_clip(tmp_path):
    clip = {"name": "RESET", "interpolation": "LINEAR", "times": [0.0]}
    meta = gltf.read_metadata(save_glb(build(clips=[clip]), tmp_path / "reset.glb"))
    assert (meta.frame_count, meta.duration_seconds, meta.fps) == (1, 0.0, None)


# --- corrupt files ---------------------------------------------------------------------------


def glb_bytes(tmp_path) -> bytes:
    return save_glb(build(), tmp_path / "valid.glb").read_bytes()


def test_zero_byte_files(tmp_path):
    for name in ("empty.glb", "empty.gltf"):
        (tmp_path / name).write_bytes(b"")
        with pytest.raises(MotionFileError, match="empty file"):
            gltf.read_metadata(tmp_path / name)


@pytest.mark.parametrize("cut", [4, 11, 12, 19, 40, "json_end", "bin_middle", "last_byte"])
def test_truncated_glb(tmp_path, cut):
    data = glb_bytes(tmp_path)
    json_length = struct.unpack_from("<I", data, 12)[0]
    end = {
        "json_end": 20 + json_length,
        "bin_middle": 20 + json_length + (len(data) - 20 - json_length) // 2,
        "last_byte": len(data) - 1,
    }.get(cut, cut)
    path = tmp_path / "cut.glb"
    path.write_bytes(data[:end])
    with pytest.raises(MotionFileError, match="truncated|corrupt"):
        gltf.read_metadata(path)


def test_glb_with_bad_magic_or_version(tmp_path):
    data = glb_bytes(tmp_path)
    (tmp_path / "magic.glb").write_bytes(b"gLTF" + data[4:])
    with pytest.raises(MotionFileError, match="not a GLB"):
        gltf.read_metadata(tmp_path / "magic.glb")
    (tmp_path / "v1.glb").write_bytes(data[:4] + struct.pack("<I", 1) + data[8:])
    with pytest.raises(MotionFileError, match="version"):
        gltf.read_metadata(tmp_path / "v1.glb")


def test_glb_with_corrupt_json_chunk(tmp_path):
    data = bytearray(glb_bytes(tmp_path))
    data[20:30] = b"#" * 10
    (tmp_path / "json.glb").write_bytes(bytes(data))
    with pytest.raises(MotionFileError, match="JSON"):
        gltf.read_metadata(tmp_path / "json.glb")


@pytest.mark.parametrize(
    "text",
    ['{"asset": {"version": "2.0"}, "nodes": [', "[]", '{"nodes": []}', "\x00\x01binary"],
    ids=["cut_json", "json_array", "no_asset", "binary"],
)
def test_corrupt_gltf_json(tmp_path, text):
    path = tmp_path / "broken.gltf"
    path.write_text(text)
    with pytest.raises(MotionFileError):
        gltf.read_metadata(path)


def test_dangling_references(tmp_path):
    document = build()
    document.animations[0].samplers[0].input = 99
    with pytest.raises(MotionFileError, match="out of range"):
        gltf.read_metadata(save_glb(document, tmp_path / "input.glb"))
    document = build()
    document.skins[1].joints.append(42)
    with pytest.raises(MotionFileError, match="out of range"):
        gltf.read_metadata(save_glb(document, tmp_path / "joint.glb"))


def test_key_times_past_the_buffer_fall_back_with_a_warning(tmp_path):
    document = build(clips=[GAPPY])
    path = save_gltf(document, tmp_path / "short.gltf", bin_name="short.bin")
    (tmp_path / "short.bin").write_bytes(b"\x00" * 8)  # the external .bin is truncated
    meta = gltf.read_metadata(path)
    assert meta.details["fps_source"] == "key_count"
    assert meta.details["warnings"]


# --- the real third-party samples ------------------------------------------------------------


def independent_gltf_facts(path: Path) -> dict:
    """Skins, clips and the longest clip's key times, parsed with struct + json + base64 only."""
    data = path.read_bytes()
    if data[:4] == b"glTF":
        json_length = struct.unpack_from("<I", data, 12)[0]
        document = json.loads(data[20 : 20 + json_length])
        bin_start = 20 + json_length
        buffers = []
        if bin_start < len(data):
            bin_length = struct.unpack_from("<I", data, bin_start)[0]
            buffers.append(data[bin_start + 8 : bin_start + 8 + bin_length])
    else:
        document = json.loads(data)
        buffers = [base64.b64decode(b["uri"].split(",", 1)[1]) for b in document["buffers"]]
    accessors = document["accessors"]

    clips = []
    for animation in document.get("animations", []):
        inputs = sorted({sampler["input"] for sampler in animation["samplers"]})
        main = max(inputs, key=lambda i: accessors[i]["count"])
        start = min(accessors[i]["min"][0] for i in inputs)
        end = max(accessors[i]["max"][0] for i in inputs)
        clips.append(
            {"name": animation.get("name"), "keys": accessors[main]["count"], "start": start,
             "end": end, "main": main}
        )  # fmt: skip

    facts = {
        "skin_sizes": [len(skin["joints"]) for skin in document.get("skins", [])],
        "clips": clips,
        "names": [node.get("name") for node in document["nodes"]],
        "skins": document.get("skins", []),
    }
    if clips:
        longest = max(clips, key=lambda c: (c["end"] - c["start"], c["keys"]))
        accessor = accessors[longest["main"]]
        view = document["bufferViews"][accessor["bufferView"]]
        offset = view.get("byteOffset", 0) + accessor.get("byteOffset", 0)
        stride = view.get("byteStride", 4)
        buffer = buffers[view["buffer"]]
        times = [
            struct.unpack_from("<f", buffer, offset + k * stride)[0]
            for k in range(accessor["count"])
        ]
        facts["longest"] = longest
        facts["times"] = times
    return facts


@pytest.mark.parametrize("path", sample_params("gltf", ".glb", ".gltf"))
def test_real_gltf_samples(path):
    expected = independent_gltf_facts(path)
    meta = gltf.read_metadata(path)
    assert meta.status == STATUS_OK
    assert meta.file_format == path.suffix.lower().lstrip(".")
    assert meta.details["warnings"] == []

    sizes = expected["skin_sizes"]
    assert meta.joint_count == (max(sizes) if sizes else 0)
    if sizes:
        largest = expected["skins"][sizes.index(max(sizes))]
        assert meta.details["joint_names"] == [expected["names"][j] for j in largest["joints"]]

    clips = meta.details["clips"]
    assert [c["name"] for c in clips] == [c["name"] for c in expected["clips"]]
    assert [c["keys"] for c in clips] == [c["keys"] for c in expected["clips"]]
    assert [c["start"] for c in clips] == pytest.approx([c["start"] for c in expected["clips"]])
    assert [c["end"] for c in clips] == pytest.approx([c["end"] for c in expected["clips"]])

    if not expected["clips"]:
        assert (meta.frame_count, meta.duration_seconds, meta.fps) == (0, 0.0, None)
        return
    longest, times = expected["longest"], expected["times"]
    # the sample is consistent: the key times agree with the accessor's min/max
    assert (min(times), max(times)) == pytest.approx((longest["start"], longest["end"]))
    fps = 1 / statistics.median(b - a for a, b in zip(times, times[1:], strict=False) if b > a)
    if abs(fps - round(fps)) <= 0.01:
        fps = float(round(fps))
    assert meta.details["longest_clip"] == longest["name"]
    assert meta.frame_count == longest["keys"]
    assert meta.duration_seconds == pytest.approx(longest["end"] - longest["start"])
    assert meta.fps == pytest.approx(fps)
    assert meta.details["fps_source"] == "key_times"
