"""UI event logs (`build/ui_analytics/*.jsonl`): read what was appended, one event per line.

The logs are append-only, so each is read from the byte offset where the last sync stopped.
Only complete lines count: a last line without its newline is still being written and is left
for the next sync. A log that shrank, or whose first line changed, was rotated (truncated or
replaced) and is read from the start. A line that is not a JSON object, or longer than
`MAX_LINE_BYTES`, is skipped and counted; it never fails the sync.
"""

import hashlib
import math
from collections.abc import Iterator
from datetime import UTC, datetime

from shared.timewindows import parse_utc
from workspace.jsonutil import load_json
from workspace.storage import ScannedFile

MAX_LINE_BYTES = 1 << 20
HEAD_DIGEST_HEX = 8
_EPOCH_MILLISECONDS_FROM = 1e11  # a larger epoch number is in milliseconds, not seconds


def head_digest(file: ScannedFile) -> str | None:
    """8 hex digits of the first complete line (None when there is none yet)."""
    with file.open() as handle:
        line = handle.readline(MAX_LINE_BYTES + 1)
    if not line.endswith(b"\n"):
        return None
    return hashlib.sha256(line).hexdigest()[:HEAD_DIGEST_HEX]


def start_offset(file: ScannedFile, saved: list | None) -> tuple[int | None, str | None]:
    """(offset to read from, or None when nothing was appended; why it restarts, if it does)."""
    size = file.size
    if not saved:
        return (0, None) if size else (None, None)
    offset, head = saved
    if size == offset:
        return None, None
    if size < offset:
        return 0, f"shrank from {offset} to {size} bytes: rotated, read from the start"
    if head and head_digest(file) != head:
        return 0, "first line changed: rotated, read from the start"
    return offset, None


def complete_lines(file: ScannedFile, offset: int) -> Iterator[tuple[bytes | None, int]]:
    """(line, offset after it) for each complete line from `offset`; None for an overlong line.

    Stops before a last line that has no newline yet, so its offset is never passed.
    """
    with file.open() as handle:
        handle.seek(offset)
        position = offset
        while True:
            line = handle.readline(MAX_LINE_BYTES + 1)
            if not line:
                return
            if line.endswith(b"\n"):
                position += len(line)
                yield line, position
                continue
            if len(line) <= MAX_LINE_BYTES:
                return  # partial last line: left for the next sync
            skipped = len(line)
            while not line.endswith(b"\n"):
                line = handle.readline(MAX_LINE_BYTES + 1)
                if not line:
                    return  # still being written
                skipped += len(line)
            position += skipped
            yield None, position


def parse_event(line: bytes) -> dict | None:
    """The event object of a line, or None when the line is malformed."""
    try:
        event = load_json(line)
    except ValueError:
        return None
    return event if isinstance(event, dict) else None


def event_time(value) -> str | None:
    """An event timestamp as `YYYY-MM-DDTHH:MM:SS.mmmZ` (fixed width, so text order is time
    order); ISO 8601 text or epoch seconds/milliseconds; None when unreadable."""
    moment = None
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        seconds = value / 1000 if abs(value) >= _EPOCH_MILLISECONDS_FROM else value
        try:
            moment = datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    elif isinstance(value, str) and value.strip():
        try:
            moment = parse_utc(value)
        except ValueError:
            return None
    if moment is None:
        return None
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def interaction_row(event: dict, line: bytes, source: str, resolve_sequence) -> dict:
    """The ui_interactions row of an event; `resolve_sequence(ref)` gives a Resolution."""
    interaction_id = _text(event.get("interaction_id"))
    if interaction_id is None:  # stable across re-reads: derived from the line itself
        interaction_id = "derived-" + hashlib.sha256(line.strip()).hexdigest()[:16]
    reference = event.get("sequence_id")
    if reference in (None, ""):
        reference = event.get("sequence_name")
    resolution = resolve_sequence(reference) if reference not in (None, "") else None
    return {
        "interaction_id": interaction_id,
        "session_id": _text(event.get("session_id")),
        "interaction_type": _text(event.get("interaction_type")),
        "sequence_id": resolution.sequence_id if resolution else None,
        "sequence_ref": _text(reference),
        "timestamp": event_time(event.get("timestamp")),
        "parameters": _json_value(event.get("parameters")),
        "duration_ms": _integer(event.get("duration_ms")),
        "resulted_in_blend": _boolean(event.get("resulted_in_blend")),
        "user_agent": _text(event.get("user_agent")),
        "viewport_size": _viewport(event.get("viewport_size")),
        "performance_timing": _json_value(event.get("performance_timing")),
        "source_file": source,
    }


def download_path(event: dict, workspace_root: str) -> str | None:
    """Workspace-relative path of the file a `download` event fetched, else None."""
    if _text(event.get("interaction_type")) != "download":
        return None
    parameters = event.get("parameters") if isinstance(event.get("parameters"), dict) else {}
    for holder, key in ((parameters, "file_path"), (parameters, "path"), (event, "file_path")):
        value = _text(holder.get(key))
        if value:
            path = value.replace("\\", "/")
            root = workspace_root.rstrip("/") + "/"
            if path.startswith(root):
                path = path[len(root) :]
            while path.startswith("./"):
                path = path[2:]
            return path
    return None


def _text(value) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    text = str(value).strip()
    return text or None


def _integer(value) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return round(number) if math.isfinite(number) else None


def _boolean(value) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0"):
        return value.strip().lower() in ("true", "1")
    if isinstance(value, int | float):
        return bool(value)
    return None


def _viewport(value) -> str | None:
    if isinstance(value, dict) and "width" in value and "height" in value:
        return f"{value['width']}x{value['height']}"
    if isinstance(value, list | tuple) and len(value) == 2:
        return f"{value[0]}x{value[1]}"
    return _text(value)


def _json_value(value):
    """A dict or list as is (a JSON column); a scalar wrapped so the column stays JSON."""
    if value is None or isinstance(value, dict | list):
        return value
    return {"value": value}
