"""Turn one motion file into its `motion_sequences` row, never failing on a bad file.

`extract_motion` reads the metadata through `mocap.read_metadata` and the SHA-256 of the content
(streamed); a corrupt, truncated, empty or unreadable file gives `extraction_status = "error"`
with the reason, a file over the size cap gives `"skipped_too_large"` without being opened, and
a format the readers recognise but cannot read (ASCII FBX) gives `"unsupported"`.
"""

import hashlib
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime

from shared.timewindows import format_utc
from workspace.jsonutil import json_safe
from workspace.mocap import (
    STATUS_OK,
    STATUS_UNSUPPORTED,
    SUPPORTED_SUFFIXES,
    MotionFileError,
    read_metadata,
)
from workspace.state import fingerprint, sequence_id
from workspace.storage import ScannedFile

# extraction_status values: STATUS_OK and STATUS_UNSUPPORTED are what a reader reports.
STATUS_ERROR = "error"
STATUS_TOO_LARGE = "skipped_too_large"
HASH_CHUNK_BYTES = 1 << 20
NPY_SIDECAR_SUFFIX = ".json"  # <stem>.json beside a .npy may give its fps


@dataclass
class MotionResult:
    """What reading one motion file gave."""

    status: str
    error: str | None = None
    frame_count: int | None = None
    joint_count: int | None = None
    fps: float | None = None
    duration_seconds: float | None = None
    details: dict = field(default_factory=dict)
    sha256: str | None = None


def is_motion_file(rel: str) -> bool:
    """True for a file whose suffix one of the mocap readers handles (any case)."""
    name = rel.rsplit("/", 1)[-1]
    return "." in name and "." + name.rsplit(".", 1)[1].lower() in SUPPORTED_SUFFIXES


def stem_and_format(rel: str) -> tuple[str, str]:
    """("walk_fast", "bvh") for ".../walk_fast.BVH"."""
    name = rel.rsplit("/", 1)[-1]
    stem, _, suffix = name.rpartition(".")
    return stem, suffix.lower()


def file_sha256(file: ScannedFile) -> str:
    """SHA-256 of a file, read in 1 MB chunks (memory stays flat for any size)."""
    digest = hashlib.sha256()
    with file.open() as handle:
        while chunk := handle.read(HASH_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def extract_motion(file: ScannedFile, *, max_bytes: int, default_fps: float) -> MotionResult:
    """Metadata and checksum of one motion file; problems become a status, never an exception."""
    if file.size > max_bytes:
        return MotionResult(
            STATUS_TOO_LARGE,
            f"file is {file.size} bytes, over max_file_size_mb ({max_bytes // (1 << 20)} MB); "
            "not read",
        )
    try:
        digest = file_sha256(file)
    except OSError as error:
        return MotionResult(STATUS_ERROR, f"cannot read file: {error.strerror or error}")
    try:
        metadata = read_metadata(file.path, default_fps=default_fps)
    except MotionFileError as error:
        return MotionResult(STATUS_ERROR, str(error) or type(error).__name__, sha256=digest)
    except Exception as error:  # a reader bug must not fail the whole sync either
        return MotionResult(
            STATUS_ERROR, f"reader failed: {type(error).__name__}: {error}", sha256=digest
        )
    if metadata.status != STATUS_OK:
        return MotionResult(
            STATUS_UNSUPPORTED, metadata.reason or "unsupported variant", sha256=digest
        )
    try:
        truncated = missing_frames(file, metadata)
    except OSError as error:
        return MotionResult(STATUS_ERROR, f"cannot read file: {error.strerror or error}")
    if truncated:
        return MotionResult(STATUS_ERROR, truncated, sha256=digest)
    details = json_safe(metadata.details)
    return MotionResult(
        STATUS_OK,
        frame_count=metadata.frame_count,
        joint_count=metadata.joint_count,
        fps=metadata.fps,
        # As each format defines it: frames / fps for BVH, TRC and NPY; the key span of the
        # longest clip for glTF; the longest animation stack for FBX.
        duration_seconds=metadata.duration_seconds,
        details=details,
        sha256=digest,
    )


def missing_frames(file: ScannedFile, metadata) -> str | None:
    """Why a BVH or TRC file was cut short in its data section (None if it was not).

    The readers take frame counts from headers without decoding the data, so a file cut short
    would look fine. A BVH with fewer motion lines than its header announces is truncated. A
    TRC whose complete rows merely differ from NumFrames is only noted in its metadata
    warnings (exports sometimes disagree with their headers); it is truncated when it also
    ends in the middle of a row.
    """
    announced = metadata.frame_count
    if not announced:
        return None
    if metadata.file_format == "trc":
        rows = metadata.details.get("data_rows")
        if isinstance(rows, int) and rows < announced and not ends_with_newline(file):
            return f"truncated TRC file: it ends mid-row after {rows} of {announced} frames"
        return None
    if metadata.file_format != "bvh":
        return None
    rows, in_motion = 0, False
    with file.open() as handle:
        for line in handle:
            if in_motion:
                rows += bool(line.strip())
            elif line.lstrip().lower().startswith(b"frame time"):
                in_motion = True
    if rows < announced:
        return f"truncated BVH file: {rows} motion lines, the header says Frames {announced}"
    return None


def ends_with_newline(file: ScannedFile) -> bool:
    with file.open() as handle:
        handle.seek(-1, os.SEEK_END)
        return handle.read(1) in (b"\n", b"\r")


def motion_fingerprint(file: ScannedFile, scan, max_bytes: int, default_fps: float) -> str:
    """What a motion row is made from: the file's version, the size cap and, for NPY, the fps
    sidecar's version and the default fps (a state entry with another fingerprint is read
    again)."""
    parts = [file.size, file.version, file.size > max_bytes]
    if file.rel.lower().endswith(".npy"):
        sidecar = scan.get(file.rel.rsplit(".", 1)[0] + NPY_SIDECAR_SUFFIX)
        parts += [sidecar and (sidecar.size, sidecar.version), default_fps]
    return fingerprint(*parts)


def motion_row(file: ScannedFile, result: MotionResult) -> dict:
    """The motion_sequences row (without discovered_at, which only a first sighting sets)."""
    name, file_format = stem_and_format(file.rel)
    return {
        "sequence_id": sequence_id(file.rel),
        "name": name,
        "file_path": file.rel,
        "file_format": file_format,
        "file_size_bytes": file.size,
        "frame_count": result.frame_count,
        "joint_count": result.joint_count,
        "duration_seconds": as_float(result.duration_seconds),
        "fps": as_float(result.fps),
        "created_at": format_utc(datetime.fromtimestamp(file.created, UTC)),
        "last_modified": format_utc(datetime.fromtimestamp(file.modified_ns / 1e9, UTC)),
        "metadata": {"location": file.root, **result.details},
        "is_active": True,
        "extraction_status": result.status,
        "extraction_error": result.error,
        "content_sha256": result.sha256,
    }


def as_float(value) -> float | None:
    return None if value is None else float(value)
