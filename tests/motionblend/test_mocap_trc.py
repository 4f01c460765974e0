"""TRC reader: generated files with known answers, corrupt files, and the real samples."""

import io
import math
import re
from pathlib import Path

import pytest

from tests.motionblend.conftest import sample_params
from workspace.mocap import trc
from workspace.mocap.base import STATUS_OK, MotionFileError

MARKERS = ["R.ASIS", "L.ASIS", "V Sacral"]  # a marker name with a space (tab-separated line 4)


def trc_text(
    frames=12, rate=50.0, start=-0.04, data_rows=None, num_frames=None, pad=" ", markers=MARKERS
) -> str:
    """A TRC file whose line 3 values are padded with `pad`; time starts at `start`."""
    data_rows = frames if data_rows is None else data_rows
    num_frames = frames if num_frames is None else num_frames
    lines = [
        "PathFileType  4\t(X/Y/Z)\tgenerated.trc",
        "DataRate\tCameraRate\tNumFrames\tNumMarkers\tUnits\tOrigDataRate\t"
        "OrigDataStartFrame\tOrigNumFrames",
        pad.join(
            f"{v:>8}" for v in (f"{rate:.1f}", "100.0", num_frames, len(markers), "m", "200.0")
        )
        + f"{pad}1{pad}{num_frames}",
        "Frame#\tTime\t" + "\t\t\t".join(markers) + "\t\t",
        "\t\t" + "\t".join(f"{axis}{i + 1}" for i in range(len(markers)) for axis in "XYZ"),
        "",
    ]
    for row in range(data_rows):
        coords = "\t".join(f"{row * 0.01 + k:.5f}" for k in range(3 * len(markers)))
        lines.append(f"{row + 1}\t{start + row / rate:.5f}\t{coords}")
    return "\n".join(lines) + "\n"


def write(tmp_path: Path, text: str | bytes, name="markers.trc") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def test_header_and_coordinates_with_empty_cells_as_nan():
    text = trc_text(frames=3, rate=50.0).replace("\t1.00000\t2.00000\t", "\t\t\t", 1)
    fh = io.BytesIO(text.encode())
    header = trc.read_header(fh)
    assert (header.rate, header.frames, header.markers) == (50.0, 3, 3)
    assert header.marker_names == MARKERS and header.fields["Units"] == "m"
    values = trc.read_coordinates(fh, header.markers)
    assert values.shape == (3, 9)
    assert math.isnan(values[0, 1]) and math.isnan(values[0, 2]) and values[0, 3] == 3.0
    assert values[2, 8] == pytest.approx(8.02)


def test_generated_trc_known_answers(tmp_path):
    meta = trc.read_metadata(write(tmp_path, trc_text(frames=12, rate=50.0, start=-0.04)))
    assert meta.status == STATUS_OK
    assert meta.file_format == "trc"
    assert (meta.frame_count, meta.joint_count, meta.fps) == (12, 3, 50.0)
    assert meta.duration_seconds == pytest.approx(12 / 50)
    details = meta.details
    assert details["units"] == "m"
    assert details["camera_rate"] == 100.0
    assert details["orig_data_rate"] == 200.0
    assert details["marker_names"] == MARKERS
    assert details["first_time"] == pytest.approx(-0.04)
    assert details["data_rows"] == 12
    assert details["warnings"] == []


@pytest.mark.parametrize("pad", [" ", "   ", "\t", "\t\t", " \t "])
def test_space_or_tab_padded_values(tmp_path, pad):
    meta = trc.read_metadata(write(tmp_path, trc_text(frames=5, rate=120.0, pad=pad)))
    assert (meta.frame_count, meta.joint_count, meta.fps) == (5, 3, 120.0)
    assert meta.details["units"] == "m"


def test_crlf_and_no_blank_line_before_data(tmp_path):
    text = trc_text(frames=4).replace("\n\n", "\n", 1).replace("\n", "\r\n")
    meta = trc.read_metadata(write(tmp_path, text))
    assert (meta.frame_count, meta.details["data_rows"], meta.details["warnings"]) == (4, 4, [])


@pytest.mark.parametrize(("rows", "declared"), [(10, 12), (12, 10)])
def test_row_count_mismatch_is_a_warning(tmp_path, rows, declared):
    meta = trc.read_metadata(write(tmp_path, trc_text(data_rows=rows, num_frames=declared)))
    assert meta.frame_count == declared  # NumFrames is what the header says
    assert meta.details["data_rows"] == rows
    assert any("data rows" in w for w in meta.details["warnings"])


def test_marker_count_mismatch_is_a_warning(tmp_path):
    text = trc_text().replace("\tV Sacral", "", 1)
    meta = trc.read_metadata(write(tmp_path, text))
    assert meta.joint_count == 3
    assert meta.details["marker_names"] == ["R.ASIS", "L.ASIS"]
    assert any("NumMarkers" in w for w in meta.details["warnings"])


def test_header_only_file_has_no_rows(tmp_path):
    meta = trc.read_metadata(write(tmp_path, trc_text(frames=0)))
    assert (meta.frame_count, meta.duration_seconds) == (0, 0.0)
    assert meta.details["first_time"] is None


BAD_FILES = {
    "zero_bytes": b"",
    "only_line_1": b"PathFileType\t4\t(X/Y/Z)\tx.trc\n",
    "missing_values_line": "\n".join(trc_text().splitlines()[:2]).encode(),
    "not_trc": b"HIERARCHY\nROOT Hips\n{\n",
    "binary_garbage": bytes(range(256)) * 10,
    "no_datarate": trc_text().replace("DataRate\t", "Rate\t", 1).encode(),
    "zero_datarate": trc_text(rate=50.0).replace("    50.0", "     0.0", 1).encode(),
    "text_numframes": trc_text(num_frames="many").encode(),
    "fractional_numframes": trc_text(num_frames="12.5").encode(),
    "values_line_too_short": b"PathFileType\t4\t(X/Y/Z)\tx.trc\n"
    b"DataRate\tCameraRate\tNumFrames\tNumMarkers\n60\t60\n",
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_corrupt_or_truncated_files_raise(tmp_path, case):
    with pytest.raises(MotionFileError) as info:
        trc.read_metadata(write(tmp_path, BAD_FILES[case]))
    assert str(info.value)


def test_zero_byte_message(tmp_path):
    with pytest.raises(MotionFileError, match="empty file"):
        trc.read_metadata(write(tmp_path, b""))


# --- the real third-party samples ------------------------------------------------------------


def independent_trc_facts(path: Path) -> dict:
    """Header values and data rows derived without the reader: split lines 2-3, count rows."""
    lines = path.read_bytes().decode("latin-1").splitlines()
    header = dict(zip(lines[1].split(), lines[2].split(), strict=False))
    rows = [line for line in lines[5:] if re.match(r"^\s*\d+\s+[-+.\deE]+\s", line)]
    markers = [name for name in lines[3].split("\t")[2:] if name.strip()]
    return {
        "rate": float(header["DataRate"]),
        "num_frames": int(header["NumFrames"]),
        "num_markers": int(header["NumMarkers"]),
        "units": header["Units"],
        "rows": rows,
        "markers": markers,
        "first_time": float(rows[0].split()[1]),
        "last_time": float(rows[-1].split()[1]),
    }


@pytest.mark.parametrize("path", sample_params("trc", ".trc"))
def test_real_trc_samples(path):
    expected = independent_trc_facts(path)
    assert len(expected["rows"]) == expected["num_frames"]  # the sample is consistent
    assert len(expected["markers"]) == expected["num_markers"]

    meta = trc.read_metadata(path)
    assert meta.status == STATUS_OK
    assert meta.frame_count == len(expected["rows"])
    assert meta.joint_count == len(expected["markers"])
    assert meta.fps == expected["rate"]
    assert meta.duration_seconds == pytest.approx(len(expected["rows"]) / expected["rate"])
    # the rate agrees with the time column: (rows - 1) steps of 1 / rate
    span = expected["last_time"] - expected["first_time"]
    assert span == pytest.approx((len(expected["rows"]) - 1) / meta.fps, rel=1e-3)
    details = meta.details
    assert details["marker_names"] == expected["markers"]
    assert details["units"] == expected["units"]
    assert details["first_time"] == expected["first_time"]
    assert details["data_rows"] == len(expected["rows"])
    assert details["warnings"] == []
