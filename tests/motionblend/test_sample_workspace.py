"""The sample-workspace generator is deterministic and its known answers are true.

Each check re-derives a number from the bytes on disk (BVH motion lines, GLB accessors, TRC
rows, NPY shapes, FBX nodes, JSONL lines) instead of trusting the manifest.
"""

import json
import os
import struct
import time
import zlib
from pathlib import Path

import numpy as np
import pygltflib
import pytest

from tests.motionblend.sample_workspace import (
    BENCHMARK_FILES,
    ROUND_FILES,
    WorkspaceManifest,
    generate_workspace,
    main,
)


@pytest.fixture(scope="module")
def ws(tmp_path_factory) -> WorkspaceManifest:
    return generate_workspace(tmp_path_factory.mktemp("ws") / "workspace")


def _snapshot(root: Path) -> dict[str, tuple]:
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            rel = p.relative_to(root).as_posix()
            st = p.stat()
            out[rel] = (p.read_bytes() if p.is_file() else None, st.st_mtime_ns)
    return out


# --- tiny independent parsers -----------------------------------------------------------------


def _bvh(path: Path) -> dict:
    lines = path.read_text().splitlines()
    motion = lines.index("MOTION")
    head = [line.strip() for line in lines[:motion]]
    joints = [line.split()[1] for line in head if line.split()[0] in ("ROOT", "JOINT")]
    channels = sum(int(line.split()[1]) for line in head if line.startswith("CHANNELS"))
    assert head.count("{") == head.count("}")
    frames = int(lines[motion + 1].split(":")[1])
    frame_time = float(lines[motion + 2].split(":")[1])
    rows = [line.split() for line in lines[motion + 3 :] if line.strip()]
    return {
        "joints": joints,
        "channels": channels,
        "frames": frames,
        "ft": frame_time,
        "rows": rows,
    }


def _trc(path: Path) -> dict:
    lines = path.read_text().splitlines()
    header = dict(zip(lines[1].split("\t"), lines[2].split("\t"), strict=True))
    markers = [m for m in lines[3].split("\t")[2:] if m]
    rows = [line.split("\t") for line in lines[5:] if line.strip()]
    return {"header": header, "markers": markers, "rows": rows}


def _fbx(data: bytes) -> tuple[int, list]:
    assert data[:23] == b"Kaydara FBX Binary  \x00\x1a\x00"
    version = struct.unpack_from("<I", data, 23)[0]
    scalar = {"I": "<i", "Y": "<h", "L": "<q", "D": "<d", "F": "<f", "C": "<?"}
    arrays = {"i": "<i4", "l": "<i8", "f": "<f4", "d": "<f8", "b": "<u1"}

    def read(pos: int):
        end, nprops, _plen, nlen = struct.unpack_from("<IIIB", data, pos)
        if end == 0:
            return None, pos + 13
        if end > len(data):
            raise ValueError("node ends past EOF")
        name = data[pos + 13 : pos + 13 + nlen].decode()
        p = pos + 13 + nlen
        props = []
        for _ in range(nprops):
            t = chr(data[p])
            p += 1
            if t in "SR":
                (n,) = struct.unpack_from("<I", data, p)
                props.append(data[p + 4 : p + 4 + n])
                p += 4 + n
            elif t in scalar:
                props.append(struct.unpack_from(scalar[t], data, p)[0])
                p += struct.calcsize(scalar[t])
            else:
                count, enc, clen = struct.unpack_from("<III", data, p)
                raw = data[p + 12 : p + 12 + clen]
                arr = np.frombuffer(zlib.decompress(raw) if enc else raw, arrays[t])
                assert len(arr) == count
                props.append(arr)
                p += 12 + clen
        children = []
        while p < end:
            child, p = read(p)
            if child is None:
                break
            children.append(child)
        return (name, props, children), end

    nodes, pos = [], 27
    while True:
        node, pos = read(pos)
        if node is None:
            return version, nodes
        nodes.append(node)


def _walk(nodes):
    for node in nodes:
        yield node
        yield from _walk(node[2])


def _p70(nodes, key: bytes):
    return next(n[1][4] for n in _walk(nodes) if n[0] == "P" and n[1][0] == key)


# --- tests ------------------------------------------------------------------------------------


def test_two_generations_are_identical_bytes_and_mtimes(tmp_path):
    a = generate_workspace(tmp_path / "a", scale=2)
    b = generate_workspace(tmp_path / "b", scale=2)
    snap_a, snap_b = _snapshot(tmp_path / "a"), _snapshot(tmp_path / "b")
    assert snap_a == snap_b
    da, db = a.to_dict(), b.to_dict()
    da.pop("root"), db.pop("root")
    assert da == db
    generate_workspace(tmp_path / "c", scale=2, seed=8)
    assert _snapshot(tmp_path / "c").keys() == snap_a.keys()
    assert _snapshot(tmp_path / "c") != snap_a  # the seed matters


def test_manifest_lists_exactly_the_files_on_disk(ws):
    on_disk = {p.relative_to(ws.root).as_posix(): p for p in ws.root.rglob("*") if p.is_file()}
    assert set(on_disk) == set(ws.files)
    for rel, rec in ws.files.items():
        st = on_disk[rel].stat()
        assert (st.st_size, int(st.st_mtime)) == (rec.size_bytes, rec.mtime), rel
    for d in ("project/seed_motions", "seed_motions", "build/build_motions", "build/blend_snn"):
        assert any(m.startswith(d + "/") for m in ws.motions), d
    assert {"bvh", "glb", "gltf", "trc", "npy", "fbx"} == {
        m.file_format for m in ws.motions.values()
    }


def test_bvh_header_matches_motion_lines(ws):
    bvhs = [m for m in ws.motions.values() if m.file_format == "bvh"]
    assert len(bvhs) >= 6
    for mf in bvhs:
        b = _bvh(ws.root / mf.path)
        assert b["frames"] == len(b["rows"]) == mf.frame_count, mf.path
        assert len(b["joints"]) == mf.joint_count
        assert b["channels"] == 6 + 3 * (mf.joint_count - 1)
        assert all(len(row) == b["channels"] for row in b["rows"])
        assert b["ft"] == pytest.approx(1 / mf.fps, abs=1e-6)
        assert mf.duration_seconds == pytest.approx(b["frames"] * b["ft"], rel=1e-5)
    walk = _bvh(ws.root / "project/seed_motions/walk_fast.bvh")
    assert (walk["frames"], len(walk["joints"]), round(1 / walk["ft"])) == (120, 15, 30)
    assert float(walk["rows"][-1][2]) > float(walk["rows"][0][2]) + 100  # walks forward (cm)
    wave = _bvh(ws.root / "project/seed_motions/wave_left.bvh")
    assert (wave["frames"], round(1 / wave["ft"])) == (240, 60)
    assert (ws.root / "project/seed_motions/Stretch_Take2.BVH").read_bytes().count(b"\r\n") > 72


def test_glb_and_gltf_have_skin_and_linear_animation(ws):
    gl = [m for m in ws.motions.values() if m.file_format in ("glb", "gltf")]
    assert len(gl) >= 5
    for mf in gl:
        path = ws.root / mf.path
        data = path.read_bytes()
        if mf.file_format == "glb":
            magic, version, length = struct.unpack_from("<4sII", data)
            assert (magic, version, length) == (b"glTF", 2, len(data))
        g = pygltflib.GLTF2().load(str(path))
        assert len(g.skins) == 1 and len(g.skins[0].joints) == mf.joint_count
        ibm = g.accessors[g.skins[0].inverseBindMatrices]
        assert (ibm.type, ibm.count) == ("MAT4", mf.joint_count)
        (anim,) = g.animations
        assert {c.target.path for c in anim.channels} == {"rotation", "translation"}
        assert {s.interpolation for s in anim.samplers} == {"LINEAR"}
        (inp,) = {s.input for s in anim.samplers}
        times = g.accessors[inp]
        assert times.count == mf.frame_count
        assert times.min == [0.0]
        assert times.max[0] == pytest.approx(mf.last_frame_time, abs=1e-5)
        # min/max are the real extremes of the stored data.
        view = g.bufferViews[times.bufferView]
        blob = (
            g.binary_blob()
            if mf.file_format == "glb"
            else g.get_data_from_buffer_uri(g.buffers[0].uri)
        )
        start = view.byteOffset + (times.byteOffset or 0)
        stored = np.frombuffer(blob[start : start + 4 * times.count], "<f4")
        assert (float(stored.min()), float(stored.max())) == (times.min[0], times.max[0])


def test_npy_shapes_and_sidecars(ws):
    npys = [m for m in ws.motions.values() if m.file_format == "npy"]
    assert any(m.sidecar_path is None and m.fps is None for m in npys)
    assert any(m.joint_count is None for m in npys)  # a flattened (T, D) array
    for mf in npys:
        arr = np.load(ws.root / mf.path)
        if mf.joint_count is None:
            assert arr.ndim == 2 and arr.shape[0] == mf.frame_count
        else:
            assert arr.shape == (mf.frame_count, mf.joint_count, 3)
        side = (ws.root / mf.path).with_suffix(".json")
        if mf.sidecar_path:
            assert json.loads(side.read_text()) == {"fps": mf.fps}
        elif mf.location != "blend":
            assert not side.exists()
    idle = np.load(ws.root / "project/seed_motions/idle_breathing.npy")
    assert idle.shape == (90, 15, 3)
    assert 0.0 < idle[..., 1].min() < 0.1  # ankles just above the ground (metres)
    assert 1.4 < idle[:, 4, 1].mean() < 1.7  # head


def test_trc_header_and_rows(ws):
    for mf in (m for m in ws.motions.values() if m.file_format == "trc"):
        t = _trc(ws.root / mf.path)
        h = t["header"]
        assert int(h["NumFrames"]) == len(t["rows"]) == mf.frame_count
        assert int(h["NumMarkers"]) == len(t["markers"]) == mf.joint_count
        assert float(h["DataRate"]) == mf.fps and h["Units"] == "mm"
        assert all(len(r) == 2 + 3 * mf.joint_count for r in t["rows"])


def test_fbx_binary_7400(ws):
    fbxs = [m for m in ws.motions.values() if m.file_format == "fbx"]
    assert fbxs
    modes = {30: 6, 24: 11, 60: 3}
    for mf in fbxs:
        version, nodes = _fbx((ws.root / mf.path).read_bytes())
        assert version == 7400
        assert _p70(nodes, b"TimeMode") == modes[int(mf.fps)]
        limbs = [n for n in _walk(nodes) if n[0] == "Model" and n[1][2] == b"LimbNode"]
        assert len(limbs) == mf.joint_count
        assert [n[0] for n in _walk(nodes)].count("AnimationStack") == 1
        stop = _p70(nodes, b"LocalStop")
        assert stop / 46186158000 == pytest.approx(mf.last_frame_time)
        keys = next(n[1][0] for n in _walk(nodes) if n[0] == "KeyTime")
        assert len(keys) == mf.frame_count


def test_corrupt_files_are_really_broken(ws):
    c = {Path(p).name: ws.root / p for p in ws.corrupt}
    assert {"bvh", "glb", "trc", "npy", "fbx"} <= {f.file_format for f in ws.corrupt.values()}
    assert not set(ws.corrupt) & set(ws.motions)
    assert b"MOTION" not in c["truncated_hierarchy.bvh"].read_bytes()
    assert c["bad_magic.glb"].read_bytes()[:4] != b"glTF"
    data = c["truncated.glb"].read_bytes()
    assert struct.unpack_from("<I", data, 8)[0] > len(data)
    assert c["empty_export.glb"].stat().st_size == 0
    assert "NumFrames" not in c["missing_header.trc"].read_text()
    with pytest.raises(ValueError):
        np.load(c["truncated_header.npy"])
    with pytest.raises((ValueError, struct.error)):
        _fbx(c["truncated_binary.fbx"].read_bytes())
    assert c["ascii_export.fbx"].read_text().startswith("; FBX 7.4.0 project file")
    statuses = {Path(p).name: f.expected_status for p, f in ws.corrupt.items()}
    assert statuses.pop("ascii_export.fbx") == "unsupported"
    assert set(statuses.values()) == {"error"}


def test_blends(ws):
    by_naming = {}
    for job in ws.blends:
        by_naming.setdefault(job.naming, []).append(job)
        for ref, path in ((job.left_ref, job.left_path), (job.right_ref, job.right_path)):
            assert path in ws.motions
            assert ref == path or ref == ws.motions[path].name
        if job.manifest_path:
            doc = json.loads((ws.root / job.manifest_path).read_text())
            assert (doc["left"], doc["right"], doc["status"]) == (
                job.left_ref,
                job.right_ref,
                job.status,
            )
        else:
            assert not (ws.root / job.output_path).with_suffix(".json").exists()
        if job.output_path and job.status == "completed":
            assert ws.motions[job.output_path].frame_count == job.output_frame_count
    (dunder,) = by_naming["double_underscore"]
    assert dunder.output_path.endswith("/walk_slow__wave_right.bvh")
    (prefix,) = by_naming["blend_prefix"]
    assert Path(prefix.output_path).stem == "blend_walk_fast_wave_left"
    assert (prefix.left_ref, prefix.right_ref) == ("walk_fast", "wave_left")
    failed = [j for j in ws.blends if j.status == "failed"]
    assert len(failed) == 2 and all(j.error_message for j in failed)
    assert any(j.output_path is None for j in failed)
    assert any(j.output_path in ws.corrupt for j in failed)
    done = [j for j in by_naming["manifest"] if j.status == "completed"]
    assert len(done) == 4 and all(j.duration_ms > 0 for j in done)
    mb = next(j for j in done if j.job_id == "blend-20240314-0001")
    assert (mb.duration_ms, mb.output_frame_count) == (42250, 120)


def test_artifacts_logs_and_ui_events(ws):
    art = "build/demo_artifacts/"
    assert sorted(ws.artifacts) == sorted(p for p in ws.files if p.startswith(art))
    assert len(ws.artifacts) == 8 and len(ws.temporary_artifacts) == 3
    for p in ws.temporary_artifacts:
        assert p.endswith(".tmp") or "/tmp/" in p
    for p, n in ws.log_error_lines.items():
        assert (ws.root / p).read_text().count(" ERROR ") == n > 0
    png = (ws.root / art / "previews/mb_walk_wave_0001.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR"
    w, h = struct.unpack(">II", png[16:24])
    idat_len = struct.unpack(">I", png[33:37])[0]
    assert len(zlib.decompress(png[41 : 41 + idat_len])) == h * (w + 1)

    valid, malformed, downloads = [], [], {}
    for rel in ws.ui_event_files:
        for no, line in enumerate((ws.root / rel).read_text().splitlines(), 1):
            try:
                valid.append(json.loads(line))
            except json.JSONDecodeError:
                malformed.append((rel, no))
    for ev in valid:
        if ev["interaction_type"] == "download":
            path = ev["parameters"]["file_path"]
            assert (ws.root / path).is_file()
            downloads[path] = downloads.get(path, 0) + 1
    assert len(valid) == ws.ui_events == 50
    assert malformed == ws.ui_malformed_lines and len(malformed) == 1
    assert downloads == ws.download_counts and sum(downloads.values()) == 7
    assert [e["interaction_id"] for e in valid] == ws.ui_event_ids
    assert sum(e["resulted_in_blend"] for e in valid) == ws.ui_events_resulting_in_blend
    assert all(e["timestamp"].endswith("Z") for e in valid)


def test_scale_and_argument_checks(tmp_path, ws):
    assert ws.file_count == 57  # the documented scale-1 size
    m = generate_workspace(tmp_path / "s3", scale=3)
    assert m.file_count == ws.file_count + 2 * ROUND_FILES
    with pytest.raises(FileExistsError):
        generate_workspace(tmp_path / "s3")
    with pytest.raises(ValueError):
        generate_workspace(tmp_path / "small", files=ws.file_count - 1)


def test_benchmark_size_cli(tmp_path, capsys):
    started = time.perf_counter()
    assert main([str(tmp_path / "bench"), "--files", str(BENCHMARK_FILES)]) == 0
    elapsed = time.perf_counter() - started
    summary = json.loads(capsys.readouterr().out)
    files = [p for p in (tmp_path / "bench").rglob("*") if p.is_file()]
    assert len(files) == summary["files"] == BENCHMARK_FILES
    assert len(summary["motions"]) == 6 and min(summary["motions"].values()) >= 1
    assert summary["motions"]["bvh"] > 300 and summary["blends"] > 100
    assert elapsed < 60
    bvh = sorted(p for p in files if p.suffix == ".bvh")[len(files) // 10 % 300]
    parsed = _bvh(bvh)
    assert parsed["frames"] == len(parsed["rows"])
