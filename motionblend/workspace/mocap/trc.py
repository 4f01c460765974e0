"""Metadata of TRC marker files (Motion Analysis / OpenSim track row column format).

Layout (fields separated by tabs, sometimes padded with spaces or with empty tab fields):

    line 1  PathFileType  4  (X/Y/Z)  <file name>
    line 2  DataRate  CameraRate  NumFrames  NumMarkers  Units  OrigDataRate  ...
    line 3  <the values of line 2, in the same order>
    line 4  Frame#  Time  <marker 1>  <marker 2> ...
    line 5  X1  Y1  Z1  X2 ...
    then (after an optional blank line) one data row per frame: frame number, time, coordinates.

Frames, markers and rate come from lines 2-3 (`read_header`). For the catalog the data rows are
only counted (lines, not floats) to flag a file whose row count disagrees with NumFrames; only the
first row's time is parsed. `read_coordinates` reads them as numbers, for the blend metrics.
"""

import math
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from workspace.mocap.base import MotionFileError, MotionMetadata

FILE_FORMAT = "trc"

_HEADER_LINES = 5
_MAX_LINE_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Header:
    """What lines 1-5 state."""

    fields: dict[str, str]  # the names of line 2 -> the values of line 3, as written
    rate: float  # DataRate (> 0)
    frames: int  # NumFrames
    markers: int  # NumMarkers
    marker_names: list[str]  # the names on line 4, after Frame# and Time


def read_metadata(path: Path, **kw) -> MotionMetadata:
    """Read frames, markers, rate and duration of a TRC file.

    frame_count = NumFrames, joint_count = NumMarkers, fps = DataRate, duration = frames / fps.
    details: `units`, `camera_rate`, `orig_data_rate`, `marker_names` (from line 4),
    `first_time` (time of the first data row, may be negative; None without rows),
    `data_rows` (non-blank lines after the header) and `warnings` (a list, e.g. when data_rows
    differs from NumFrames or line 4 names a different number of markers). Extra keyword arguments
    are accepted and ignored.

    Raises MotionFileError for an empty file, a truncated header or unreadable header values.
    """
    path = Path(path)
    try:
        if path.stat().st_size == 0:
            raise MotionFileError("empty file")
        with path.open("rb") as fh:
            header = read_header(fh)  # validated before the data rows are touched
            data_rows = 0
            first_row = None
            for raw in fh:
                if raw.strip():
                    data_rows += 1
                    if first_row is None:
                        first_row = raw
    except OSError as exc:
        raise MotionFileError(f"cannot read TRC file: {exc}") from exc

    fields, fps, frames, markers = header.fields, header.rate, header.frames, header.markers
    warnings: list[str] = []
    marker_names = header.marker_names
    if len(marker_names) != markers:
        warnings.append(f"line 4 names {len(marker_names)} markers but NumMarkers is {markers}")
    if data_rows != frames:
        warnings.append(f"file has {data_rows} data rows but NumFrames is {frames}")

    first_time = None
    if first_row is not None:
        columns = _decode(first_row).split()
        if len(columns) >= 2:
            try:
                first_time = float(columns[1])
            except ValueError:
                warnings.append(f"first data row has no numeric time: {columns[1][:40]!r}")

    return MotionMetadata(
        file_format=FILE_FORMAT,
        frame_count=frames,
        joint_count=markers,
        fps=fps,
        duration_seconds=frames / fps,
        details={
            "units": fields.get("Units"),
            "camera_rate": _optional_number(fields.get("CameraRate")),
            "orig_data_rate": _optional_number(fields.get("OrigDataRate")),
            "marker_names": marker_names,
            "first_time": first_time,
            "data_rows": data_rows,
            "warnings": warnings,
        },
    )


def read_header(fh: BinaryIO) -> Header:
    """Read and check the five header lines; `fh` is left at the first data row.

    Raises MotionFileError when line 1 is not PathFileType, lines 2-3 lack DataRate, NumFrames
    or NumMarkers, DataRate is not a positive number, or a count is not a whole number.
    """
    lines = [_decode(fh.readline(_MAX_LINE_BYTES)) for _ in range(_HEADER_LINES)]
    fields = _header_fields(lines)
    rate = _number(fields["DataRate"], "DataRate")
    if not (math.isfinite(rate) and rate > 0):
        raise MotionFileError(f"malformed TRC header: DataRate must be positive, got {rate}")
    frames = _count(fields["NumFrames"], "NumFrames")
    markers = _count(fields["NumMarkers"], "NumMarkers")
    return Header(fields, rate, frames, markers, _marker_names(lines[3]))


def read_coordinates(fh: BinaryIO, markers: int):
    """The marker coordinates of the data rows after the header, float64 (rows, 3 * markers).

    Blank lines are skipped; an empty or absent cell (a marker lost for a few frames) is NaN.
    Raises MotionFileError for a cell that is not a number.
    """
    import numpy as np  # here, not above: the catalog's header reads never load numpy

    width, rows = 3 * markers, []
    for number, raw in enumerate(fh, start=_HEADER_LINES + 1):
        line = _decode(raw).rstrip("\r\n")
        if not line.strip():
            continue
        cells = line.split("\t") if "\t" in line else line.split()
        coords = cells[2 : 2 + width]
        try:
            row = [float(cell) if cell.strip() else math.nan for cell in coords]
        except ValueError:
            raise MotionFileError(f"TRC line {number}: a coordinate is not a number") from None
        rows.append(row + [math.nan] * (width - len(row)))
    return np.asarray(rows, dtype=np.float64).reshape(len(rows), width)


def _header_fields(header: list[str]) -> dict[str, str]:
    """Map the names of line 2 to the values of line 3 (split on any run of whitespace)."""
    if not header[0].lstrip("\ufeff").startswith("PathFileType"):
        raise MotionFileError("not a TRC file: line 1 does not start with PathFileType")
    if not header[2].strip():
        raise MotionFileError("malformed TRC header: lines 2-3 (DataRate ...) are missing")
    keys = header[1].split()
    if "DataRate" not in keys:
        raise MotionFileError("malformed TRC header: line 2 has no DataRate")
    fields = dict(zip(keys, header[2].split(), strict=False))
    for required in ("DataRate", "NumFrames", "NumMarkers"):
        if required not in fields:
            raise MotionFileError(f"malformed TRC header: no {required} value on line 3")
    return fields


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _marker_names(line: str) -> list[str]:
    """Marker names of line 4 (after Frame# and Time); tab-separated names may contain spaces."""
    line = line.strip("\r\n")
    names = line.split("\t") if "\t" in line else line.split()
    names = [name.strip() for name in names if name.strip()]
    return names[2:]


def _number(text: str, what: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise MotionFileError(f"malformed TRC header: {what} is {text[:40]!r}") from None


def _count(text: str, what: str) -> int:
    value = _number(text, what)
    if not (math.isfinite(value) and value >= 0 and value == int(value)):
        raise MotionFileError(f"malformed TRC header: {what} is {text[:40]!r}")
    return int(value)


def _optional_number(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        return None
