"""glTF / GLB joint positions: the node hierarchy sampled per frame at the clip's key rate."""

import base64
import json
import struct

import numpy as np
import pytest

from blend_quality.positions import PositionsError, read_positions
from tests.motionblend import sample_workspace as sw
from tests.motionblend.conftest import sample_params


@pytest.mark.parametrize("fmt", ["glb", "gltf"])
def test_sample_workspace_glb_and_gltf_match_forward_kinematics(fmt):
    m = sw.animate("m", "wave", 48, 24, np.random.default_rng(4), side="both")
    data = sw.glb_bytes(m) if fmt == "glb" else sw.gltf_bytes(m)
    p = read_positions(data, fmt)
    assert p.fps == 24.0 and p.frames == 48
    assert p.joint_names == tuple(j.name for j in m.joints)
    # metres, float32 keys in the file
    np.testing.assert_allclose(p.positions, sw.forward_kinematics(m) / 100.0, atol=1e-6)


def _two_node_gltf(interpolation: str, times: list, values: list, resources=None) -> bytes:
    """Root node 0 (translated by the animation) with child 1 one metre above it."""
    blob = struct.pack(f"<{len(times)}f", *times) + struct.pack(f"<{len(values)}f", *values)
    uri = "data:application/octet-stream;base64," + base64.b64encode(blob).decode()
    doc = {
        "asset": {"version": "2.0"},
        "nodes": [{"children": [1]}, {"translation": [0, 1, 0]}],
        "skins": [{"joints": [0, 1]}],
        "buffers": [{"byteLength": len(blob), "uri": uri}],
        "bufferViews": [
            {"buffer": 0, "byteOffset": 0, "byteLength": 4 * len(times)},
            {"buffer": 0, "byteOffset": 4 * len(times), "byteLength": 4 * len(values)},
        ],
        "accessors": [
            {"bufferView": 0, "componentType": 5126, "count": len(times), "type": "SCALAR"},
            {
                "bufferView": 1,
                "componentType": 5126,
                "count": len(values) // 3,
                "type": "VEC3",
            },
        ],
        "animations": [
            {
                "samplers": [{"input": 0, "output": 1, "interpolation": interpolation}],
                "channels": [{"sampler": 0, "target": {"node": 0, "path": "translation"}}],
            }
        ],
    }
    return json.dumps(doc).encode()


def test_linear_and_step_channels_are_sampled_at_the_key_rate():
    # keys every 0.5 s (the median step) -> 2 fps; the key missing at 1.5 s is interpolated
    times, values = [0.0, 0.5, 1.0, 2.0], [0, 0, 0, 1, 0, 0, 2, 0, 0, 4, 0, 0]
    linear = read_positions(_two_node_gltf("LINEAR", times, values), "gltf")
    assert linear.fps == 2.0 and linear.frames == 5
    np.testing.assert_allclose(linear.positions[:, 0, 0], [0, 1, 2, 3, 4])
    np.testing.assert_allclose(linear.positions[:, 1, 1], [1, 1, 1, 1, 1])
    step = read_positions(_two_node_gltf("STEP", times, values), "gltf")
    np.testing.assert_allclose(step.positions[:, 0, 0], [0, 1, 2, 2, 4])


def test_cubicspline_channels_follow_the_hermite_curve():
    # (in-tangent, value, out-tangent) per key along x; keys at 0, 1, 1.5, 2 s: 2 fps
    def key(value, out=0.0):
        return [0, 0, 0, value, 0, 0, out, 0, 0]

    keys = key(0, out=2.0) + key(2) + key(2) + key(2)
    doc = json.loads(_two_node_gltf("CUBICSPLINE", [0.0, 1.0, 1.5, 2.0], keys))
    doc["accessors"][1]["count"] = 12
    p = read_positions(json.dumps(doc).encode(), "gltf")
    # at 0.5 s (u = 0.5 of a 1 s interval): h00*0 + h10*(2*1) + h01*2 = 0.25 + 1.0
    np.testing.assert_allclose(p.positions[:, 0, 0], [0, 1.25, 2, 2, 2])


def test_gltf_external_buffers_are_read_through_the_resources_callback():
    doc = json.loads(_two_node_gltf("LINEAR", [0.0, 1.0], [0, 0, 0, 1, 0, 0]))
    blob = base64.b64decode(doc["buffers"][0]["uri"].split(",", 1)[1])
    doc["buffers"][0]["uri"] = "anim.bin"
    data = json.dumps(doc).encode()
    with pytest.raises(PositionsError, match=r"external file \(anim.bin\)"):
        read_positions(data, "gltf")
    asked = []
    p = read_positions(data, "gltf", resources=lambda uri: asked.append(uri) or blob)
    assert asked == ["anim.bin"] and p.frames == 2


def test_gltf_without_skin_or_animation_is_refused():
    doc = json.loads(_two_node_gltf("LINEAR", [0.0, 1.0], [0, 0, 0, 1, 0, 0]))
    del doc["animations"]
    with pytest.raises(PositionsError, match="no animation"):
        read_positions(json.dumps(doc).encode(), "gltf")
    del doc["skins"]
    with pytest.raises(PositionsError, match="no skin"):
        read_positions(json.dumps(doc).encode(), "gltf")
    with pytest.raises(PositionsError, match="truncated|corrupt|malformed"):
        read_positions(
            sw.glb_bytes(sw.animate("m", "walk", 10, 30, np.random.default_rng(1)))[:300], "glb"
        )


@pytest.mark.parametrize("path", sample_params("gltf", ".glb", ".gltf"))
def test_real_gltf_files_give_finite_positions_of_their_largest_skin(path):
    data = path.read_bytes()
    if data[:4] == b"glTF":
        length = struct.unpack_from("<I", data, 12)[0]
        doc = json.loads(data[20 : 20 + length])
    else:
        doc = json.loads(data)
    if not doc.get("animations"):
        with pytest.raises(PositionsError, match="no animation"):
            read_positions(data, path.suffix)
        return
    p = read_positions(data, path.suffix)
    assert p.joints == max(len(skin["joints"]) for skin in doc["skins"])
    assert p.frames >= 2 and p.fps > 0
    assert np.isfinite(p.positions).all()
