"""Processing artifacts: what a generated file is, how long to keep it, and what is inside.

Every file of build/demo_artifacts and build/blend_snn is an artifact. Its type comes from the
suffix (`motion`, `manifest` for JSON, `log`, `image`, `other`); it is temporary when it ends in
`.tmp` or `.partial` or lies in a `tmp/` folder. Retention is looked up as `temporary` (for a
temporary file), then its type, then `default`. Metadata is cheap to get: line and error-line
counts of a log (streamed), width/height of a PNG/GIF/JPEG header, top-level keys of a JSON file.
"""

import mimetypes
import re
import struct
from datetime import UTC, datetime

from shared.timewindows import format_utc
from workspace.jsonutil import load_json
from workspace.motions import file_sha256, is_motion_file
from workspace.roots import BLEND
from workspace.state import artifact_id, sequence_id
from workspace.storage import ScannedFile

ARTIFACT_TYPES = ("motion", "manifest", "log", "image", "other")
RETENTION_KEYS = ("temporary", *ARTIFACT_TYPES, "default")
TEMPORARY_SUFFIXES = (".tmp", ".partial")
TEMPORARY_FOLDER = "tmp"
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp", ".svg")
LOG_SUFFIXES = (".log",)
MANIFEST_SUFFIXES = (".json",)
MAX_JSON_BYTES = 8 << 20
MAX_KEYS_LISTED = 50
IMAGE_HEAD_BYTES = 64 * 1024  # enough for the size of a PNG, GIF or JPEG (after its EXIF)
# A log line is an error line when it carries one of these level words (not "RuntimeError").
ERROR_LINE = re.compile(rb"\b(ERROR|CRITICAL|FATAL)\b")
WARNING_LINE = re.compile(rb"\b(WARNING|WARN)\b")
MIME_TYPES = {
    ".bvh": "application/x-bvh",
    ".trc": "text/tab-separated-values",
    ".npy": "application/x-npy",
    ".glb": "model/gltf-binary",
    ".gltf": "model/gltf+json",
    ".fbx": "application/octet-stream",
    ".json": "application/json",
    ".jsonl": "application/x-ndjson",
    ".log": "text/plain",
}


def suffix_of(rel: str) -> str:
    name = rel.rsplit("/", 1)[-1]
    return "." + name.rsplit(".", 1)[1].lower() if "." in name.lstrip(".") else ""


def classify(rel: str) -> tuple[str, bool]:
    """(artifact_type, is_temporary) of a workspace-relative path."""
    suffix = suffix_of(rel)
    temporary = suffix in TEMPORARY_SUFFIXES or TEMPORARY_FOLDER in rel.split("/")[:-1]
    inner = rel
    while suffix_of(inner) in TEMPORARY_SUFFIXES:  # render.glb.partial is a partial motion
        inner = inner.rsplit(".", 1)[0]
    if is_motion_file(inner):
        return "motion", temporary
    inner_suffix = suffix_of(inner)
    if inner_suffix in MANIFEST_SUFFIXES:
        return "manifest", temporary
    if inner_suffix in LOG_SUFFIXES:
        return "log", temporary
    if inner_suffix in IMAGE_SUFFIXES:
        return "image", temporary
    return "other", temporary


def retention_days(artifact_type: str, temporary: bool, retention: dict) -> int | None:
    """Days to keep an artifact per the `retention_days` setting (None: not configured)."""
    if temporary and "temporary" in retention:
        return retention["temporary"]
    return retention.get(artifact_type, retention.get("default"))


def retention_of(rel: str, retention: dict) -> int | None:
    """Retention days of the artifact at `rel`."""
    return retention_days(*classify(rel), retention)


def mime_type(rel: str) -> str:
    suffix = suffix_of(rel)
    if suffix in MIME_TYPES:
        return MIME_TYPES[suffix]
    return mimetypes.guess_type("x" + suffix)[0] or "application/octet-stream"


def describe(file: ScannedFile, artifact_type: str, max_bytes: int) -> tuple[dict, str | None]:
    """(metadata, sha256) of an artifact; never raises for a bad or unreadable file."""
    if file.size > max_bytes:
        return {"skipped": "larger than max_file_size_mb: not read"}, None
    try:
        digest = file_sha256(file)
        if artifact_type == "log":
            return log_metadata(file), digest
        if artifact_type == "image":
            return image_metadata(file), digest
        if artifact_type == "manifest":
            return json_metadata(file), digest
    except OSError as error:
        return {"read_error": error.strerror or str(error)}, None
    return {}, digest


def log_metadata(file: ScannedFile) -> dict:
    """Line, error-line and warning-line counts of a text log (streamed line by line)."""
    lines = errors = warnings = 0
    with file.open() as handle:
        for line in handle:
            lines += 1
            errors += bool(ERROR_LINE.search(line))
            warnings += bool(WARNING_LINE.search(line))
    return {"line_count": lines, "error_line_count": errors, "warning_line_count": warnings}


def image_metadata(file: ScannedFile) -> dict:
    """Format, width and height from the first bytes of a PNG, GIF or JPEG."""
    with file.open() as handle:
        head = handle.read(IMAGE_HEAD_BYTES)
    if head.startswith(b"\x89PNG\r\n\x1a\n") and len(head) >= 24:
        width, height = struct.unpack(">II", head[16:24])
        return {"format": "png", "width": width, "height": height}
    if head[:6] in (b"GIF87a", b"GIF89a") and len(head) >= 10:
        width, height = struct.unpack("<HH", head[6:10])
        return {"format": "gif", "width": width, "height": height}
    if head.startswith(b"\xff\xd8"):
        return _jpeg_size(head)
    return {"format": None, "warning": "image header not recognised"}


def _jpeg_size(head: bytes) -> dict:
    position = 2
    while position + 9 < len(head):
        if head[position] != 0xFF:
            break
        marker = head[position + 1]
        length = struct.unpack(">H", head[position + 2 : position + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2):
            height, width = struct.unpack(">HH", head[position + 5 : position + 9])
            return {"format": "jpeg", "width": width, "height": height}
        position += 2 + length
    return {"format": "jpeg", "warning": "no frame header in the first 64 KB"}


def json_metadata(file: ScannedFile) -> dict:
    """Whether a JSON file parses, and its top-level keys (or list length)."""
    if file.size > MAX_JSON_BYTES:
        return {"json_valid": None, "warning": f"over {MAX_JSON_BYTES} bytes: not parsed"}
    with file.open() as handle:
        raw = handle.read()
    try:
        document = load_json(raw)
    except ValueError as error:
        return {"json_valid": False, "json_error": str(error)}
    if isinstance(document, dict):
        keys = list(document)
        return {"json_valid": True, "top_level_keys": keys[:MAX_KEYS_LISTED]}
    if isinstance(document, list):
        return {"json_valid": True, "items": len(document)}
    return {"json_valid": True}


def artifact_row(
    file: ScannedFile,
    *,
    job_id: str | None,
    retention: dict,
    max_bytes: int,
    downloads: tuple[int, str | None],
    known_sha256: str | None = None,
) -> dict:
    """The processing_artifacts row of one file."""
    artifact_type, temporary = classify(file.rel)
    if known_sha256 is not None:
        metadata, digest = {}, known_sha256
    else:
        metadata, digest = describe(file, artifact_type, max_bytes)
    if artifact_type == "motion" and file.root == BLEND:  # also has a motion_sequences row
        metadata = {"sequence_id": sequence_id(file.rel), **metadata}
    return {
        "artifact_id": artifact_id(file.rel),
        "job_id": job_id,
        "artifact_type": artifact_type,
        "file_name": file.name,
        "file_path": file.rel,
        "file_size_bytes": file.size,
        "mime_type": mime_type(file.rel),
        "created_at": format_utc(datetime.fromtimestamp(file.created, UTC)),
        "is_temporary": temporary,
        "retention_days": retention_days(artifact_type, temporary, retention),
        "download_count": downloads[0],
        "last_accessed": downloads[1],
        "metadata": {"location": file.root, **metadata},
        "checksum_sha256": digest,
    }


def job_of_artifact(name: str, job_ids: dict[str, str], known_job_ids: set) -> str | None:
    """The job an artifact belongs to: its name (up to the first or last dot) is a blend's
    name (`previews/<blend>.png`) or a job id (`logs/<job_id>.log`)."""
    for stem in (name.rsplit(".", 1)[0], name.split(".", 1)[0]):
        if stem in job_ids:
            return job_ids[stem]
        if stem in known_job_ids:
            return stem
    return None
