"""Deterministic generator of a realistic MotionBlend workspace, with known answers.

The workspace mirrors what the motionblend connector scans (see the connector spec):

    project/seed_motions/     primary motion library (+ a `corrupt/` folder of broken files)
    seed_motions/             root-level seed motions
    build/build_motions/      exported / retargeted motions
    build/blend_snn/          blend outputs, their `<name>.json` manifests, manifest-less blends
    build/demo_artifacts/     logs, a json manifest, PNG previews, temporary files
    build/ui_analytics/       UI event logs (`*.jsonl`)

Motions are procedural (walk, jog, wave, idle, sidestep, turn, crouch, reach, stretch) on a
15-joint skeleton (a 9-joint upper-body variant too) and are written as real BVH, NPY (+ the
optional `<stem>.json` fps sidecar), TRC, GLB / glTF (pygltflib: joint nodes, skin with
inverseBindMatrices, LINEAR rotation/translation animation) and minimal binary FBX 7400.

Everything is deterministic: a seeded RNG, fixed file and directory mtimes (os.utime), and no
absolute paths inside files, so two runs with the same arguments give identical bytes and mtimes.

Known-answer conventions (see `WorkspaceManifest`):
  * paths are workspace-relative POSIX strings;
  * joint_count counts ROOT/JOINT (BVH), skin joints (GLB), markers (TRC), J of a (T, J, 3) NPY
    and LimbNode models (FBX); End Sites are not joints. A (T, D) NPY has joint_count None;
  * duration_seconds = frame_count / fps (BVH: Frames * Frame Time); last_frame_time =
    (frame_count - 1) / fps is the time of the last sample, i.e. the max of a GLB animation
    input accessor and the FBX LocalStop. NPY without a sidecar has fps/duration None.

API: `generate_workspace(root, *, scale=1, seed=7, files=None) -> WorkspaceManifest`.
CLI: `python -m tests.motionblend.sample_workspace DEST [--files N] [--scale K] [--seed S]
[--manifest OUT.json]`; `--files N` makes the workspace hold exactly N files.
"""

from __future__ import annotations

import argparse
import base64
import dataclasses
import hashlib
import io
import json
import os
import struct
import sys
import time
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pygltflib

T0 = 1710406800  # 2024-03-14T09:00:00Z: the "capture day"; every timestamp is relative to it
DAY = 86400
DIR_MTIME = T0 + 3 * DAY
BENCHMARK_FILES = 2000
ROUND_FILES = 20  # files added per extra `scale` step (one round of `_Generator.bulk`)
QUALITY_FRAMES = 150  # frames of the quality blends and their sources
QUALITY_BLEND_FILES = 11  # 3 sources + 4 blends with their manifests
HIP_HEIGHT = 94.0  # cm: UpLeg drop 4 + thigh 42 + shin 42 + foot 6

# ---------------------------------------------------------------------------------------------
# Skeleton and procedural motion
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Joint:
    name: str
    parent: int  # index into the skeleton, -1 for the root
    offset: tuple[float, float, float]  # cm, from the parent joint
    end_site: tuple[float, float, float] | None = None


# Depth-first order, so the list order equals the BVH HIERARCHY / channel order.
_FULL = (
    Joint("Hips", -1, (0.0, 0.0, 0.0)),
    Joint("Spine", 0, (0.0, 10.0, 0.0)),
    Joint("Chest", 1, (0.0, 15.0, 0.0)),
    Joint("Neck", 2, (0.0, 20.0, 0.0)),
    Joint("Head", 3, (0.0, 8.0, 0.0), (0.0, 16.0, 0.0)),
    Joint("LeftArm", 2, (18.0, 16.0, 0.0)),
    Joint("LeftForeArm", 5, (28.0, 0.0, 0.0), (25.0, 0.0, 0.0)),
    Joint("RightArm", 2, (-18.0, 16.0, 0.0)),
    Joint("RightForeArm", 7, (-28.0, 0.0, 0.0), (-25.0, 0.0, 0.0)),
    Joint("LeftUpLeg", 0, (9.0, -4.0, 0.0)),
    Joint("LeftLeg", 9, (0.0, -42.0, 0.0)),
    Joint("LeftFoot", 10, (0.0, -42.0, 0.0), (0.0, -6.0, 14.0)),
    Joint("RightUpLeg", 0, (-9.0, -4.0, 0.0)),
    Joint("RightLeg", 12, (0.0, -42.0, 0.0)),
    Joint("RightFoot", 13, (0.0, -42.0, 0.0), (0.0, -6.0, 14.0)),
)
SKELETONS: dict[str, tuple[Joint, ...]] = {"full15": _FULL, "upper9": _FULL[:9]}


@dataclass
class Motion:
    """A sampled skeleton animation: root translation (cm) and per-joint Euler angles."""

    name: str
    kind: str
    skeleton: str
    fps: int
    root: np.ndarray  # (T, 3) cm
    euler: np.ndarray  # (T, J, 3) degrees, columns (Z, X, Y) = BVH channel order, R = Rz Rx Ry

    @property
    def joints(self) -> tuple[Joint, ...]:
        return SKELETONS[self.skeleton]

    @property
    def frames(self) -> int:
        return int(self.root.shape[0])


def _animate(
    name: str,
    kind: str,
    frames: int,
    fps: int,
    rng: np.random.Generator,
    *,
    skeleton: str = "full15",
    speed: float = 1.0,
    amp: float = 1.0,
    side: str = "left",
    jitter: bool = True,
) -> Motion:
    joints = SKELETONS[skeleton]
    idx = {j.name: i for i, j in enumerate(joints)}
    t = np.arange(frames, dtype=np.float64) / fps
    euler = np.zeros((frames, len(joints), 3))
    root = np.zeros((frames, 3))
    root[:, 1] = HIP_HEIGHT

    def rot(joint: str, z=0.0, x=0.0, y=0.0) -> None:
        if joint in idx:
            euler[:, idx[joint], 0] += z
            euler[:, idx[joint], 1] += x
            euler[:, idx[joint], 2] += y

    # Rest: arms hanging down (the bind pose is a T-pose), elbows slightly bent.
    rot("LeftArm", z=-75.0)
    rot("RightArm", z=75.0)
    rot("LeftForeArm", x=-10.0)
    rot("RightForeArm", x=-10.0)
    if kind in ("walk", "jog"):
        jog = kind == "jog"
        f = (1.4 if jog else 1.0) * abs(speed)
        ph = 2 * np.pi * f * t
        swing = (35.0 if jog else 25.0) * amp
        knee = (70.0 if jog else 40.0) * amp
        root[:, 0] += 2.0 * np.sin(ph)
        root[:, 1] += -1.5 + 1.5 * np.cos(2 * ph)
        root[:, 2] += np.sign(speed) * (160.0 if jog else 110.0) * f * t
        rot("Hips", y=5.0 * np.sin(ph))
        rot("Spine", x=8.0 if jog else 3.0)
        rot("Chest", y=-6.0 * np.sin(ph))
        rot("LeftUpLeg", x=swing * np.sin(ph))
        rot("RightUpLeg", x=-swing * np.sin(ph))
        rot("LeftLeg", x=-knee * (0.5 - 0.5 * np.cos(ph)))
        rot("RightLeg", x=-knee * (0.5 + 0.5 * np.cos(ph)))
        rot("LeftFoot", x=10.0 * np.sin(ph))
        rot("RightFoot", x=-10.0 * np.sin(ph))
        rot("LeftArm", x=-0.8 * swing * np.sin(ph))
        rot("RightArm", x=0.8 * swing * np.sin(ph))
        rot("LeftForeArm", x=-(25.0 if jog else 5.0))
        rot("RightForeArm", x=-(25.0 if jog else 5.0))
    elif kind == "wave":
        osc = 25.0 * amp * np.sin(2 * np.pi * 1.5 * speed * t)
        for s, sign in (("Left", 1.0), ("Right", -1.0)):
            if side in (s.lower(), "both"):
                rot(f"{s}Arm", z=sign * 135.0)  # from hanging (-/+75) to raised (+/-60)
                rot(f"{s}ForeArm", z=sign * (40.0 + osc))
        root[:, 0] += 1.0 * np.sin(2 * np.pi * 0.3 * t)
        rot("Head", y=8.0 * np.sin(2 * np.pi * 0.2 * t))
    elif kind == "idle":
        breath = np.sin(2 * np.pi * 0.25 * speed * t)
        rot("Spine", x=2.0 * amp * breath)
        rot("Chest", x=1.5 * amp * breath)
        root[:, 1] += 0.5 * breath
    elif kind == "sidestep":
        ph = 2 * np.pi * 0.8 * speed * t
        root[:, 0] += 45.0 * speed * t
        rot("LeftUpLeg", z=12.0 * amp * np.maximum(np.sin(ph), 0))
        rot("RightUpLeg", z=-12.0 * amp * np.maximum(-np.sin(ph), 0))
    elif kind == "turn":
        rot("Hips", y=180.0 * speed * t / max(t[-1], 1e-9))
        rot("LeftUpLeg", x=10.0 * np.sin(4 * np.pi * t))
        rot("RightUpLeg", x=-10.0 * np.sin(4 * np.pi * t))
    elif kind in ("crouch", "reach", "stretch"):
        d = 0.5 - 0.5 * np.cos(2 * np.pi * 0.5 * speed * t)
        if kind == "crouch":
            root[:, 1] -= 30.0 * amp * d
            rot("LeftUpLeg", x=60.0 * amp * d)
            rot("RightUpLeg", x=60.0 * amp * d)
            rot("LeftLeg", x=-110.0 * amp * d)
            rot("RightLeg", x=-110.0 * amp * d)
            rot("LeftFoot", x=50.0 * amp * d)
            rot("RightFoot", x=50.0 * amp * d)
            rot("Spine", x=15.0 * amp * d)
        elif kind == "reach":
            rot("RightArm", z=-75.0 * d, y=-80.0 * amp * d)
            rot("RightForeArm", x=10.0 * d)
            rot("Spine", x=12.0 * amp * d)
        else:
            rot("LeftArm", z=150.0 * amp * d)
            rot("RightArm", z=-150.0 * amp * d)
            rot("Chest", x=-8.0 * d)
    else:
        raise ValueError(f"unknown motion kind {kind!r}")
    if jitter:  # capture jitter (off: the exact, smooth procedural motion)
        euler += rng.normal(0.0, 0.25, euler.shape)
        root += rng.normal(0.0, 0.05, root.shape)
    return Motion(name, kind, skeleton, fps, root, euler)


animate = _animate  # public: the blend_quality tests build motions with known answers from it


def _blend(
    name: str,
    left: tuple[str, dict],
    right: tuple[str, dict],
    frames: int,
    fps: int,
    ratio: float,
    start: int,
    end: int,
    rng: np.random.Generator,
) -> Motion:
    a = _animate(name, left[0], frames, fps, rng, **left[1])
    b = _animate(name, right[0], frames, fps, rng, **right[1])
    w = ratio * np.clip((np.arange(frames) - start) / max(end - start, 1), 0.0, 1.0)
    euler = (1 - w)[:, None, None] * a.euler + w[:, None, None] * b.euler
    root = (1 - w)[:, None] * a.root + w[:, None] * b.root
    return Motion(name, "blend", "full15", fps, root, euler)


def _rotmats(euler: np.ndarray) -> np.ndarray:
    """(..., 3) degrees in (Z, X, Y) order -> (..., 3, 3) rotation matrices Rz @ Rx @ Ry."""
    z, x, y = np.moveaxis(np.radians(euler), -1, 0)
    cz, sz, cx, sx, cy, sy = np.cos(z), np.sin(z), np.cos(x), np.sin(x), np.cos(y), np.sin(y)
    r = np.empty(euler.shape[:-1] + (3, 3))
    r[..., 0, 0] = cz * cy - sz * sx * sy
    r[..., 0, 1] = -sz * cx
    r[..., 0, 2] = cz * sy + sz * sx * cy
    r[..., 1, 0] = sz * cy + cz * sx * sy
    r[..., 1, 1] = cz * cx
    r[..., 1, 2] = sz * sy - cz * sx * cy
    r[..., 2, 0] = -cx * sy
    r[..., 2, 1] = sx
    r[..., 2, 2] = cx * cy
    return r


def forward_kinematics(m: Motion) -> np.ndarray:
    """World joint positions (T, J, 3) in cm."""
    rots = _rotmats(m.euler)
    glob = np.empty_like(rots)
    pos = np.empty((m.frames, len(m.joints), 3))
    for j, joint in enumerate(m.joints):
        if joint.parent < 0:
            glob[:, j] = rots[:, j]
            pos[:, j] = m.root
        else:
            p = joint.parent
            glob[:, j] = glob[:, p] @ rots[:, j]
            pos[:, j] = pos[:, p] + glob[:, p] @ np.asarray(joint.offset)
    return pos


def _quaternions(euler: np.ndarray) -> np.ndarray:
    """(..., 3) degrees (Z, X, Y) -> (..., 4) unit quaternions (x, y, z, w) of Rz Rx Ry."""
    half = np.radians(euler) / 2
    z, x, y = np.moveaxis(half, -1, 0)
    zeros = np.zeros_like(z)
    qz = np.stack([zeros, zeros, np.sin(z), np.cos(z)], -1)
    qx = np.stack([np.sin(x), zeros, zeros, np.cos(x)], -1)
    qy = np.stack([zeros, np.sin(y), zeros, np.cos(y)], -1)
    return _qmul(_qmul(qz, qx), qy)


def _qmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    ax, ay, az, aw = np.moveaxis(a, -1, 0)
    bx, by, bz, bw = np.moveaxis(b, -1, 0)
    return np.stack(
        [
            aw * bx + ax * bw + ay * bz - az * by,
            aw * by - ax * bz + ay * bw + az * bx,
            aw * bz + ax * by - ay * bx + az * bw,
            aw * bw - ax * bx - ay * by - az * bz,
        ],
        -1,
    )


# ---------------------------------------------------------------------------------------------
# Format writers (bytes in, no I/O)
# ---------------------------------------------------------------------------------------------


def bvh_bytes(m: Motion, *, newline: str = "\n") -> bytes:
    children: dict[int, list[int]] = {}
    for i, j in enumerate(m.joints):
        children.setdefault(j.parent, []).append(i)
    lines = ["HIERARCHY"]

    def emit(i: int, depth: int) -> None:
        j = m.joints[i]
        pad = "\t" * depth
        lines.append(f"{pad}{'ROOT' if j.parent < 0 else 'JOINT'} {j.name}")
        lines.append(f"{pad}{{")
        lines.append(f"{pad}\tOFFSET {j.offset[0]:.4f} {j.offset[1]:.4f} {j.offset[2]:.4f}")
        if j.parent < 0:
            chans = "6 Xposition Yposition Zposition Zrotation Xrotation Yrotation"
        else:
            chans = "3 Zrotation Xrotation Yrotation"
        lines.append(f"{pad}\tCHANNELS {chans}")
        for c in children.get(i, []):
            emit(c, depth + 1)
        if j.end_site is not None:
            e = j.end_site
            lines.extend(
                [
                    f"{pad}\tEnd Site",
                    f"{pad}\t{{",
                    f"{pad}\t\tOFFSET {e[0]:.4f} {e[1]:.4f} {e[2]:.4f}",
                    f"{pad}\t}}",
                ]
            )
        lines.append(f"{pad}}}")

    emit(0, 0)
    lines += ["MOTION", f"Frames: {m.frames}", f"Frame Time: {1.0 / m.fps:.7f}"]
    data = np.concatenate([m.root, m.euler.reshape(m.frames, -1)], axis=1)
    buf = io.StringIO()
    np.savetxt(buf, data, fmt="%.4f", delimiter=" ", newline=newline)
    return (newline.join(lines) + newline + buf.getvalue()).encode("ascii")


def npy_bytes(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=False)
    return buf.getvalue()


def trc_bytes(m: Motion, file_name: str, *, blank_line: bool = True) -> bytes:
    pos = forward_kinematics(m) * 10.0  # mm
    n = len(m.joints)
    fps = f"{m.fps:.2f}"
    header = [
        f"PathFileType\t4\t(X/Y/Z)\t{file_name}",
        "DataRate\tCameraRate\tNumFrames\tNumMarkers\tUnits\tOrigDataRate\t"
        "OrigDataStartFrame\tOrigNumFrames",
        f"{fps}\t{fps}\t{m.frames}\t{n}\tmm\t{fps}\t1\t{m.frames}",
        "Frame#\tTime\t" + "".join(f"{j.name}\t\t\t" for j in m.joints),
        "\t\t" + "\t".join(f"X{i}\tY{i}\tZ{i}" for i in range(1, n + 1)),
    ]
    if blank_line:
        header.append("")
    frame_no = np.arange(1, m.frames + 1, dtype=np.float64)[:, None]
    times = (np.arange(m.frames) / m.fps)[:, None]
    data = np.concatenate([frame_no, times, pos.reshape(m.frames, -1)], axis=1)
    buf = io.StringIO()
    np.savetxt(buf, data, fmt=["%d", "%.5f"] + ["%.3f"] * (3 * n), delimiter="\t")
    return ("\n".join(header) + "\n" + buf.getvalue()).encode("ascii")


def _gltf_document(m: Motion) -> tuple[pygltflib.GLTF2, bytes]:
    joints = m.joints
    n = len(joints)
    quats = _quaternions(m.euler).astype(np.float32)  # (T, J, 4)
    times = (np.arange(m.frames) / m.fps).astype(np.float32)
    root_t = (m.root / 100.0).astype(np.float32)  # metres
    rest = np.zeros((n, 3))
    for i, j in enumerate(joints):
        rest[i] = (rest[j.parent] if j.parent >= 0 else 0.0) + np.asarray(j.offset) / 100.0
    ibm = np.tile(np.eye(4, dtype=np.float32), (n, 1, 1))
    ibm[:, 3, :3] = -rest  # column-major storage: translation sits in elements 12..14
    # A one-triangle skinned "body" so the skin is actually used by a mesh.
    tri = np.array([[0.0, 0.0, 0.0], [0.2, 0.0, 0.0], [0.0, 1.6, 0.0]], dtype=np.float32)
    joints0 = np.array([[0, 0, 0, 0], [9, 0, 0, 0], [4, 0, 0, 0]], dtype=np.uint8)
    joints0 = np.minimum(joints0, n - 1)
    weights0 = np.array([[1, 0, 0, 0]] * 3, dtype=np.float32)
    indices = np.array([0, 1, 2], dtype=np.uint16)

    blob = bytearray()
    views: list[pygltflib.BufferView] = []
    accessors: list[pygltflib.Accessor] = []

    def add(arr: np.ndarray, ctype: int, atype: str, target=None, minmax=False) -> int:
        while len(blob) % 4:
            blob.append(0)
        data = np.ascontiguousarray(arr).tobytes()
        views.append(
            pygltflib.BufferView(
                buffer=0, byteOffset=len(blob), byteLength=len(data), target=target
            )
        )
        blob.extend(data)
        count = int(arr.shape[0])
        acc = pygltflib.Accessor(
            bufferView=len(views) - 1, componentType=ctype, count=count, type=atype
        )
        if minmax:
            flat = arr.reshape(count, -1)
            acc.min = [float(v) for v in flat.min(axis=0)]
            acc.max = [float(v) for v in flat.max(axis=0)]
        accessors.append(acc)
        return len(accessors) - 1

    f32, u8, u16 = pygltflib.FLOAT, pygltflib.UNSIGNED_BYTE, pygltflib.UNSIGNED_SHORT
    a_pos = add(tri, f32, pygltflib.VEC3, pygltflib.ARRAY_BUFFER, minmax=True)
    a_j0 = add(joints0, u8, pygltflib.VEC4, pygltflib.ARRAY_BUFFER)
    a_w0 = add(weights0, f32, pygltflib.VEC4, pygltflib.ARRAY_BUFFER)
    a_idx = add(indices, u16, pygltflib.SCALAR, pygltflib.ELEMENT_ARRAY_BUFFER)
    a_ibm = add(ibm, f32, pygltflib.MAT4)
    a_time = add(times, f32, pygltflib.SCALAR, minmax=True)
    a_root = add(root_t, f32, pygltflib.VEC3)
    a_rot = [add(quats[:, i], f32, pygltflib.VEC4) for i in range(n)]
    while len(blob) % 4:
        blob.append(0)

    nodes = []
    for i, j in enumerate(joints):
        kids = [k for k, c in enumerate(joints) if c.parent == i]
        trans = root_t[0] if j.parent < 0 else np.asarray(j.offset, dtype=np.float32) / 100
        nodes.append(
            pygltflib.Node(
                name=j.name,
                children=kids,
                translation=[float(v) for v in trans],
                rotation=[float(v) for v in quats[0, i]],
            )
        )
    nodes.append(pygltflib.Node(name="Body", mesh=0, skin=0))
    samplers = [pygltflib.AnimationSampler(input=a_time, output=a_root, interpolation="LINEAR")]
    channels = [
        pygltflib.AnimationChannel(
            sampler=0, target=pygltflib.AnimationChannelTarget(node=0, path="translation")
        )
    ]
    for i, acc in enumerate(a_rot):
        samplers.append(
            pygltflib.AnimationSampler(input=a_time, output=acc, interpolation="LINEAR")
        )
        channels.append(
            pygltflib.AnimationChannel(
                sampler=i + 1, target=pygltflib.AnimationChannelTarget(node=i, path="rotation")
            )
        )
    gltf = pygltflib.GLTF2(
        asset=pygltflib.Asset(version="2.0", generator="motionblend sample_workspace"),
        scene=0,
        scenes=[pygltflib.Scene(name="Scene", nodes=[0, n])],
        nodes=nodes,
        meshes=[
            pygltflib.Mesh(
                name="Body",
                primitives=[
                    pygltflib.Primitive(
                        attributes=pygltflib.Attributes(
                            POSITION=a_pos, JOINTS_0=a_j0, WEIGHTS_0=a_w0
                        ),
                        indices=a_idx,
                    )
                ],
            )
        ],
        skins=[
            pygltflib.Skin(
                name="Armature", joints=list(range(n)), skeleton=0, inverseBindMatrices=a_ibm
            )
        ],
        animations=[pygltflib.Animation(name=m.name, samplers=samplers, channels=channels)],
        accessors=accessors,
        bufferViews=views,
        buffers=[pygltflib.Buffer(byteLength=len(blob))],
    )
    return gltf, bytes(blob)


def glb_bytes(m: Motion) -> bytes:
    gltf, blob = _gltf_document(m)
    gltf.set_binary_blob(blob)
    return b"".join(gltf.save_to_bytes())


def gltf_bytes(m: Motion) -> bytes:
    """A .gltf JSON file with the buffer embedded as a base64 data URI."""
    gltf, blob = _gltf_document(m)
    uri = "data:application/octet-stream;base64," + base64.b64encode(blob).decode("ascii")
    gltf.buffers = [pygltflib.Buffer(byteLength=len(blob), uri=uri)]
    return gltf.gltf_to_json(indent=2).encode("utf-8")


# --- binary FBX 7400 (minimal: header extension, GlobalSettings, LimbNodes, one AnimStack) ---

KTIME_PER_SECOND = 46186158000
FBX_TIME_MODES = {120: 1, 100: 2, 60: 3, 50: 4, 48: 5, 30: 6, 25: 10, 24: 11}  # FbxTime::EMode
_FBX_MAGIC = b"Kaydara FBX Binary  \x00\x1a\x00"
_FBX_FOOT_ID = bytes.fromhex("fabcab09d0c8d466b176fb831cf7267e")
_FBX_FOOT_MAGIC = bytes.fromhex("f85a8c6adef5d97eece90ce3758f290b")


@dataclass
class _FbxNode:
    name: str
    props: list[tuple[str, object]] = field(default_factory=list)
    children: list[_FbxNode] = field(default_factory=list)


def _fbx_prop(kind: str, value) -> bytes:
    if kind == "S":
        raw = value.encode("utf-8") if isinstance(value, str) else bytes(value)
        return b"S" + struct.pack("<I", len(raw)) + raw
    if kind in "IYLDFC":
        fmt = {"I": "<i", "Y": "<h", "L": "<q", "D": "<d", "F": "<f", "C": "<?"}[kind]
        return kind.encode() + struct.pack(fmt, value)
    dtype = {"d": "<f8", "f": "<f4", "l": "<i8", "i": "<i4"}[kind]
    raw = np.asarray(value, dtype=dtype).tobytes()
    return kind.encode() + struct.pack("<III", len(value), 0, len(raw)) + raw


def _fbx_node_bytes(node: _FbxNode, offset: int) -> bytes:
    name = node.name.encode("ascii")
    props = b"".join(_fbx_prop(k, v) for k, v in node.props)
    body = bytearray()
    pos = offset + 13 + len(name) + len(props)
    for child in node.children:
        chunk = _fbx_node_bytes(child, pos)
        body += chunk
        pos += len(chunk)
    if node.children:
        body += b"\x00" * 13  # null record closing the nested list
        pos += 13
    head = struct.pack("<IIIB", pos, len(node.props), len(props), len(name)) + name
    return head + props + bytes(body)


def _p70(*entries: tuple) -> _FbxNode:
    ps = []
    for name, type1, type2, flags, *values in entries:
        props = [("S", name), ("S", type1), ("S", type2), ("S", flags)] + list(values)
        ps.append(_FbxNode("P", props))
    return _FbxNode("Properties70", [], ps)


def fbx_bytes(m: Motion) -> bytes:
    """Minimal binary FBX 7400: GlobalSettings (TimeMode, TimeSpan), one LimbNode Model per
    joint, one AnimationStack (LocalStop = last frame time) and Hips translation curves."""
    if m.fps not in FBX_TIME_MODES:
        raise ValueError(f"no FBX time mode for {m.fps} fps")
    per_frame = KTIME_PER_SECOND // m.fps
    stop = (m.frames - 1) * per_frame
    model_ids = [2_000_000 + i for i in range(len(m.joints))]
    stack_id, layer_id, cnode_id = 3_000_000, 3_000_001, 3_000_002
    curve_ids = (3_000_003, 3_000_004, 3_000_005)
    keys = np.arange(m.frames, dtype=np.int64) * per_frame
    objects = []
    for i, j in enumerate(m.joints):
        objects.append(
            _FbxNode(
                "Model",
                [("L", model_ids[i]), ("S", f"{j.name}\x00\x01Model"), ("S", "LimbNode")],
                [
                    _FbxNode("Version", [("I", 232)]),
                    _p70(
                        (
                            "Lcl Translation",
                            "Lcl Translation",
                            "",
                            "A",
                            *[("D", v) for v in j.offset],
                        )
                    ),
                ],
            )
        )
    objects.append(
        _FbxNode(
            "AnimationStack",
            [("L", stack_id), ("S", f"{m.name}\x00\x01AnimStack"), ("S", "")],
            [
                _p70(
                    ("LocalStart", "KTime", "Time", "", ("L", 0)),
                    ("LocalStop", "KTime", "Time", "", ("L", stop)),
                    ("ReferenceStart", "KTime", "Time", "", ("L", 0)),
                    ("ReferenceStop", "KTime", "Time", "", ("L", stop)),
                )
            ],
        )
    )
    objects.append(
        _FbxNode(
            "AnimationLayer", [("L", layer_id), ("S", "BaseLayer\x00\x01AnimLayer"), ("S", "")]
        )
    )
    objects.append(
        _FbxNode(
            "AnimationCurveNode",
            [("L", cnode_id), ("S", "T\x00\x01AnimCurveNode"), ("S", "")],
            [_p70(*[(f"d|{a}", "Number", "", "A", ("D", 0.0)) for a in "XYZ"])],
        )
    )
    for axis, cid in enumerate(curve_ids):
        objects.append(
            _FbxNode(
                "AnimationCurve",
                [("L", cid), ("S", "\x00\x01AnimCurve"), ("S", "")],
                [
                    _FbxNode("Default", [("D", 0.0)]),
                    _FbxNode("KeyVer", [("I", 4009)]),
                    _FbxNode("KeyTime", [("l", keys)]),
                    _FbxNode("KeyValueFloat", [("f", m.root[:, axis].astype(np.float32))]),
                ],
            )
        )
    conns = []
    for i, j in enumerate(m.joints):
        parent = 0 if j.parent < 0 else model_ids[j.parent]
        conns.append(_FbxNode("C", [("S", "OO"), ("L", model_ids[i]), ("L", parent)]))
    conns.append(_FbxNode("C", [("S", "OO"), ("L", layer_id), ("L", stack_id)]))
    conns.append(_FbxNode("C", [("S", "OO"), ("L", cnode_id), ("L", layer_id)]))
    conns.append(
        _FbxNode(
            "C", [("S", "OP"), ("L", cnode_id), ("L", model_ids[0]), ("S", "Lcl Translation")]
        )
    )
    for axis, cid in zip("XYZ", curve_ids, strict=True):
        conns.append(_FbxNode("C", [("S", "OP"), ("L", cid), ("L", cnode_id), ("S", f"d|{axis}")]))
    top = [
        _FbxNode(
            "FBXHeaderExtension",
            [],
            [
                _FbxNode("FBXHeaderVersion", [("I", 1003)]),
                _FbxNode("FBXVersion", [("I", 7400)]),
                _FbxNode("Creator", [("S", "motionblend sample_workspace")]),
            ],
        ),
        _FbxNode(
            "GlobalSettings",
            [],
            [
                _FbxNode("Version", [("I", 1000)]),
                _p70(
                    ("UpAxis", "int", "Integer", "", ("I", 1)),
                    ("UnitScaleFactor", "double", "Number", "", ("D", 1.0)),
                    ("TimeMode", "enum", "", "", ("I", FBX_TIME_MODES[m.fps])),
                    ("TimeSpanStart", "KTime", "Time", "", ("L", 0)),
                    ("TimeSpanStop", "KTime", "Time", "", ("L", stop)),
                    ("CustomFrameRate", "double", "Number", "", ("D", -1.0)),
                ),
            ],
        ),
        _FbxNode("Objects", [], objects),
        _FbxNode("Connections", [], conns),
    ]
    out = bytearray(_FBX_MAGIC + struct.pack("<I", 7400))
    for node in top:
        out += _fbx_node_bytes(node, len(out))
    out += b"\x00" * 13
    out += _FBX_FOOT_ID + b"\x00" * 4
    pad = (-len(out)) % 16 or 16
    out += b"\x00" * pad + struct.pack("<I", 7400) + b"\x00" * 120 + _FBX_FOOT_MAGIC
    return bytes(out)


def png_bytes(pixels: np.ndarray) -> bytes:
    """A real 8-bit greyscale PNG of a (H, W) uint8 array."""
    h, w = pixels.shape
    raw = b"".join(b"\x00" + row.tobytes() for row in pixels.astype(np.uint8))

    def chunk(tag: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(tag + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def _preview(m: Motion, size: int = 32) -> np.ndarray:
    """Top-down trace of the head over time as a tiny greyscale thumbnail."""
    pos = forward_kinematics(m)[:, min(4, len(m.joints) - 1)]
    img = np.full((size, size), 24, dtype=np.uint8)
    xz = pos[:, [0, 2]]
    span = np.ptp(xz, axis=0)
    norm = (xz - xz.min(axis=0)) / np.where(span > 0, span, 1.0)
    px = np.clip((norm * (size - 1)).round().astype(int), 0, size - 1)
    img[px[:, 1], px[:, 0]] = np.linspace(80, 255, len(px)).astype(np.uint8)
    return img


def iso(ts: float) -> str:
    """ISO 8601 UTC with a Z suffix; milliseconds only when the time has a fraction."""
    dt = datetime.fromtimestamp(ts, UTC)
    if ts != int(ts):
        return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------------------------------------
# Known answers
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FileRecord:
    path: str
    size_bytes: int
    sha256: str
    mtime: int  # seconds since the epoch, exactly as set with os.utime


@dataclass(frozen=True)
class MotionFile:
    path: str
    name: str  # file stem
    file_format: str  # bvh | glb | gltf | trc | npy | fbx (lower case, even for `.BVH`)
    frame_count: int
    joint_count: int | None  # None for a (T, D) NPY array
    fps: float | None  # None for NPY without a sidecar
    duration_seconds: float | None  # frame_count / fps
    last_frame_time: float | None  # (frame_count - 1) / fps
    location: str  # project_seed | seed | build | blend
    kind: str  # walk, wave, ..., blend
    skeleton: str  # full15 | upper9
    sidecar_path: str | None = None  # `<stem>.json` with {"fps": N}, NPY only


@dataclass(frozen=True)
class BlendJob:
    name: str  # stem shared by output and manifest
    naming: str  # manifest | double_underscore | blend_prefix
    status: str  # completed | failed
    left_ref: str  # as written in the manifest, or the name parsed from the file name
    right_ref: str
    left_path: str  # workspace-relative path of the resolved sequence file
    right_path: str
    manifest_path: str | None
    output_path: str | None  # None when the failed job left no output
    output_frame_count: int | None  # None when missing or corrupt
    job_id: str | None = None  # from the manifest (None: no manifest or no job_id key)
    blend_ratio: float | None = None
    method: str | None = None
    transition_start_frame: int | None = None
    transition_end_frame: int | None = None
    started_at: str | None = None
    completed_at: str | None = None
    duration_ms: int | None = None  # completed_at - started_at
    initiated_by: str | None = None
    error_message: str | None = None
    quality_category: str | None = None  # the blend_quality_metrics category it must land in


@dataclass(frozen=True)
class CorruptFile:
    path: str
    file_format: str
    problem: str
    expected_status: str  # "error" (MotionFileError) or "unsupported" (ASCII FBX)


@dataclass
class WorkspaceManifest:
    root: Path
    seed: int
    scale: int
    files: dict[str, FileRecord] = field(default_factory=dict)  # every file in the workspace
    motions: dict[str, MotionFile] = field(default_factory=dict)  # readable motion files
    sidecars: list[str] = field(default_factory=list)  # NPY `<stem>.json` fps sidecars
    blends: list[BlendJob] = field(default_factory=list)
    blend_manifests: list[str] = field(default_factory=list)
    artifacts: list[str] = field(default_factory=list)  # every file under build/demo_artifacts
    temporary_artifacts: list[str] = field(default_factory=list)  # *.tmp and tmp/ contents
    artifact_kinds: dict[str, str] = field(default_factory=dict)  # log|manifest|image|temporary
    artifact_jobs: dict[str, str] = field(default_factory=dict)  # artifact -> job_id it belongs to
    log_error_lines: dict[str, int] = field(default_factory=dict)  # *.log -> lines with " ERROR "
    ui_event_files: list[str] = field(default_factory=list)
    ui_events: int = 0  # valid JSON lines
    ui_event_ids: list[str] = field(default_factory=list)
    ui_events_by_type: dict[str, int] = field(default_factory=dict)
    ui_events_resulting_in_blend: int = 0
    ui_sequence_refs: dict[str, str] = field(default_factory=dict)  # interaction_id -> seq path
    ui_malformed_lines: list[tuple[str, int]] = field(default_factory=list)  # (file, 1-based)
    download_counts: dict[str, int] = field(default_factory=dict)  # file_path -> downloads
    last_downloaded: dict[str, str] = field(default_factory=dict)  # file_path -> ISO timestamp
    corrupt: dict[str, CorruptFile] = field(default_factory=dict)
    other_files: list[str] = field(default_factory=list)  # README, .DS_Store, ...

    @property
    def file_count(self) -> int:
        return len(self.files)

    @property
    def ui_malformed(self) -> int:
        return len(self.ui_malformed_lines)

    def motions_by_format(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for mf in self.motions.values():
            out[mf.file_format] = out.get(mf.file_format, 0) + 1
        return dict(sorted(out.items()))

    def files_by_extension(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for p in self.files:
            ext = Path(p).suffix.lower() or Path(p).name
            out[ext] = out.get(ext, 0) + 1
        return dict(sorted(out.items()))

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["root"] = str(self.root)
        return d


# ---------------------------------------------------------------------------------------------
# Workspace generator
# ---------------------------------------------------------------------------------------------

PROJECT = "project/seed_motions"
SEED = "seed_motions"
BUILD = "build/build_motions"
BLENDS = "build/blend_snn"
ARTIFACTS = "build/demo_artifacts"
UI = "build/ui_analytics"
_LOCATION = {PROJECT: "project_seed", SEED: "seed", BUILD: "build", BLENDS: "blend"}


class _Generator:
    def __init__(self, root: Path, seed: int, scale: int):
        self.root = root
        self.rng = np.random.default_rng(seed)
        self.m = WorkspaceManifest(root=root, seed=seed, scale=scale)
        self.kinds: dict[str, tuple[str, dict]] = {}  # sequence name -> (kind, kwargs)

    # -- low level ----------------------------------------------------------------------------
    def write(self, rel: str, data: bytes, mtime: int) -> str:
        if rel in self.m.files:
            raise RuntimeError(f"duplicate path {rel}")
        mtime = int(mtime)  # whole seconds, so st_mtime compares exactly
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        os.utime(path, (mtime, mtime))
        digest = hashlib.sha256(data).hexdigest()
        self.m.files[rel] = FileRecord(rel, len(data), digest, mtime)
        return rel

    def motion(
        self,
        rel: str,
        kind: str,
        frames: int,
        fps: int,
        mtime: int,
        *,
        sidecar: bool = True,
        flat: bool = False,
        crlf: bool = False,
        trc_blank_line: bool = True,
        motion: Motion | None = None,
        **kwargs,
    ) -> MotionFile:
        name = Path(rel).stem
        ext = Path(rel).suffix.lower().lstrip(".")
        m = motion or _animate(name, kind, frames, fps, self.rng, **kwargs)
        side_rel = None
        joint_count: int | None = len(m.joints)
        known_fps: float | None = float(fps)
        if ext == "bvh":
            data = bvh_bytes(m, newline="\r\n" if crlf else "\n")
        elif ext == "glb":
            data = glb_bytes(m)
        elif ext == "gltf":
            data = gltf_bytes(m)
        elif ext == "trc":
            data = trc_bytes(m, Path(rel).name, blank_line=trc_blank_line)
        elif ext == "fbx":
            data = fbx_bytes(m)
        elif ext == "npy":
            pos = (forward_kinematics(m) / 100.0).astype(np.float32)  # metres
            if flat:
                pos = pos.reshape(m.frames, -1)
                joint_count = None
            data = npy_bytes(pos)
            if sidecar:
                side_rel = str(Path(rel).with_suffix(".json").as_posix())
                side = json.dumps({"fps": fps}, indent=2) + "\n"
                self.write(side_rel, side.encode(), mtime)
                self.m.sidecars.append(side_rel)
            else:
                known_fps = None
        else:
            raise ValueError(rel)
        self.write(rel, data, mtime)
        location = next(v for k, v in _LOCATION.items() if rel.startswith(k + "/"))
        mf = MotionFile(
            path=rel,
            name=name,
            file_format=ext,
            frame_count=m.frames,
            joint_count=joint_count,
            fps=known_fps,
            duration_seconds=None if known_fps is None else m.frames / known_fps,
            last_frame_time=None if known_fps is None else (m.frames - 1) / known_fps,
            location=location,
            kind=m.kind,
            skeleton=m.skeleton,
            sidecar_path=side_rel,
        )
        self.m.motions[rel] = mf
        if motion is None:
            self.kinds[name] = (kind, {"skeleton": m.skeleton, **kwargs})
        return mf

    def corrupt(self, rel: str, data: bytes, fmt: str, problem: str, status="error", mtime=0):
        self.write(rel, data, mtime or T0 - 2 * DAY)
        self.m.corrupt[rel] = CorruptFile(rel, fmt, problem, status)

    def artifact(self, rel: str, data: bytes, kind: str, mtime: int, job: str | None = None):
        self.write(rel, data, mtime)
        self.m.artifacts.append(rel)
        temporary = rel.endswith(".tmp") or "/tmp/" in rel
        self.m.artifact_kinds[rel] = "temporary" if temporary else kind
        if temporary:
            self.m.temporary_artifacts.append(rel)
        if job:
            self.m.artifact_jobs[rel] = job
        if rel.endswith(".log"):
            self.m.log_error_lines[rel] = sum(
                1 for line in data.decode().splitlines() if " ERROR " in line
            )

    def path_of(self, name: str) -> str:
        hits = [p for p, mf in self.m.motions.items() if mf.name == name]
        if len(hits) != 1:
            raise RuntimeError(f"sequence name {name!r} is not unique: {hits}")
        return hits[0]

    def blend(
        self,
        name: str,
        ext: str | None,
        left_ref: str,
        right_ref: str,
        *,
        frames: int,
        fps: int,
        naming: str,
        manifest: dict | None = None,
        output: str = "ok",  # ok | missing | truncated
        mtime: int,
    ) -> BlendJob:
        left_path = left_ref if "/" in left_ref else self.path_of(left_ref)
        right_path = right_ref if "/" in right_ref else self.path_of(right_ref)
        left_kind = self.kinds[self.m.motions[left_path].name]
        right_kind = self.kinds[self.m.motions[right_path].name]
        ratio = manifest.get("blend_ratio", 0.5) if manifest else 0.5
        start = manifest.get("transition_start_frame", frames // 4) if manifest else frames // 4
        end = manifest.get("transition_end_frame", frames // 2) if manifest else frames // 2
        m = _blend(name, left_kind, right_kind, frames, fps, ratio, start, end, self.rng)
        out_rel = f"{BLENDS}/{name}.{ext}" if ext else None
        frame_count = None
        if out_rel and output == "ok":
            # No fps sidecar for NPY outputs: `<name>.json` beside an output is its manifest.
            out = self.motion(out_rel, "blend", frames, fps, mtime, motion=m, sidecar=False)
            frame_count = out.frame_count
        elif out_rel and output == "truncated":
            full = glb_bytes(m) if ext == "glb" else bvh_bytes(m)
            self.corrupt(
                out_rel, full[: len(full) // 3], ext, "failed blend: output cut short", mtime=mtime
            )
        manifest_rel = None
        if manifest is not None:
            doc = {"left": left_ref, "right": right_ref, **manifest}
            manifest_rel = self.write(
                f"{BLENDS}/{name}.json", (json.dumps(doc, indent=2) + "\n").encode(), mtime
            )
            self.m.blend_manifests.append(manifest_rel)
        man = manifest or {}
        started, completed = man.get("started_at"), man.get("completed_at")
        duration_ms = None
        if started and completed:
            duration_ms = round((_parse_iso(completed) - _parse_iso(started)) * 1000)
        job = BlendJob(
            name=name,
            naming=naming,
            status=man.get("status", "completed"),
            left_ref=left_ref,
            right_ref=right_ref,
            left_path=left_path,
            right_path=right_path,
            manifest_path=manifest_rel,
            output_path=out_rel if output != "missing" else None,
            output_frame_count=frame_count,
            job_id=man.get("job_id"),
            blend_ratio=man.get("blend_ratio"),
            method=man.get("method"),
            transition_start_frame=man.get("transition_start_frame"),
            transition_end_frame=man.get("transition_end_frame"),
            started_at=started,
            completed_at=completed,
            duration_ms=duration_ms,
            initiated_by=man.get("initiated_by"),
            error_message=man.get("error_message"),
        )
        self.m.blends.append(job)
        return job

    # -- the hand-made base workspace ---------------------------------------------------------
    def base(self) -> None:
        h = 3600
        mo = self.motion
        # Primary library, captured a few days before T0.
        mo(f"{PROJECT}/walk_fast.bvh", "walk", 120, 30, T0 - 5 * DAY, speed=1.3)
        mo(f"{PROJECT}/wave_left.bvh", "wave", 240, 60, T0 - 5 * DAY + h, side="left")
        mo(f"{PROJECT}/walk_slow.glb", "walk", 90, 30, T0 - 5 * DAY + 2 * h, speed=0.7)
        mo(f"{PROJECT}/wave_right.glb", "wave", 96, 24, T0 - 5 * DAY + 3 * h, side="right")
        mo(f"{PROJECT}/jog.trc", "jog", 120, 60, T0 - 4 * DAY)
        mo(f"{PROJECT}/idle_breathing.npy", "idle", 90, 30, T0 - 4 * DAY + h)
        mo(f"{PROJECT}/sidestep.npy", "sidestep", 60, 30, T0 - 4 * DAY + 2 * h, sidecar=False)
        mo(f"{PROJECT}/turn_in_place.fbx", "turn", 60, 30, T0 - 4 * DAY + 3 * h)
        mo(f"{PROJECT}/Stretch_Take2.BVH", "stretch", 72, 24, T0 - 4 * DAY + 4 * h, crlf=True)
        mo(
            f"{PROJECT}/mocap session 2/walk_upper_body.bvh",
            "walk",
            48,
            24,
            T0 - 3 * DAY,
            skeleton="upper9",
        )
        mo(f"{PROJECT}/walk_cycle.gltf", "walk", 60, 30, T0 - 3 * DAY + h)
        readme = (
            "# Seed motion library\n\nCaptured 2024-03-09..11, Vicon -> BVH/GLB/TRC/NPY.\n"
            "Broken exports live in corrupt/ until re-captured.\n"
        )
        self.write(f"{PROJECT}/README.md", readme.encode(), T0 - 3 * DAY)
        self.write(f"{PROJECT}/.DS_Store", b"\x00\x00\x00\x01Bud1" + bytes(26), T0 - 3 * DAY)
        self.m.other_files += [f"{PROJECT}/README.md", f"{PROJECT}/.DS_Store"]

        mo(f"{SEED}/walk_backward.bvh", "walk", 100, 25, T0 - 6 * DAY, speed=-0.8)
        mo(f"{SEED}/wave_both.trc", "wave", 150, 50, T0 - 6 * DAY + h, side="both")
        mo(f"{SEED}/crouch.npy", "crouch", 120, 60, T0 - 6 * DAY + 2 * h)
        mo(f"{SEED}/reach_flat.npy", "reach", 60, 30, T0 - 6 * DAY + 3 * h, flat=True)

        mo(f"{BUILD}/walk_fast_retarget.glb", "walk", 120, 30, T0 - 2 * DAY, speed=1.3)
        mo(f"{BUILD}/jog_60fps.bvh", "jog", 180, 60, T0 - 2 * DAY + h)
        mo(
            f"{BUILD}/wave_left_mirror.trc",
            "wave",
            120,
            120,
            T0 - 2 * DAY + 2 * h,
            side="right",
            trc_blank_line=False,
        )
        mo(f"{BUILD}/idle_long.npy", "idle", 240, 24, T0 - 2 * DAY + 3 * h)
        mo(f"{BUILD}/crouch_export.fbx", "crouch", 96, 24, T0 - 2 * DAY + 4 * h)

        self._base_corrupt()
        self._base_blends()
        self._base_artifacts()
        self._ui_events()

    def _base_corrupt(self) -> None:
        c = f"{PROJECT}/corrupt"
        m = _animate("x", "walk", 30, 30, self.rng)
        bvh = bvh_bytes(m)
        cut = bvh.index(b"JOINT LeftArm") + 9
        self.corrupt(f"{c}/truncated_hierarchy.bvh", bvh[:cut], "bvh", "hierarchy cut mid-JOINT")
        glb = glb_bytes(m)
        self.corrupt(f"{c}/bad_magic.glb", b"glTX" + glb[4:], "glb", "magic is not glTF")
        self.corrupt(f"{c}/truncated.glb", glb[:200], "glb", "JSON chunk cut, header length lies")
        trc = (
            "PathFileType\t4\t(X/Y/Z)\tmissing_header.trc\nDataRate\tCameraRate\n"
            "1\t0.00000\t0.0\t94.0\t0.0\n2\t0.03333\t0.1\t94.0\t3.7\n"
        )
        self.corrupt(f"{c}/missing_header.trc", trc.encode(), "trc", "no NumFrames/NumMarkers")
        npy = npy_bytes(np.zeros((30, 15, 3), dtype=np.float32))
        self.corrupt(f"{c}/truncated_header.npy", npy[:40], "npy", "header dict cut")
        self.corrupt(f"{c}/empty_export.glb", b"", "glb", "zero-byte file")
        fbx = fbx_bytes(m)
        self.corrupt(f"{c}/truncated_binary.fbx", fbx[:60], "fbx", "binary FBX cut in first node")
        ascii_fbx = (
            "; FBX 7.4.0 project file\n; Copyright (C) 1997-2015 Autodesk Inc.\n"
            "; ----------------------------------------------------\n\n"
            "FBXHeaderExtension:  {\n\tFBXHeaderVersion: 1003\n\tFBXVersion: 7400\n}\n"
            'GlobalSettings:  {\n\tVersion: 1000\n\tProperties70:  {\n\t\tP: "TimeMode", "enum",'
            ' "", "",6\n\t}\n}\n'
        )
        self.corrupt(
            f"{c}/ascii_export.fbx", ascii_fbx.encode(), "fbx", "ASCII FBX", status="unsupported"
        )

    def _base_blends(self) -> None:
        d1, d2 = T0, T0 + DAY

        def man(job_id, ratio, method, start, end, t_start, secs, user, **extra):
            doc = {
                "job_id": job_id,
                "blend_ratio": ratio,
                "method": method,
                "transition_start_frame": start,
                "transition_end_frame": end,
                "status": "completed",
                "started_at": iso(t_start),
                "completed_at": iso(t_start + secs),
                "initiated_by": user,
                "processing_config": {
                    "model": "snn-blend-v2",
                    "device": "cuda:0",
                    "timesteps": 64,
                    "smoothing": "savgol",
                    "seed": int(self.rng.integers(0, 10_000)),
                },
                "performance_metrics": {
                    "wall_time_ms": round(secs * 1000),
                    "gpu_mem_peak_mb": round(float(self.rng.uniform(900, 2400)), 1),
                    "spikes_per_frame": round(float(self.rng.uniform(1e3, 5e3)), 2),
                    "foot_skate_cm": round(float(self.rng.uniform(0.2, 2.5)), 3),
                },
                "error_message": None,
            }
            doc.update(extra)
            return doc

        b = self.blend
        b(
            "mb_walk_wave_0001",
            "bvh",
            f"{PROJECT}/walk_fast.bvh",
            f"{PROJECT}/wave_left.bvh",
            frames=120,
            fps=30,
            naming="manifest",
            mtime=d1 + 3600 + 42,
            manifest=man(
                "blend-20240314-0001", 0.5, "snn_crossfade", 30, 60, d1 + 3600, 42.25, "alice"
            ),
        )
        b(
            "jog_idle_mix",
            "glb",
            "jog",
            "idle_breathing",
            frames=90,
            fps=30,
            naming="manifest",
            mtime=d1 + 2 * 3600 + 20,
            manifest=man(
                "blend-20240314-0002", 0.35, "slerp", 20, 70, d1 + 2 * 3600, 19.5, "alice"
            ),
        )
        b(
            "backward_crouch",
            "trc",
            f"{SEED}/walk_backward.bvh",
            "crouch",
            frames=100,
            fps=50,
            naming="manifest",
            mtime=d1 + 5 * 3600 + 61,
            manifest=man(
                "blend-20240314-0003", 0.7, "snn_temporal", 25, 75, d1 + 5 * 3600, 61.0, "bob"
            ),
        )
        no_id = man(None, 0.6, "snn_crossfade", 10, 40, d1 + 7 * 3600, 12.75, None)
        del no_id["job_id"], no_id["initiated_by"]
        b(
            "turn_wave",
            "bvh",
            "turn_in_place",
            "wave_right",
            frames=60,
            fps=30,
            naming="manifest",
            mtime=d1 + 7 * 3600 + 13,
            manifest=no_id,
        )
        b(
            "failed_walk_crouch",
            "glb",
            f"{PROJECT}/walk_slow.glb",
            f"{SEED}/crouch.npy",
            frames=90,
            fps=30,
            naming="manifest",
            output="missing",
            mtime=d2 + 3600 + 4,
            manifest=man(
                "blend-20240315-0005",
                0.5,
                "snn_crossfade",
                20,
                50,
                d2 + 3600,
                3.5,
                "carol",
                status="failed",
                performance_metrics={"wall_time_ms": 3500},
                error_message="RuntimeError: CUDA out of memory. Tried to allocate 2.00 GiB",
            ),
        )
        b(
            "wave_jog_spiky",
            "glb",
            "wave_both",
            "jog_60fps",
            frames=120,
            fps=60,
            naming="manifest",
            output="truncated",
            mtime=d2 + 2 * 3600 + 9,
            manifest=man(
                "blend-20240315-0006",
                0.45,
                "snn_temporal",
                30,
                90,
                d2 + 2 * 3600,
                8.8,
                "bob",
                status="failed",
                error_message="SNN diverged: NaN membrane potential at frame 37; output truncated",
            ),
        )
        # No manifest: the pair is only in the name.
        b(
            "walk_slow__wave_right",
            "bvh",
            "walk_slow",
            "wave_right",
            frames=90,
            fps=30,
            naming="double_underscore",
            mtime=d2 + 4 * 3600,
        )
        b(
            "blend_walk_fast_wave_left",
            "npy",
            "walk_fast",
            "wave_left",
            frames=120,
            fps=30,
            naming="blend_prefix",
            mtime=d2 + 5 * 3600,
        )

    def _base_artifacts(self) -> None:
        a = ARTIFACTS
        d1, d2 = T0, T0 + DAY
        jobs = {j.name: j for j in self.m.blends}
        listing = {
            "generated_at": iso(d2 + 6 * 3600),
            "pipeline": "motionblend demo",
            "jobs": [j.job_id for j in self.m.blends if j.job_id],
            "outputs": [j.output_path for j in self.m.blends if j.output_path],
            "previews": [f"{a}/previews/mb_walk_wave_0001.png", f"{a}/previews/jog_idle_mix.png"],
        }
        self.artifact(
            f"{a}/demo_manifest.json",
            (json.dumps(listing, indent=2) + "\n").encode(),
            "manifest",
            d2 + 6 * 3600,
        )
        for name in ("mb_walk_wave_0001", "jog_idle_mix"):
            job = jobs[name]
            mf = self.m.motions[job.output_path]
            m = _animate(name, "walk", mf.frame_count, int(mf.fps), self.rng)
            self.artifact(
                f"{a}/previews/{name}.png",
                png_bytes(_preview(m)),
                "image",
                _parse_iso(job.completed_at) + 5,
                job=job.job_id,
            )
        pipeline = [
            "2024-03-14 10:00:00,001 INFO pipeline: loading seed library (11 files)",
            "2024-03-14 10:00:00,412 WARNING pipeline: walk_upper_body.bvh has 9 joints, "
            "expected 15; skipping for blends",
            "2024-03-14 10:00:01,007 ERROR extractor: corrupt/truncated_hierarchy.bvh: "
            "unexpected end of file in HIERARCHY",
            "2024-03-14 10:00:01,009 ERROR extractor: corrupt/bad_magic.glb: invalid glTF magic",
            "2024-03-14 10:00:42,250 INFO blend_snn: blend-20240314-0001 completed in 42250 ms",
            "2024-03-14 11:00:19,500 INFO blend_snn: blend-20240314-0002 completed in 19500 ms",
            "2024-03-14 14:01:01,000 INFO blend_snn: blend-20240314-0003 completed in 61000 ms",
            "2024-03-15 10:00:03,500 ERROR blend_snn: blend-20240315-0005 failed: CUDA out of "
            "memory",
            "2024-03-15 11:00:08,800 ERROR blend_snn: blend-20240315-0006 failed: SNN diverged",
            "2024-03-15 11:00:09,000 INFO pipeline: done (2 failed)",
        ]
        self.artifact(
            f"{a}/logs/pipeline.log", ("\n".join(pipeline) + "\n").encode(), "log", d2 + 7200 + 10
        )
        job5 = [
            "2024-03-15 10:00:00,000 INFO blend_snn: job blend-20240315-0005 started by carol",
            "2024-03-15 10:00:00,020 INFO blend_snn: left=project/seed_motions/walk_slow.glb "
            "right=seed_motions/crouch.npy ratio=0.5",
            "2024-03-15 10:00:03,498 ERROR blend_snn: RuntimeError: CUDA out of memory. "
            "Tried to allocate 2.00 GiB",
            "Traceback (most recent call last):",
            '  File "blend_snn/run.py", line 88, in step',
            "RuntimeError: CUDA out of memory. Tried to allocate 2.00 GiB",
            "2024-03-15 10:00:03,500 ERROR blend_snn: job blend-20240315-0005 failed",
        ]
        self.artifact(
            f"{a}/logs/blend-20240315-0005.log",
            ("\n".join(job5) + "\n").encode(),
            "log",
            d2 + 3600 + 4,
            job="blend-20240315-0005",
        )
        self.artifact(f"{a}/render_0001.tmp", self.rng.bytes(512), "temporary", d1 + 3600 + 50)
        self.artifact(f"{a}/tmp/frame_cache.bin", self.rng.bytes(2048), "temporary", d2 + 7200)
        partial = json.dumps({"job_id": "blend-20240315-0006", "frames_written": 37}) + "\n"
        self.artifact(f"{a}/tmp/partial_export.json", partial.encode(), "temporary", d2 + 7200 + 9)

    def _ui_events(self) -> None:
        rng = self.rng
        uas = [
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_3) AppleWebKit/605.1.15 Safari/605.1.15",
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/122.0.0.0 Safari/537.36",
            "Mozilla/5.0 (X11; Linux x86_64; rv:123.0) Gecko/20100101 Firefox/123.0",
        ]
        viewports = ["1920x1080", "2560x1440", "1440x900"]
        names = [
            "walk_fast",
            "wave_left",
            "walk_slow",
            "wave_right",
            "jog",
            "idle_breathing",
            "crouch",
            "walk_backward",
        ]
        downloads = {  # session index -> artifacts it downloads (in order)
            0: [f"{ARTIFACTS}/previews/mb_walk_wave_0001.png", f"{BLENDS}/mb_walk_wave_0001.bvh"],
            1: [f"{ARTIFACTS}/previews/mb_walk_wave_0001.png", f"{BLENDS}/jog_idle_mix.glb"],
            2: [f"{ARTIFACTS}/logs/pipeline.log", f"{BLENDS}/mb_walk_wave_0001.bvh"],
            3: [f"{ARTIFACTS}/previews/mb_walk_wave_0001.png"],
        }
        sessions = [  # (session id, start, file index, number of non-download events)
            ("sess-7f3a9c", T0 + 1800, 0, 12),
            ("sess-91bc02", T0 + 5 * 3600 + 300, 0, 14),
            ("sess-c2d4e7", T0 + DAY + 1200, 1, 11),
            ("sess-e8f15a", T0 + DAY + 6 * 3600, 1, 6),
        ]
        lines: list[list[str]] = [[], []]
        counter = 0
        for s, (sid, start, fidx, n) in enumerate(sessions):
            ts = float(start)
            ua, vp = uas[s % len(uas)], viewports[s % len(viewports)]
            plan = ["view", "play", "view", "play"] + [
                str(x)
                for x in rng.choice(
                    ["view", "play", "adjust_weight", "adjust_weight", "blend"], n - 5
                )
            ]
            plan += ["blend"] + ["download"] * len(downloads[s])
            dl = iter(downloads[s])
            for etype in plan:
                counter += 1
                ts += float(rng.integers(2, 90)) + (0.125 if counter % 3 == 0 else 0.0)
                seq = str(rng.choice(names))
                ev: dict = {"interaction_id": f"ui-{counter:05d}", "session_id": sid}
                ev["interaction_type"] = etype
                params: dict
                if etype == "download":
                    path = next(dl)
                    params = {"file_path": path, "format": Path(path).suffix.lstrip(".")}
                    seq = None
                elif etype == "blend":
                    other = str(rng.choice([x for x in names if x != seq]))
                    params = {"left": seq, "right": other, "ratio": 0.5, "method": "snn_crossfade"}
                elif etype == "adjust_weight":
                    params = {"slot": "A", "from": 0.5, "to": round(float(rng.uniform(0, 1)), 2)}
                elif etype == "play":
                    params = {"loop": bool(rng.integers(0, 2)), "speed": 1.0}
                else:
                    params = {"panel": "library"}
                if seq is not None:
                    key = "sequence_id" if fidx == 1 and counter % 4 == 0 else "sequence_name"
                    ev[key] = seq
                    self.m.ui_sequence_refs[ev["interaction_id"]] = self.path_of(seq)
                ev["timestamp"] = iso(ts)
                ev["parameters"] = params
                ev["duration_ms"] = int(rng.integers(40, 4000))
                ev["resulted_in_blend"] = etype == "blend"
                ev["user_agent"] = ua
                ev["viewport_size"] = vp
                ev["performance_timing"] = {
                    "load_ms": int(rng.integers(20, 400)),
                    "render_ms": round(float(rng.uniform(4, 30)), 1),
                }
                lines[fidx].append(json.dumps(ev))
                m = self.m
                m.ui_event_ids.append(ev["interaction_id"])
                m.ui_events_by_type[etype] = m.ui_events_by_type.get(etype, 0) + 1
                m.ui_events_resulting_in_blend += etype == "blend"
                if etype == "download":
                    m.download_counts[path] = m.download_counts.get(path, 0) + 1
                    m.last_downloaded[path] = ev["timestamp"]
        # One line cut mid-write (browser tab closed while flushing).
        bad = lines[1][10]
        lines[1].insert(11, bad[: len(bad) // 2])
        self.m.ui_events = len(self.m.ui_event_ids)
        for i, (day, chunk) in enumerate(zip(("2024-03-14", "2024-03-15"), lines, strict=True)):
            rel = f"{UI}/events_{day}.jsonl"
            self.write(rel, ("\n".join(chunk) + "\n").encode(), T0 + (i + 1) * DAY - 60)
            self.m.ui_event_files.append(rel)
        self.m.ui_malformed_lines.append((f"{UI}/events_2024-03-15.jsonl", 12))

    # -- bulk variations for the benchmark ----------------------------------------------------
    def bulk(self, n_files: int) -> None:
        """Add exactly `n_files` files by repeating the motion set with variations."""
        rng = self.rng
        budget = n_files
        r = 0
        while budget > 0:
            r += 1
            tag = f"{r:04d}"
            t = T0 + DAY + 8 * 3600 + r * 97
            bm, lib, takes = f"{BUILD}/batch_{tag}", f"{SEED}/library", f"{PROJECT}/takes"
            units = [  # (rel, kind, fmt kwargs, files it takes)
                (f"{bm}/walk_{tag}.bvh", "walk", {}, 1),
                (f"{bm}/wave_{tag}.glb", "wave", {"side": "left"}, 1),
                (f"{bm}/jog_{tag}.trc", "jog", {}, 1),
                (f"{bm}/idle_{tag}.npy", "idle", {}, 2),
                (f"{bm}/turn_{tag}.fbx", "turn", {}, 1),
                (f"{bm}/sidestep_{tag}.npy", "sidestep", {"sidecar": False}, 1),
                (f"{lib}/crouch_lib_{tag}.bvh", "crouch", {}, 1),
                (f"{lib}/stretch_lib_{tag}.npy", "stretch", {}, 2),
                (f"{lib}/reach_lib_{tag}.trc", "reach", {}, 1),
                (f"{takes}/batch_{tag}/walk_take_{tag}.glb", "walk", {}, 1),
                (f"{takes}/batch_{tag}/wave_take_{tag}.bvh", "wave", {"side": "right"}, 1),
                ("blend", "manifest", {}, 2),
                ("blend", "double_underscore", {}, 1),
                ("artifact", "png", {}, 1),
                ("artifact", "log", {}, 1),
                (f"{takes}/batch_{tag}/idle_take_{tag}.npy", "idle", {}, 2),
            ]
            for rel, kind, kw, cost in units:
                if budget <= 0:
                    break
                if cost > budget:  # last slot: a single-file motion instead
                    rel, kind, kw, cost = f"{bm}/fill_{tag}.bvh", "walk", {}, 1
                budget -= cost
                if rel == "blend":
                    self._bulk_blend(kind, tag, t)
                elif rel == "artifact":
                    self._bulk_artifact(kind, tag, t)
                else:
                    ext = rel.rsplit(".", 1)[1]
                    fps = int(rng.choice([24, 30, 60] if ext == "fbx" else [24, 30, 60, 120]))
                    frames = int(rng.integers(24, 97))
                    speed = round(float(rng.uniform(0.6, 1.5)), 2)
                    self.motion(rel, kind, frames, fps, t, speed=speed, **kw)
                t += 1

    def _bulk_blend(self, naming: str, tag: str, t: int) -> None:
        a, b = f"walk_{tag}", f"wave_{tag}"
        frames, fps = int(self.rng.integers(30, 91)), 30
        if naming == "manifest":
            start = frames // 4
            doc = {
                "job_id": f"bulk-{tag}",
                "blend_ratio": round(float(self.rng.uniform(0.2, 0.8)), 2),
                "method": str(self.rng.choice(["snn_crossfade", "slerp", "snn_temporal"])),
                "transition_start_frame": start,
                "transition_end_frame": start + frames // 3,
                "status": "completed",
                "started_at": iso(t - 30),
                "completed_at": iso(t),
                "initiated_by": "batch-runner",
                "processing_config": {"model": "snn-blend-v2", "batch": tag},
                "performance_metrics": {"wall_time_ms": 30000},
            }
            self.blend(
                f"bulk_{tag}", "bvh", self.path_of(a), self.path_of(b), frames=frames, fps=fps,
                naming="manifest", manifest=doc, mtime=t,
            )  # fmt: skip
        else:
            self.blend(f"{a}__{b}", "trc", a, b, frames=frames, fps=fps, naming=naming, mtime=t)

    def _bulk_artifact(self, kind: str, tag: str, t: int) -> None:
        d = f"{ARTIFACTS}/batches/batch_{tag}"
        if kind == "png":
            m = _animate(f"p{tag}", "walk", 30, 30, self.rng)
            self.artifact(f"{d}/preview_{tag}.png", png_bytes(_preview(m, 16)), "image", t)
        else:
            errors = int(self.rng.integers(0, 3))
            lines = [f"{iso(t)} INFO batch_runner: batch {tag} started"]
            lines += [f"{iso(t)} ERROR batch_runner: retry {i + 1} failed" for i in range(errors)]
            lines.append(f"{iso(t)} INFO batch_runner: batch {tag} done")
            self.artifact(f"{d}/batch_{tag}.log", ("\n".join(lines) + "\n").encode(), "log", t)

    # -- blends of every quality, for blend_quality_metrics ------------------------------------
    def quality_blends(self) -> None:
        """Three smooth sources (BVH in cm, TRC in mm, GLB in metres) and four NPY blends of
        them (metres, a manifest with the fps), one per quality category:

        excellent   a 30-frame crossfade from the walk to the jog (roots aligned)
        good        a 10-frame crossfade (in a 30-frame window) from the walk to the wave: abrupt,
                    but the content is intact
        acceptable  the walk frozen from its middle on: a sudden stop and motion lost
        poor        noise where a blend should be (a diverged model)
        """
        frames, fps, mtime = QUALITY_FRAMES, 30, T0 + 2 * DAY
        rng = np.random.default_rng(self.m.seed + 10_000)
        folder = f"{PROJECT}/quality"
        sources = {}
        for name, kind, ext, kwargs in (
            ("q_walk", "walk", "bvh", {}),
            ("q_jog", "jog", "trc", {}),
            ("q_wave", "wave", "glb", {"side": "left"}),
        ):
            m = _animate(name, kind, frames, fps, rng, jitter=False, **kwargs)
            self.motion(f"{folder}/{name}.{ext}", kind, frames, fps, mtime, motion=m)
            sources[name] = (f"{folder}/{name}.{ext}", forward_kinematics(m))
        walk = sources["q_walk"][1]

        def meet(other: np.ndarray) -> np.ndarray:  # the other root meets the walk's mid-way
            shift = walk[frames // 2, 0] - other[frames // 2, 0]
            shift[1] = 0.0
            return other + shift

        def fade(other: np.ndarray, start: int, end: int) -> np.ndarray:
            w = np.clip((np.arange(frames) - start) / (end - start), 0.0, 1.0)[:, None, None]
            return (1 - w) * walk + w * meet(other)

        frozen = walk.copy()
        frozen[frames // 2 :] = walk[frames // 2]
        noise = rng.normal(0.0, 40.0, walk.shape) + walk.mean(axis=(0, 1))
        blends = (
            ("excellent", "q_jog", fade(sources["q_jog"][1], 60, 90), (60, 90), "crossfade"),
            ("good", "q_wave", fade(sources["q_wave"][1], 70, 80), (60, 90), "crossfade"),
            ("acceptable", "q_jog", frozen, (60, 90), "snn_temporal"),
            ("poor", "q_wave", noise, (60, 90), "snn_temporal"),
        )
        for number, (category, right, positions, window, method) in enumerate(blends, 1):
            name = f"quality_{category}"
            manifest = {
                "job_id": f"quality-{number:04d}",
                "left": sources["q_walk"][0],
                "right": sources[right][0],
                "blend_ratio": 1.0,
                "method": method,
                "transition_start_frame": window[0],
                "transition_end_frame": window[1],
                "fps": fps,
                "status": "completed",
            }
            out_rel = f"{BLENDS}/{name}.npy"
            self.write(out_rel, npy_bytes((positions / 100.0).astype(np.float32)), mtime)
            manifest_rel = self.write(
                f"{BLENDS}/{name}.json", (json.dumps(manifest, indent=2) + "\n").encode(), mtime
            )
            self.m.blend_manifests.append(manifest_rel)
            self.m.motions[out_rel] = MotionFile(
                path=out_rel,
                name=name,
                file_format="npy",
                frame_count=frames,
                joint_count=positions.shape[1],
                fps=float(fps),
                duration_seconds=frames / fps,
                last_frame_time=(frames - 1) / fps,
                location="blend",
                kind="blend",
                skeleton="full15",
                sidecar_path=manifest_rel,
            )
            self.m.blends.append(
                BlendJob(
                    name=name,
                    naming="manifest",
                    status="completed",
                    left_ref=manifest["left"],
                    right_ref=manifest["right"],
                    left_path=manifest["left"],
                    right_path=manifest["right"],
                    manifest_path=manifest_rel,
                    output_path=out_rel,
                    output_frame_count=frames,
                    job_id=manifest["job_id"],
                    blend_ratio=1.0,
                    method=method,
                    transition_start_frame=window[0],
                    transition_end_frame=window[1],
                    quality_category=category,
                )
            )

    def finish(self) -> WorkspaceManifest:
        dirs = sorted({p for rel in self.m.files for p in (self.root / rel).parents}, reverse=True)
        for d in dirs:
            if d != self.root and self.root in d.parents:
                os.utime(d, (DIR_MTIME, DIR_MTIME))
        self.m.files = dict(sorted(self.m.files.items()))
        return self.m


def _parse_iso(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def generate_workspace(
    root: Path | str,
    *,
    scale: int = 1,
    seed: int = 7,
    files: int | None = None,
    quality_blends: bool = False,
) -> WorkspaceManifest:
    """Write a sample workspace under `root` (created; must be missing or empty).

    scale=1 is the hand-made workspace (57 files); each extra scale step adds one round of
    ROUND_FILES (20) varied files: motions in every format, NPY sidecars, blends with and without
    manifests, previews and logs. `files=N` overrides `scale` and makes the workspace hold
    exactly N files (N >= the scale-1 count); BENCHMARK_FILES (2000) is the benchmark size.
    `quality_blends=True` adds QUALITY_BLEND_FILES more: smooth sources and four blends of them
    that land in each blend_quality_metrics category (see `_Generator.quality_blends`).
    """
    root = Path(root)
    if root.exists() and any(root.iterdir()):
        raise FileExistsError(f"{root} is not empty")
    if scale < 1:
        raise ValueError("scale must be >= 1")
    root.mkdir(parents=True, exist_ok=True)
    gen = _Generator(root, seed, scale)
    gen.base()
    base = len(gen.m.files)
    if files is not None:
        if files < base:
            raise ValueError(f"files must be >= {base} (the base workspace)")
        gen.bulk(files - base)
    else:
        gen.bulk((scale - 1) * ROUND_FILES)
    if quality_blends:
        gen.quality_blends()
    return gen.finish()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dest", type=Path, help="workspace directory to create (missing or empty)")
    ap.add_argument("--files", type=int, help=f"exact number of files (e.g. {BENCHMARK_FILES})")
    ap.add_argument("--scale", type=int, default=1)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--manifest", type=Path, help="write the known answers here as JSON")
    ap.add_argument("--quality-blends", action="store_true", help="add blends of each quality")
    args = ap.parse_args(argv)
    started = time.perf_counter()
    m = generate_workspace(
        args.dest,
        scale=args.scale,
        seed=args.seed,
        files=args.files,
        quality_blends=args.quality_blends,
    )
    elapsed = time.perf_counter() - started
    if args.manifest:
        args.manifest.write_text(json.dumps(m.to_dict(), indent=2) + "\n")
    summary = {
        "root": str(m.root),
        "files": m.file_count,
        "seconds": round(elapsed, 3),
        "by_extension": m.files_by_extension(),
        "motions": m.motions_by_format(),
        "blends": len(m.blends),
        "artifacts": len(m.artifacts),
        "temporary_artifacts": len(m.temporary_artifacts),
        "ui_events": m.ui_events,
        "ui_malformed_lines": m.ui_malformed,
        "corrupt": len(m.corrupt),
    }
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
