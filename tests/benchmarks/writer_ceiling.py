"""The SDK writer ceiling: how fast `fivetran debug` can write rows that cost nothing to produce.

The synthetic connector (tests/fixtures/synthetic) upserts generated 30-column rows, or replays
a JSON Lines file, with no HTTP at all, so its throughput is the most any connector can reach
under debug on this machine. It is measured at several checkpoint cadences, because the SDK
buffers every row in memory until the next checkpoint: the cadence trades speed for memory.

`ceiling(...)` is reusable: the mso benchmark replays the exact records its connector writes,
at the connector's own cadence, to get the ceiling that connector is compared with.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from pathlib import Path

from shared.checkpoint import DEFAULT_EVERY_ROWS, DEFAULT_EVERY_SECONDS
from tests.benchmarks.common import (
    BenchDirs,
    BenchmarkError,
    Report,
    Table,
    debug_run,
    figure,
    progress,
)

NAME = "writer_ceiling"
TITLE = "SDK writer ceiling: synthetic 30-column upserts under fivetran debug"
SYNTHETIC = "tests/fixtures/synthetic"
ROWS = 20_000
QUICK_ROWS = 5_000
ROUNDS = 2  # every cadence is measured this many times, interleaved; the best run counts
QUICK_ROUNDS = 1


@dataclass(frozen=True)
class Cadence:
    """When to checkpoint; 0 disables a bound (both 0: once, at the end)."""

    label: str
    every_rows: int = 0
    every_seconds: float = 0.0


CADENCES = (
    Cadence("every 100 rows", every_rows=100),
    Cadence("every 1,000 rows", every_rows=1000),
    Cadence(
        f"every {DEFAULT_EVERY_ROWS:,} rows / {DEFAULT_EVERY_SECONDS:g} s (default)",
        every_rows=DEFAULT_EVERY_ROWS,
        every_seconds=DEFAULT_EVERY_SECONDS,
    ),
    Cadence("every 2 s (no row limit)", every_seconds=2.0),
    Cadence("once at the end"),
)
AT_END = CADENCES[-1]


def ceiling(
    rows_file: str | Path | None = None,
    schema_file: str | Path | None = None,
    every_rows: int = DEFAULT_EVERY_ROWS,
    every_seconds: float = DEFAULT_EVERY_SECONDS,
    *,
    row_count: int = ROWS,
    table: str | None = None,
    workdir: Path | None = None,
    home: Path | None = None,
    label: str = "ceiling",
) -> dict:
    """One measured synthetic run; returns rows, rows_per_second, peak_rss_mb, seconds, ...

    Without `rows_file`, `row_count` generated rows; with it, every row of that JSON Lines file
    (then `schema_file`, a JSON list as `schema()` returns, and `table` should mirror the
    connector being compared). `every_rows` / `every_seconds` = 0 disables that bound.
    """
    configuration = {
        "every_rows": str(int(every_rows)),
        "every_seconds": str(float(every_seconds)),
    }
    if rows_file is not None:
        configuration["rows_file"] = str(Path(rows_file).resolve())
    else:
        configuration["row_count"] = str(row_count)
    if schema_file is not None:
        configuration["schema_file"] = str(Path(schema_file).resolve())
    if table is not None:
        configuration["table"] = table
    with BenchDirs(workdir, home) as dirs:
        run = debug_run(SYNTHETIC, configuration, dirs.workdir, dirs.home, label=label)
    if rows_file is None and run.rows != row_count:
        raise BenchmarkError(f"{label}: wrote {run.rows} rows, expected {row_count}")
    if run.rows <= 0:
        raise BenchmarkError(f"{label}: wrote no rows")
    return {**run.as_dict(), "every_rows": every_rows, "every_seconds": every_seconds}


def run(
    workdir: Path,
    home: Path,
    quick: bool = False,
    *,
    rows: int | None = None,
    cadences: tuple[Cadence, ...] = CADENCES,
    rounds: int | None = None,
) -> Report:
    """Measure every cadence `rounds` times, interleaved so drifting load hits all alike."""
    rows = rows or (QUICK_ROWS if quick else ROWS)
    rounds = rounds or (QUICK_ROUNDS if quick else ROUNDS)
    runs: dict[str, list[dict]] = {c.label: [] for c in cadences}
    for round_number in range(1, rounds + 1):
        for cadence in cadences:
            progress(f"{NAME}: {rows:,} rows, {cadence.label}, round {round_number}/{rounds}")
            result = ceiling(
                every_rows=cadence.every_rows,
                every_seconds=cadence.every_seconds,
                row_count=rows,
                workdir=workdir,
                home=home,
                label="writer",
            )
            runs[cadence.label].append(result)

    def best(label: str) -> dict:
        return max(runs[label], key=lambda r: r["rows_per_second"])

    reference = best(AT_END.label)["rows_per_second"] if AT_END in cadences else None
    table_rows, summary = [], {}
    for cadence in cadences:
        top = best(cadence.label)
        peak = max(r["peak_rss_mb"] for r in runs[cadence.label])
        rates = [r["rows_per_second"] for r in runs[cadence.label]]
        relative = top["rows_per_second"] / reference if reference else float("nan")
        summary[cadence.label] = {
            "every_rows": cadence.every_rows,
            "every_seconds": cadence.every_seconds,
            "rows_per_second": top["rows_per_second"],
            "rows_per_second_runs": rates,
            "relative_to_at_end": relative,
            "peak_rss_mb": peak,
            "checkpoints": top["checkpoints"],
            "cpu_seconds": top["cpu_seconds"],
            "runs": runs[cadence.label],
        }
        table_rows.append(
            [
                cadence.label,
                top["checkpoints"],
                top["rows_per_second"],
                statistics.median(rates) if len(rates) > 2 else min(rates),
                relative,
                top["cpu_seconds"],
                peak,
            ]
        )
    worst_label = "median" if rounds > 2 else "worst"
    table = Table(
        f"{rows:,} rows x 30 columns; best of {rounds} interleaved run(s) per cadence",
        [
            "checkpoint cadence",
            "checkpoints",
            "rows/s",
            f"rows/s ({worst_label})",
            "vs at end",
            "CPU s",
            "peak RSS MB",
        ],
        table_rows,
    )
    figures = []
    if reference:
        figures.append(figure("ceiling, once at the end", reference, "rows/s"))
    defaults = (DEFAULT_EVERY_ROWS, DEFAULT_EVERY_SECONDS)
    default = next((c for c in cadences if (c.every_rows, c.every_seconds) == defaults), None)
    if default is not None:
        figures.append(
            figure(
                "ceiling at the shared default cadence",
                best(default.label)["rows_per_second"],
                "rows/s",
            )
        )
    return Report(
        NAME,
        TITLE,
        figures=figures,
        tables=[table],
        notes=[
            "rows/s is measured over the sync (`calling update()` to `SYNC SUCCEEDED`); "
            "peak RSS is the debug process's exact peak (getrusage), the max over the rounds",
            "no targets: these are the ceiling every connector benchmark is compared with",
        ],
        details={"rows": rows, "rounds": rounds, "cadences": summary},
    )
