"""Print what a `fivetran debug` run wrote: each table's row count and a few sample rows.

usage: python tools/warehouse_summary.py <connector>/files/warehouse.db [--samples N]
"""

import argparse
import sys
from pathlib import Path

import duckdb

SCHEMA = "tester"
MAX_CELL = 40


def table_counts(warehouse: Path) -> dict[str, tuple[int, int]]:
    """{table: (live rows, soft-deleted rows)} for every table the debug run created."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = [
            name
            for (name,) in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = ? "
                "ORDER BY table_name",
                [SCHEMA],
            ).fetchall()
        ]
        counts = {}
        for table in tables:
            live, deleted = con.execute(
                f"SELECT count(*) FILTER (NOT COALESCE(_fivetran_deleted, false)), "
                f'count(*) FILTER (COALESCE(_fivetran_deleted, false)) FROM {SCHEMA}."{table}"'
            ).fetchone()
            counts[table] = (live, deleted)
        return counts


def sample_rows(warehouse: Path, table: str, limit: int) -> tuple[list[str], list[tuple]]:
    """The first `limit` rows, every value as text (no pytz needed for timestamps)."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        columns = [
            name
            for (name,) in con.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
                [SCHEMA, table],
            ).fetchall()
        ]
        select = ", ".join(f'CAST("{c}" AS VARCHAR)' for c in columns)
        rows = con.execute(
            f'SELECT {select} FROM {SCHEMA}."{table}" LIMIT {int(limit)}'
        ).fetchall()
    return columns, rows


def _cell(value) -> str:
    text = "NULL" if value is None else str(value)
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("warehouse", type=Path)
    parser.add_argument("--samples", type=int, default=3)
    args = parser.parse_args()
    if not args.warehouse.exists():
        print(f"no warehouse at {args.warehouse}: the sync wrote nothing", file=sys.stderr)
        return 1
    counts = table_counts(args.warehouse)
    print(f"\nWarehouse {args.warehouse} (schema {SCHEMA}):")
    for table, (live, deleted) in counts.items():
        print(f"  {table:<28} {live:>8} rows" + (f" ({deleted} soft-deleted)" if deleted else ""))
    for table in counts if args.samples else []:
        columns, rows = sample_rows(args.warehouse, table, args.samples)
        print(f"\n{table} (first {len(rows)} rows):")
        for row in rows:
            shown = [f"{c}={_cell(v)}" for c, v in zip(columns, row, strict=True)]
            print("  " + ", ".join(shown[:8]) + (", …" if len(shown) > 8 else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
