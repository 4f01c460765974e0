"""The five tables, their declared types, and how a row meets them before it is written.

Every row goes through `typed` (or `noted`, which keeps the sync going): values are made safe for
the destination (`workspace.jsonutil.clean`) and coerced to their declared column type
(`shared.values`). A value that does not fit is written as null and named with its value: in
the row's `metadata.notes` (`noted`), or, for a motion file, in its row's error (the connector
decides). motionblend says why in its rows, so it writes no `_invalid_values` column.
"""

from blend_quality.assess import FLAG_COLUMNS, METRIC_COLUMNS
from shared.masking import log
from shared.values import INVALID_VALUES_COLUMN, coerce_record
from workspace.jsonutil import clean

TABLES = [
    {
        "table": "motion_sequences",
        "primary_key": ["sequence_id"],
        "columns": {
            **dict.fromkeys(("name", "file_path", "file_format"), "STRING"),
            "file_size_bytes": "LONG",
            **dict.fromkeys(("frame_count", "joint_count"), "INT"),
            **dict.fromkeys(("duration_seconds", "fps"), "DOUBLE"),
            **dict.fromkeys(("created_at", "last_modified", "discovered_at"), "UTC_DATETIME"),
            "metadata": "JSON",
            "is_active": "BOOLEAN",
            **dict.fromkeys(("extraction_status", "extraction_error"), "STRING"),
            "content_sha256": "STRING",
        },
    },
    {
        "table": "blend_jobs",
        "primary_key": ["job_id"],
        "columns": {
            **dict.fromkeys(("sequence_a_id", "sequence_b_id", "blend_method"), "STRING"),
            "blend_weight": "DOUBLE",
            "status": "STRING",
            **dict.fromkeys(("started_at", "completed_at"), "UTC_DATETIME"),
            **dict.fromkeys(("duration_ms", "output_file_size_bytes"), "LONG"),
            "output_file_path": "STRING",
            "output_frame_count": "INT",
            **dict.fromkeys(("error_message", "initiated_by"), "STRING"),
            **dict.fromkeys(("processing_config", "performance_metrics"), "JSON"),
            **dict.fromkeys(("transition_start_frame", "transition_end_frame"), "INT"),
            "metadata": "JSON",
        },
    },
    {
        "table": "processing_artifacts",
        "primary_key": ["artifact_id"],
        "columns": {
            **dict.fromkeys(("job_id", "artifact_type", "file_name", "file_path"), "STRING"),
            "file_size_bytes": "LONG",
            "mime_type": "STRING",
            **dict.fromkeys(("created_at", "last_accessed"), "UTC_DATETIME"),
            "is_temporary": "BOOLEAN",
            **dict.fromkeys(("retention_days", "download_count"), "INT"),
            "metadata": "JSON",
            "checksum_sha256": "STRING",
        },
    },
    {
        "table": "ui_interactions",
        "primary_key": ["interaction_id"],
        "columns": {
            **dict.fromkeys(("session_id", "interaction_type", "sequence_id"), "STRING"),
            "sequence_ref": "STRING",
            "timestamp": "UTC_DATETIME",
            **dict.fromkeys(("parameters", "performance_timing"), "JSON"),
            "duration_ms": "LONG",
            "resulted_in_blend": "BOOLEAN",
            **dict.fromkeys(("user_agent", "viewport_size", "source_file"), "STRING"),
            "metadata": "JSON",  # notes on values that did not fit their columns
        },
    },
    {
        # The search index's names (`l2_velocity_mean`): the destination writes them in snake
        # case split at digits (`l_2_velocity_mean`).
        "table": "blend_quality_metrics",
        "primary_key": ["blend_id"],
        "columns": {
            **dict.fromkeys(("left_motion_id", "right_motion_id", "method"), "STRING"),
            "blend_ratio": "DOUBLE",
            **dict.fromkeys(("transition_start_frame", "transition_end_frame"), "INT"),
            **{
                column: "STRING" if column == "quality_category" else "DOUBLE"
                for column in METRIC_COLUMNS
                if column not in FLAG_COLUMNS
            },
            **dict.fromkeys(FLAG_COLUMNS, "BOOLEAN"),
            "computed_at": "UTC_DATETIME",
            "metrics_version": "STRING",
            "metrics_config": "JSON",
            **dict.fromkeys(("metrics_status", "metrics_error"), "STRING"),
        },
    },
]
_BY_NAME = {table["table"]: table for table in TABLES}


def typed(table: str, row: dict) -> tuple[dict, list[str]]:
    """The row made safe for the destination (workspace.jsonutil.clean) and coerced to the
    table's declared types (shared.values); a value that does not fit is nulled and named,
    with its value, in the problems returned."""
    declared = _BY_NAME[table]
    row, problems = coerce_record(clean(row), declared["columns"], declared["primary_key"])
    row.pop(INVALID_VALUES_COLUMN, None)  # motionblend says why in its rows instead
    return row, [f"{name}: {reason}" for name, (_, reason) in problems.items()]


def noted(table: str, row: dict) -> dict:
    """The typed row; each value that did not fit (a manifest's 3e9 transition frame, a UI
    event's 1e19 duration) is nulled and noted in `metadata.notes`: the sync goes on."""
    row, problems = typed(table, row)
    if problems:
        noted_in = "metadata.notes" if "metadata" in _BY_NAME[table]["columns"] else "this log"
        if noted_in == "metadata.notes":
            metadata = row.get("metadata") if isinstance(row.get("metadata"), dict) else {}
            row["metadata"] = {**metadata, "notes": [*metadata.get("notes", []), *problems]}
        key = row[_BY_NAME[table]["primary_key"][0]]
        log.warning(
            f"motionblend: {table} {key}: {'; '.join(problems)}; written as null "
            f"(noted in {noted_in})"
        )
    return row
