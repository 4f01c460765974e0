"""BVH reader: generated files with known answers, corrupt files, and the real samples."""

import io
import re
from pathlib import Path

import pytest

from tests.motionblend.conftest import sample_params
from workspace.mocap import bvh
from workspace.mocap.base import STATUS_OK, MotionFileError

HIERARCHY = """HIERARCHY
ROOT Hips
{
\tOFFSET 0.0 0.0 0.0
\tCHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation
\tJOINT Spine
\t{
\t\tOFFSET 0.0 10.0 0.0
\t\tCHANNELS 3 Zrotation Xrotation Yrotation
\t\tJOINT rig:Head
\t\t{
\t\t\tOFFSET 0.0 5.0 0.0
\t\t\tCHANNELS 3 Zrotation Xrotation Yrotation
\t\t\tEnd Site
\t\t\t{
\t\t\t\tOFFSET 0.0 2.0 0.0
\t\t\t}
\t\t}
\t}
\tEnd Site
\t{
\t\tOFFSET 1.0 0.0 0.0
\t}
}
"""
CHANNELS = 12


def bvh_text(frames=10, frame_time="0.0083333", frames_sep=" ", data_lines=None) -> str:
    """A 3-joint BVH (Hips, Spine, rig:Head) with two End Sites and `frames` motion lines."""
    if data_lines is None:
        data_lines = frames
    motion = "".join(
        " ".join(f"{0.1 * (i + c):.4f}" for c in range(CHANNELS)) + "\n" for i in range(data_lines)
    )
    return HIERARCHY + f"MOTION\nFrames:{frames_sep}{frames}\nFrame Time: {frame_time}\n" + motion


def write(tmp_path: Path, text: str | bytes, name="clip.bvh") -> Path:
    path = tmp_path / name
    if isinstance(text, str):
        text = text.encode()
    path.write_bytes(text)
    return path


def test_generated_bvh_known_answers(tmp_path):
    meta = bvh.read_metadata(write(tmp_path, bvh_text(frames=10)))
    assert meta.status == STATUS_OK
    assert meta.file_format == "bvh"
    assert meta.frame_count == 10
    assert meta.joint_count == 3  # End Sites are not joints
    assert meta.fps == 120.0
    assert meta.duration_seconds == pytest.approx(10 / 120)
    details = meta.details
    assert details["root_name"] == "Hips"
    assert details["joint_names"] == ["Hips", "Spine", "rig:Head"]
    assert details["channel_count"] == 12
    assert [len(j["channels"]) for j in details["joint_channels"]] == [6, 3, 3]
    assert details["joint_channels"][0] == {
        "joint": "Hips",
        "channels": ["Xposition", "Yposition", "Zposition", "Zrotation", "Xrotation", "Yrotation"],
    }
    assert details["frame_time"] == pytest.approx(0.0083333)


def test_tab_after_frames_and_crlf_line_endings(tmp_path):
    text = bvh_text(frames=7, frame_time="0.033333", frames_sep="\t").replace("\n", "\r\n")
    meta = bvh.read_metadata(write(tmp_path, text))
    assert (meta.frame_count, meta.joint_count, meta.fps) == (7, 3, 30.0)
    assert meta.details["joint_names"][-1] == "rig:Head"


@pytest.mark.parametrize(
    ("frame_time", "fps"),
    [("0.0083333", 120.0), (".0333333", 30.0), ("0.04", 25.0), ("0.03", 1 / 0.03)],
)
def test_fps_rounded_only_when_within_a_hundredth(tmp_path, frame_time, fps):
    meta = bvh.read_metadata(write(tmp_path, bvh_text(frames=99, frame_time=frame_time)))
    assert meta.fps == pytest.approx(fps, abs=1e-9)
    assert meta.duration_seconds == pytest.approx(99 / fps)


def test_zero_frames(tmp_path):
    meta = bvh.read_metadata(write(tmp_path, bvh_text(frames=0)))
    assert (meta.frame_count, meta.duration_seconds) == (0, 0.0)


def test_motion_lines_are_never_parsed(tmp_path):
    """Frames comes from the header; garbage or missing motion lines are not looked at."""
    header = bvh_text(frames=5000, data_lines=0).encode()
    path = write(tmp_path, header + b"\xff\xfe not numbers \x00\x01\n" * 3)
    meta = bvh.read_metadata(path)
    assert meta.frame_count == 5000
    assert meta.duration_seconds == pytest.approx(5000 / 120)


class CountingFileIO(io.FileIO):
    """A raw file that counts the bytes handed to whoever reads it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.bytes_read = 0

    def readinto(self, buffer):
        n = super().readinto(buffer)
        self.bytes_read += n or 0
        return n

    def read(self, size=-1):
        data = super().read(size)
        self.bytes_read += len(data or b"")
        return data

    def readall(self):
        data = super().readall()
        self.bytes_read += len(data)
        return data


def read_counting(monkeypatch, path: Path):
    """Read `path` with bvh.read_metadata while counting the bytes read from disk."""
    opened: list[CountingFileIO] = []
    real_open = Path.open

    def counting_open(self, mode="r", *args, **kwargs):
        if "b" not in mode or Path(self) != path:
            return real_open(self, mode, *args, **kwargs)
        raw = CountingFileIO(self, "r")
        opened.append(raw)
        return io.BufferedReader(raw)

    monkeypatch.setattr(Path, "open", counting_open)
    meta = bvh.read_metadata(path)
    monkeypatch.undo()
    assert opened, "the reader did not open the file through Path.open"
    return meta, sum(raw.bytes_read for raw in opened)


def test_reading_stops_at_the_header(tmp_path, monkeypatch):
    text = bvh_text(frames=40_000)  # ~3 MB of motion data after a ~0.6 kB header
    path = write(tmp_path, text)
    header_bytes = text.index("Frame Time:") + 40
    assert path.stat().st_size > 2_000_000
    meta, bytes_read = read_counting(monkeypatch, path)
    assert meta.frame_count == 40_000
    assert bytes_read < header_bytes + 64 * 1024  # at most one read buffer past the header


def test_header_gives_the_skeleton_and_motion_gives_the_channel_values():
    fh = io.BytesIO(bvh_text(frames=4).encode() + b"9 " * CHANNELS + b"\n")  # one line extra
    header = bvh.read_header(fh)
    skeleton = header.skeleton
    assert skeleton.names == ("Hips", "Spine", "rig:Head")
    assert skeleton.parents == (-1, 0, 1)
    assert skeleton.offsets == ((0.0, 0.0, 0.0), (0.0, 10.0, 0.0), (0.0, 5.0, 0.0))
    assert skeleton.channels[1] == ("Zrotation", "Xrotation", "Yrotation")
    assert (header.frames, header.frame_time, skeleton.channel_count) == (4, 0.0083333, 12)
    values = bvh.read_motion(fh, header)
    assert values.shape == (4, 12)  # the line past `Frames:` is dropped
    assert values[3, 0] == pytest.approx(0.3) and values[0, 11] == pytest.approx(1.1)


def test_motion_lines_shorter_than_frames_or_channels_raise():
    text = bvh_text(frames=5, data_lines=3)
    fh = io.BytesIO(text.encode())
    with pytest.raises(MotionFileError, match="3 motion lines, header says 5"):
        bvh.read_motion(fh, bvh.read_header(fh))
    fh = io.BytesIO(text.rstrip("\n").rsplit(" ", 1)[0].encode())  # last line one value short
    with pytest.raises(MotionFileError, match="malformed"):
        bvh.read_motion(fh, bvh.read_header(fh))


BAD_FILES = {
    "zero_bytes": b"",
    "whitespace_only": b"\n\n  \n",
    "not_bvh": b"PathFileType\t4\t(X/Y/Z)\tfoo.trc\n",
    "binary_garbage": bytes(range(256)) * 40,
    "truncated_hierarchy": bvh_text().split("\tEnd Site")[0].encode(),
    "no_motion": HIERARCHY.encode(),
    "missing_frames": (HIERARCHY + "MOTION\nFrame Time: 0.01\n0 0 0\n").encode(),
    "missing_frame_time": (HIERARCHY + "MOTION\nFrames: 3\n").encode(),
    "frame_time_after_data": (HIERARCHY + "MOTION\nFrames: 3\n0 0 0\n").encode(),
    "zero_frame_time": bvh_text(frame_time="0").encode(),
    "negative_frame_time": bvh_text(frame_time="-0.01").encode(),
    "text_frame_time": bvh_text(frame_time="fast").encode(),
    "text_frames": bvh_text().replace("Frames: 10", "Frames: ten").encode(),
    "channel_count_mismatch": bvh_text().replace("CHANNELS 3 Z", "CHANNELS 4 Z", 1).encode(),
    "unclosed_brace": bvh_text().replace("\t}\n\tEnd Site", "\tEnd Site", 1).encode(),
    "extra_close_brace": bvh_text().replace("MOTION", "}\nMOTION").encode(),
    "joint_outside_root": (b"HIERARCHY\nJOINT Orphan\n{\n}\nMOTION\nFrames: 1\n"),
    "no_joints": b"HIERARCHY\nMOTION\nFrames: 1\nFrame Time: 0.1\n0\n",
    "missing_open_brace": bvh_text().replace("ROOT Hips\n{\n", "ROOT Hips\n", 1).encode(),
    "channels_in_end_site": bvh_text()
    .replace("\t\t\t\tOFFSET 0.0 2.0 0.0\n", "\t\t\t\tOFFSET 0.0 2.0 0.0\nCHANNELS 1 Xrotation\n")
    .encode(),
    "bad_offset": bvh_text().replace("OFFSET 0.0 10.0 0.0", "OFFSET 0.0 ten 0.0").encode(),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_corrupt_or_truncated_files_raise(tmp_path, case):
    path = write(tmp_path, BAD_FILES[case])
    with pytest.raises(MotionFileError) as info:
        bvh.read_metadata(path)
    assert str(info.value)  # a message saying why


def test_zero_byte_message(tmp_path):
    with pytest.raises(MotionFileError, match="empty file"):
        bvh.read_metadata(write(tmp_path, b""))


def test_missing_file_raises_motion_file_error(tmp_path):
    with pytest.raises(MotionFileError, match="cannot read"):
        bvh.read_metadata(tmp_path / "absent.bvh")


# --- the real third-party samples ------------------------------------------------------------


def independent_bvh_facts(path: Path) -> dict:
    """Frames, joints, channels and fps derived with regexes over the whole file."""
    text = path.read_bytes().decode("utf-8", errors="replace")
    header, _, _ = text.partition("MOTION")
    joints = re.findall(r"^\s*(?:ROOT|JOINT)\s+(.+?)\s*$", header, re.MULTILINE)
    channels = sum(int(n) for n in re.findall(r"CHANNELS\s+(\d+)", header))
    frames = int(re.search(r"^\s*Frames:\s*(\d+)", text, re.MULTILINE).group(1))
    time_match = re.search(r"^\s*Frame Time:\s*([-+.\deE]+)\s*$", text, re.MULTILINE)
    frame_time = float(time_match.group(1))
    motion_lines = [line for line in text[time_match.end() :].splitlines() if line.strip()]
    fps = 1 / frame_time
    if abs(fps - round(fps)) <= 0.01:
        fps = float(round(fps))
    return {
        "joints": joints,
        "channels": channels,
        "frames": frames,
        "motion_lines": motion_lines,
        "frame_time": frame_time,
        "fps": fps,
    }


@pytest.mark.parametrize("path", sample_params("bvh", ".bvh"))
def test_real_bvh_samples(path):
    expected = independent_bvh_facts(path)
    # the sample itself is consistent: one motion line per declared frame, one value per channel
    assert len(expected["motion_lines"]) == expected["frames"]
    assert len(expected["motion_lines"][0].split()) == expected["channels"]

    meta = bvh.read_metadata(path)
    assert meta.status == STATUS_OK
    assert meta.frame_count == len(expected["motion_lines"])
    assert meta.joint_count == len(expected["joints"])
    assert meta.details["joint_names"] == expected["joints"]
    assert meta.details["root_name"] == expected["joints"][0]
    assert meta.details["channel_count"] == expected["channels"]
    assert meta.details["frame_time"] == expected["frame_time"]
    assert meta.fps == pytest.approx(expected["fps"])
    assert meta.duration_seconds == pytest.approx(
        expected["frames"] * expected["frame_time"], 1e-3
    )
    assert "Site" not in meta.details["joint_names"]


@pytest.mark.parametrize("path", sample_params("bvh", ".bvh"))
def test_real_bvh_samples_are_read_only_up_to_the_header(path, monkeypatch):
    header_bytes = path.read_bytes().index(b"Frame Time:") + 64
    meta, bytes_read = read_counting(monkeypatch, path)
    assert meta.frame_count > 0
    assert bytes_read < header_bytes + 64 * 1024
    if path.stat().st_size > 1_000_000:
        assert bytes_read < path.stat().st_size / 10
