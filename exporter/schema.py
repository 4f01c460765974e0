"""The index schema (the seed's field list) and the warehouse's names for its fields.

Fivetran writes column names in snake case split at every letter/digit boundary, so the
warehouse holds `l_2_velocity_mean` where the index has `l2_velocity_mean`. Both spellings are
accepted; the index always uses the schema's.
"""

import re

# field -> Elasticsearch/OpenSearch type, in the seed's order.
FIELDS: dict[str, str] = {
    "blend_id": "keyword",
    "left_motion_id": "keyword",
    "right_motion_id": "keyword",
    "blend_ratio": "float",
    "transition_start_frame": "integer",
    "transition_end_frame": "integer",
    "method": "keyword",
    "fid": "float",
    "coverage": "float",
    "global_diversity": "float",
    "local_diversity": "float",
    "inter_diversity": "float",
    "intra_diversity": "float",
    "l2_velocity_mean": "float",
    "l2_velocity_std": "float",
    "l2_velocity_max": "float",
    "l2_velocity_transition": "float",
    "l2_acceleration_mean": "float",
    "l2_acceleration_std": "float",
    "l2_acceleration_max": "float",
    "l2_acceleration_transition": "float",
    "transition_smoothness": "float",
    "velocity_ratio": "float",
    "acceleration_ratio": "float",
    "quality_score": "float",
    "quality_category": "keyword",
    "has_velocity_spike": "boolean",
    "has_rough_transition": "boolean",
    "has_distribution_mismatch": "boolean",
    "computed_at": "date",
    "metrics_version": "keyword",
}
ID_FIELD = "blend_id"
STATUS_COLUMN = "metrics_status"
EXPORTED_STATUS = "ok"
DELETED_COLUMN = "_fivetran_deleted"
WATERMARK_COLUMNS = ("_fivetran_synced", "computed_at")  # the first present wins

INDEX_SETTINGS = {"number_of_shards": 1, "number_of_replicas": 1, "refresh_interval": "1s"}
# While a full rebuild loads a fresh index nobody reads yet.
BULK_LOAD_SETTINGS = {"number_of_replicas": 0, "refresh_interval": "-1"}

_LETTER_DIGIT = re.compile(r"(?<=[A-Za-z])(?=\d)|(?<=\d)(?=[A-Za-z])")


# SQL types (DuckDB and BigQuery spellings) whose values already have each field type's JSON
# form once read (timestamps are formatted as ISO 8601 in SQL, floats have NaN nulled in SQL).
EXACT_SQL_TYPES = {
    "float": {"DOUBLE", "FLOAT", "REAL", "FLOAT64"},
    "integer": {"BIGINT", "INTEGER", "SMALLINT", "TINYINT", "INT64"},
    "boolean": {"BOOLEAN", "BOOL"},
    "keyword": {"VARCHAR", "STRING"},
    "date": {"TIMESTAMP", "TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ", "DATE", "DATETIME"},
}


def fivetran_name(name: str) -> str:
    """The column name Fivetran writes for a declared name: `l2_velocity_mean` -> `l_2_...`."""
    return _LETTER_DIGIT.sub("_", name).lower()


def mapping() -> dict:
    """The index mapping: strict, so a field the schema does not know is refused, never guessed."""
    return {"dynamic": "strict", "properties": {f: {"type": t} for f, t in FIELDS.items()}}


def template_body(pattern: str) -> dict:
    """A composable index template giving every versioned index the same settings and mapping."""
    return {
        "index_patterns": [pattern],
        "priority": 100,
        "template": {"settings": {"index": dict(INDEX_SETTINGS)}, "mappings": mapping()},
    }


def column_map(columns: list[str]) -> dict[str, str]:
    """Warehouse column -> index field for the columns that carry a schema field.

    Raises ValueError when the id column is absent or a field appears under both spellings.
    """
    known = {}
    for field in FIELDS:
        known[field] = field
        known[fivetran_name(field)] = field
    result: dict[str, str] = {}
    for column in columns:
        field = known.get(column.lower())
        if field is None:
            continue
        if field in result.values():
            raise ValueError(f"the table has field {field!r} under two column names")
        result[column] = field
    if ID_FIELD not in result.values():
        raise ValueError(f"the table has no {ID_FIELD!r} column (columns: {', '.join(columns)})")
    return result


def watermark_column(columns: list[str]) -> str:
    """`_fivetran_synced` when the table has it, else `computed_at`."""
    lowered = {c.lower(): c for c in columns}
    for name in WATERMARK_COLUMNS:
        if name in lowered:
            return lowered[name]
    raise ValueError(f"the table has neither of the watermark columns {WATERMARK_COLUMNS}")


class Selection:
    """What a source reads from a table with these columns, and the roles of its columns.

    Raises ValueError when the table is not the metrics table (no id, no watermark)."""

    def __init__(self, names: list[str]):
        self.watermark = watermark_column(names)
        mapped = column_map(names)
        special = (DELETED_COLUMN, STATUS_COLUMN)
        extra = [c for c in names if c.lower() in special]
        self.columns = [*mapped, *extra]  # read in this order, after the watermark
        self.id = next(c for c, f in mapped.items() if f == ID_FIELD)
        self.deleted = next((c for c in extra if c.lower() == DELETED_COLUMN), None)
        self.status = next((c for c in extra if c.lower() == STATUS_COLUMN), None)
        self.fields = mapped

    def exact(self, types: dict[str, str]) -> frozenset[str]:
        """The columns whose SQL type gives values the index takes as they are."""
        return frozenset(
            c for c, f in self.fields.items() if types[c].upper() in EXACT_SQL_TYPES[FIELDS[f]]
        )
