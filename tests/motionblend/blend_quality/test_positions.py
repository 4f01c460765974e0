"""Joint positions from NPY, TRC and BVH bytes; BVH forward kinematics checked against
independent implementations (issue #10, behaviours 7 and 8)."""

import io

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from blend_quality.positions import PositionsError, parse_bvh, read_positions, sidecar_fps
from tests.motionblend import sample_workspace as sw
from tests.motionblend.blend_quality.generated import assert_same_metrics, measure
from tests.motionblend.conftest import sample_params

TWO_JOINTS = """HIERARCHY
ROOT Hips
{{
  OFFSET 0 0 0
  CHANNELS 6 Xposition Yposition Zposition {order}
  JOINT Spine
  {{
    OFFSET 0 10 0
    CHANNELS 3 Zrotation Xrotation Yrotation
    End Site
    {{
      OFFSET 0 5 0
    }}
  }}
}}
MOTION
Frames: 3
Frame Time: 0.0333333
1 2 3 0 0 0 0 0 0
1 2 3 90 0 0 0 0 0
1 2 3 90 90 0 0 0 90
"""


def test_two_joint_forward_kinematics_by_hand():
    text = TWO_JOINTS.format(order="Zrotation Xrotation Yrotation")
    p = read_positions(text.encode(), "bvh")
    assert p.joint_names == ("Hips", "Spine")  # the End Site is not a joint
    assert p.fps == 30.0
    np.testing.assert_allclose(p.positions[:, 0], [[1, 2, 3]] * 3)
    np.testing.assert_allclose(p.positions[0, 1], [1, 12, 3], atol=1e-12)
    # Rz(90) turns the bone (0, 10, 0) to (-10, 0, 0)
    np.testing.assert_allclose(p.positions[1, 1], [-9, 2, 3], atol=1e-12)
    # Rz(90) @ Rx(90): Rx first takes (0, 10, 0) to (0, 0, 10), which Rz keeps;
    # the child's own Yrotation does not move its own origin
    np.testing.assert_allclose(p.positions[2, 1], [1, 2, 13], atol=1e-12)


def test_rotation_channels_compose_in_their_declared_order():
    text = TWO_JOINTS.format(order="Xrotation Zrotation Yrotation")
    p = read_positions(text.encode(), "bvh")
    # the same values now read X=90, Z=0 (frame 1): Rx(90) takes (0, 10, 0) to (0, 0, 10)
    np.testing.assert_allclose(p.positions[1, 1], [1, 2, 13], atol=1e-12)
    # and X=90, Z=90 (frame 2): Rx(90) @ Rz(90), so Rz first: (-10, 0, 0), which Rx keeps
    np.testing.assert_allclose(p.positions[2, 1], [-9, 2, 3], atol=1e-12)


def test_readers_take_bytes_or_a_binary_file_object():
    text = TWO_JOINTS.format(order="Zrotation Xrotation Yrotation").encode()
    from_bytes = read_positions(text, "bvh").positions
    from_file = read_positions(io.BytesIO(text), "BVH").positions
    np.testing.assert_array_equal(from_bytes, from_file)
    with pytest.raises(TypeError, match="binary file object"):
        read_positions(io.StringIO(text.decode()), "bvh")


def _generated_motion(skeleton="full15", kind="walk", frames=40, fps=30):
    m = sw.animate("m", kind, frames, fps, np.random.default_rng(3), skeleton=skeleton)
    # the values exactly as the BVH writer prints them (4 decimals)
    return sw.Motion("m", kind, skeleton, fps, np.round(m.root, 4), np.round(m.euler, 4))


@pytest.mark.parametrize("skeleton", ["full15", "upper9"])
def test_bvh_positions_match_the_sample_workspace_forward_kinematics(skeleton):
    m = _generated_motion(skeleton)
    p = read_positions(sw.bvh_bytes(m, newline="\r\n"), "bvh")
    np.testing.assert_allclose(p.positions, sw.forward_kinematics(m), rtol=0, atol=1e-9)
    assert p.joint_names == tuple(j.name for j in m.joints)


def test_trc_positions_are_the_marker_columns_in_file_units():
    m = _generated_motion()
    p = read_positions(sw.trc_bytes(m, "walk.trc"), "trc")
    np.testing.assert_allclose(p.positions, sw.forward_kinematics(m) * 10.0, atol=6e-4)  # mm
    assert p.fps == 30.0
    assert p.joint_names[0] == "Hips"


def test_trc_gaps_are_interpolated_and_an_empty_marker_is_an_error():
    header = (
        "PathFileType\t4\t(X/Y/Z)\tgap.trc\n"
        "DataRate\tCameraRate\tNumFrames\tNumMarkers\tUnits\n"
        "100\t100\t3\t2\tmm\n"
        "Frame#\tTime\tA\t\t\tB\t\t\n"
        "\t\tX1\tY1\tZ1\tX2\tY2\tZ2\n\n"
    )
    rows = "1\t0.00\t0\t0\t0\t5\t5\t5\n2\t0.01\t\t\t\t5\t5\t5\n3\t0.02\t2\t4\t6\t5\t5\t5\n"
    p = read_positions((header + rows).encode(), "trc")
    np.testing.assert_allclose(p.positions[1, 0], [1, 2, 4 - 1])
    assert p.joint_names == ("A", "B")
    lost = rows.replace("\t5\t5\t5\n", "\t\t\t\n")
    with pytest.raises(PositionsError, match="marker B has no coordinates"):
        read_positions((header + lost).encode(), "trc")


def test_npy_positions_are_the_array_and_other_shapes_are_refused():
    array = np.arange(2 * 3 * 3, dtype=np.float32).reshape(2, 3, 3)
    p = read_positions(sw.npy_bytes(array), "npy")
    assert p.positions.dtype == np.float64 and p.fps is None
    np.testing.assert_array_equal(p.positions, array)
    with pytest.raises(PositionsError, match=r"not joint positions \(T, J, 3\)"):
        read_positions(sw.npy_bytes(array.reshape(2, 9)), "npy")


@pytest.mark.parametrize(
    "data, fmt, message",
    [
        (b"", "bvh", "empty file"),
        (b"HIERARCHY\nROOT a\n{\n OFFSET 0 0 0\n", "bvh", "no MOTION"),
        (
            TWO_JOINTS.format(order="Zrotation Xrotation Yrotation").replace(
                "Frames: 3", "Frames: 4"
            ),
            "bvh",
            "3 motion lines, header says 4",
        ),
        (
            TWO_JOINTS.format(order="Zrotation Xrotation Yrotation").replace("0 0 90\n", "0 0\n"),
            "bvh",
            "malformed",
        ),
        (TWO_JOINTS.format(order="Zrotation Xrotation Wrotation"), "bvh", "bad CHANNELS"),
        (b"PathFileType\t4\nDataRate\n\n\n\n", "trc", "malformed TRC header"),
        (b"\x93NUMPY garbage", "npy", "not a loadable .npy"),
        (sw.npy_bytes(np.full((3, 2, 3), np.nan)), "npy", "NaN"),
        (b"Kaydara FBX Binary", "fbx", "fbx files give no joint positions"),
    ],
)
def test_unreadable_content_raises_positions_error(data, fmt, message):
    with pytest.raises(PositionsError, match=message):
        read_positions(data.encode() if isinstance(data, str) else data, fmt)


def test_sidecar_fps_reads_a_positive_fps_or_none():
    assert sidecar_fps(b'{"fps": 24, "left": "a"}') == 24.0
    assert sidecar_fps(io.BytesIO(b'{"fps": 0}')) is None
    assert sidecar_fps(b'{"fps": true}') is None
    assert sidecar_fps(b"not json") is None


# -- an independent BVH implementation (tests only): token parser + per-frame scipy loop ------


def _reference_positions(path, every: int) -> np.ndarray:
    tokens = path.read_text(encoding="latin-1").split()
    joints, stack, i = [], [], 1  # each joint: name, parent, offset, channels
    while tokens[i].upper() != "MOTION":
        word = tokens[i].upper()
        if word in ("ROOT", "JOINT"):
            joints.append({"parent": stack[-1] if stack else None, "channels": []})
            stack.append(len(joints) - 1)
            i += 3  # name and "{"
        elif word == "END":
            stack.append(None)
            i += 3  # "Site" and "{"
        elif word == "OFFSET":
            if stack[-1] is not None:
                joints[stack[-1]]["offset"] = np.array([float(v) for v in tokens[i + 1 : i + 4]])
            i += 4
        elif word == "CHANNELS":
            count = int(tokens[i + 1])
            joints[stack[-1]]["channels"] = tokens[i + 2 : i + 2 + count]
            i += 2 + count
        elif word == "}":
            stack.pop()
            i += 1
        else:
            raise AssertionError(f"unexpected token {tokens[i]}")
    frames = int(tokens[i + 2])
    data = np.array(tokens[i + 6 :], dtype=float).reshape(frames, -1)
    out = []
    for row in data[::every]:
        column, world, pos = 0, [], []
        for joint in joints:
            values = dict(zip(joint["channels"], row[column:], strict=False))
            column += len(joint["channels"])
            rotations = [c for c in joint["channels"] if c.lower().endswith("rotation")]
            local = Rotation.from_euler(
                "".join(c[0].upper() for c in rotations) or "Z",
                [values[c] for c in rotations] or [0.0],
                degrees=True,
            ).as_matrix()
            move = joint["offset"] + [values.get(f"{a}position", 0.0) for a in "XYZ"]
            if joint["parent"] is None:
                world.append(local)
                pos.append(move)
            else:
                parent = joint["parent"]
                world.append(world[parent] @ local)
                pos.append(pos[parent] + world[parent] @ move)
        out.append(pos)
    return np.array(out)


@pytest.mark.parametrize("path", sample_params("bvh", ".bvh"))
def test_real_bvh_matches_an_independent_per_frame_implementation(path):
    every = 25
    p = read_positions(path.read_bytes(), "bvh")
    expected = _reference_positions(path, every)
    assert p.positions[::every].shape == expected.shape
    np.testing.assert_allclose(p.positions[::every], expected, rtol=0, atol=1e-9)
    skeleton, values, _ = parse_bvh(path.read_bytes())
    assert values.shape == (p.frames, skeleton.channel_count)


# -- behaviour 8: BVH sources and NPY positions of the same motions give the same metrics -----


def test_metrics_from_bvh_sources_equal_metrics_from_npy_positions():
    walk = _generated_motion(kind="walk", frames=300)
    wave = _generated_motion(kind="wave", frames=300)
    blend_motion = sw.Motion(
        "b", "blend", "full15", 30, np.round(0.5 * walk.root + 0.5 * wave.root, 4),
        np.round(0.5 * walk.euler + 0.5 * wave.euler, 4),
    )  # fmt: skip
    from_bvh = [
        read_positions(sw.bvh_bytes(m), "bvh").positions for m in (walk, wave, blend_motion)
    ]
    from_npy = [
        read_positions(sw.npy_bytes(sw.forward_kinematics(m)), "npy").positions
        for m in (walk, wave, blend_motion)
    ]
    assert_same_metrics(measure(*from_bvh), measure(*from_npy))
