"""Generated `blend_quality_metrics` tables in DuckDB, with the column names Fivetran writes.

Fivetran splits names at letter/digit boundaries (`l_2_velocity_mean`) and adds
`_fivetran_synced` (TIMESTAMP WITH TIME ZONE) and `_fivetran_deleted`; `fivetran_names=False`
writes the index schema's own names instead (`l2_velocity_mean`), which the exporter accepts too.
"""

from __future__ import annotations

import csv
import random
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from exporter.schema import FIELDS, fivetran_name

SCHEMA = "tester"
TABLE = "blend_quality_metrics"
BASE_TIME = datetime(2026, 11, 1, tzinfo=UTC)
_SQL_TYPES = {
    "keyword": "VARCHAR",
    "float": "DOUBLE",
    "integer": "BIGINT",
    "boolean": "BOOLEAN",
    "date": "TIMESTAMP WITH TIME ZONE",
}
EXTRA_COLUMNS = [
    ("metrics_config", "VARCHAR"),
    ("metrics_status", "VARCHAR"),
    ("metrics_error", "VARCHAR"),
    ("_fivetran_synced", "TIMESTAMP WITH TIME ZONE"),
    ("_fivetran_deleted", "BOOLEAN"),
]


def category(score: float) -> str:
    for threshold, name in ((0.8, "excellent"), (0.65, "good"), (0.5, "acceptable")):
        if score >= threshold:
            return name
    return "poor"


def row(i: int, synced: datetime, rng: random.Random, status: str = "ok") -> dict:
    """Row number i: index field -> value, plus the table's other columns."""
    values = {}
    for field, kind in FIELDS.items():
        if kind == "float":
            values[field] = round(rng.uniform(0, 3), 6)
        elif kind == "integer":
            values[field] = rng.randrange(0, 300)
        elif kind == "boolean":
            values[field] = rng.random() < 0.2
    score = round(rng.random(), 6)
    values.update(
        blend_id=f"blend-{i:07d}",
        left_motion_id=f"motion-{i % 97:03d}",
        right_motion_id=f"motion-{(i * 7 + 3) % 97:03d}",
        method="snn",
        quality_score=score,
        quality_category=category(score),
        coverage=round(rng.uniform(0, 1), 6),
        transition_smoothness=round(rng.uniform(0, 1), 6),
        computed_at=synced - timedelta(seconds=5),
        metrics_version="1.0.0",
        metrics_config='{"fid_scale": 5}',
        metrics_status=status,
        metrics_error=None if status == "ok" else "unreadable",
        _fivetran_synced=synced,
        _fivetran_deleted=False,
    )
    return values


def _csv(value):
    if value is None:
        return "\\N"
    if isinstance(value, datetime):
        return value.isoformat()
    return value


class Warehouse:
    """A DuckDB file holding one metrics table; rows are upserted by blend_id like Fivetran."""

    def __init__(self, path: Path, fivetran_names: bool = True, seed: int = 7):
        self.path = Path(path)
        self.rng = random.Random(seed)
        self.fields = [*FIELDS, *(n for n, _ in EXTRA_COLUMNS)]
        self.names = [
            fivetran_name(f) if fivetran_names and f in FIELDS else f for f in self.fields
        ]
        types = self.columns_types()
        spec = ", ".join(f'"{n}" {t}' for n, t in zip(self.names, types, strict=True))
        with duckdb.connect(str(self.path)) as db:
            db.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
            db.execute(
                f'CREATE TABLE IF NOT EXISTS {SCHEMA}.{TABLE} ({spec}, PRIMARY KEY ("blend_id"))'
            )

    @staticmethod
    def columns_types() -> list[str]:
        """SQL types of the columns, in order."""
        return [_SQL_TYPES[t] for t in FIELDS.values()] + [t for _, t in EXTRA_COLUMNS]

    def upsert(self, rows: list[dict]) -> None:
        """INSERT OR REPLACE through a CSV file: binding Python values one by one makes DuckDB
        try `import pandas` for every value, which costs ~1 ms each when pandas is absent."""
        types = dict(zip(self.names, self.columns_types(), strict=True))
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "rows.csv"
            with path.open("w", newline="") as stream:
                writer = csv.writer(stream)
                writer.writerow(self.names)
                for r in rows:
                    writer.writerow([_csv(r.get(f)) for f in self.fields])
            with duckdb.connect(str(self.path)) as db:
                db.execute(
                    f"INSERT OR REPLACE INTO {SCHEMA}.{TABLE} SELECT * FROM read_csv(?, "
                    f"header = true, columns = {types!r}, nullstr = '\\N')",
                    [str(path)],
                )

    def add(
        self,
        start: int,
        count: int,
        synced: datetime,
        status: str = "ok",
        spacing: timedelta = timedelta(microseconds=1),
    ) -> list[dict]:
        """Rows start..start+count-1, `spacing` apart from `synced` on."""
        rows = [
            row(i, synced + (i - start) * spacing, self.rng, status)
            for i in range(start, start + count)
        ]
        self.upsert(rows)
        return rows

    def soft_delete(self, blend_ids: list[str], synced: datetime) -> None:
        with duckdb.connect(str(self.path)) as db:
            db.executemany(
                f"UPDATE {SCHEMA}.{TABLE} SET _fivetran_deleted = true, _fivetran_synced = ? "
                "WHERE blend_id = ?",
                [[synced, b] for b in blend_ids],
            )
