"""exporter: rows streamed from DuckDB to a cluster over loopback, 1 and 4 workers, vs the seed.

Each run is its own process under rusage_wrapper.py (exact peak RSS), on the same generated
`blend_quality_metrics` table (Fivetran's column names); docs/s is over the export itself as
each run reports it (interpreter start-up and imports excluded, the same for all):
(a) the exporter at 1 and 4 workers and the seed's approach (batches of 100, the client's
    default JSON serializer, one worker: seed_export.py) against bulk_sink.py, a loopback
    `_bulk` endpoint that accepts everything and stores nothing, at 1,000,000 rows: the
    client's own throughput. Targets: >= 20,000 docs/s, <= 300 MB, >= 3x the seed's approach.
(b) the same three runs into osmem-server at a few thousand rows: osmem spends milliseconds
    indexing each document of 19 float fields, so there the server, not the client, is the
    bound; 1,000,000 rows would take hours.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from tests.benchmarks.common import Report, Table, checked, figure, progress
from tests.exporter.warehouse import SCHEMA, TABLE, Warehouse
from tools.sdk_env import REPO_ROOT

NAME = "exporter"
TITLE = "exporter: DuckDB -> _bulk over loopback, 1 and 4 workers vs the seed's approach"
ROWS, QUICK_ROWS = 1_000_000, 100_000
OSMEM_ROWS, QUICK_OSMEM_ROWS = 2_000, 200
TARGET_DOCS_PER_SECOND = 20_000
TARGET_PEAK_MB = 300
TARGET_SEED_RATIO = 3.0
HERE = Path(__file__).resolve().parent
WRAPPER = HERE / "rusage_wrapper.py"


def generate(path: Path, rows: int) -> None:
    """`rows` metrics rows made by DuckDB itself (a Python loop would take minutes)."""
    warehouse = Warehouse(path)
    expressions = []
    for name, kind in zip(warehouse.names, warehouse.columns_types(), strict=True):
        if name == "blend_id":
            expressions.append("'blend-' || lpad(i::VARCHAR, 7, '0')")
        elif name.endswith("motion_id"):
            expressions.append("'motion-' || (i % 997)::VARCHAR")
        elif name == "quality_category":
            expressions.append("['excellent', 'good', 'acceptable', 'poor'][1 + i % 4]")
        elif name == "metrics_status":
            expressions.append("'ok'")
        elif name == "_fivetran_deleted":
            expressions.append("false")
        elif "TIME" in kind:
            expressions.append("TIMESTAMPTZ '2026-11-01 00:00:00+00' + to_microseconds(i)")
        elif kind == "DOUBLE":
            expressions.append("random() * 3")
        elif kind == "BIGINT":
            expressions.append("(random() * 300)::BIGINT")
        elif kind == "BOOLEAN":
            expressions.append("random() < 0.2")
        else:
            expressions.append("'1.0.0'")
    with duckdb.connect(str(path)) as db:
        db.execute(
            f"INSERT INTO {SCHEMA}.{TABLE} SELECT {', '.join(expressions)} FROM range(?) t(i)",
            [rows],
        )


def measured(command: list[str], workdir: Path, label: str) -> dict:
    usage = workdir / f"{label}.rusage.json"
    proc = subprocess.run(
        [sys.executable, str(WRAPPER), str(usage), "--", *command],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=7200,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{label} failed: {proc.stdout[-500:]} {proc.stderr[-1500:]}")
    result = json.loads(usage.read_text())
    return {
        "seconds": result["wall_seconds"],
        "cpu_seconds": result["user_seconds"] + result["system_seconds"],
        "peak_rss_mb": result["maxrss_kib"] / 1024,
        "output": proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else "",
    }


def three_runs(database: Path, url: str, workdir: Path, prefix: str, rows: int) -> dict:
    runs = {}
    for workers in (1, 4):
        label = f"{prefix}-exporter-{workers}w"
        progress(f"{label}: {rows:,} rows")
        runs[f"exporter, {workers} worker{'s' if workers > 1 else ''}"] = measured(
            [sys.executable, "-m", "exporter", "--duckdb-path", str(database), "--es-url", url,
             "--workers", str(workers), "--mode", "full", "--no-progress",
             "--es-index", f"{prefix}{workers}_v1", "--es-alias", f"{prefix}{workers}",
             "--state-file", str(workdir / f"{label}.state.json"),
             "--dead-letter", str(workdir / f"{label}.dead.ndjson")],
            workdir, label,
        )  # fmt: skip
    progress(f"{prefix}-seed: {rows:,} rows")
    runs["seed's approach"] = measured(
        [
            sys.executable,
            "-m",
            "tests.benchmarks.seed_export",
            str(database),
            url,
            f"{prefix}seed",
        ],
        workdir,
        f"{prefix}-seed",
    )
    for run in runs.values():
        match = re.search(r"indexed (\d+).* in ([\d.]+) s", run["output"])
        if not match or int(match[1]) != rows:
            raise RuntimeError(f"a run did not index {rows} documents: {run['output']}")
        run["export_seconds"] = float(match[2])  # from the first read to the last answer
        run["docs_per_second"] = rows / run["export_seconds"]
    return runs


def table(title: str, rows: int, runs: dict) -> Table:
    return Table(
        title,
        ["run", "rows", "export s", "docs/s", "process s", "CPU s", "peak RSS MB"],
        [
            [
                name,
                rows,
                r["export_seconds"],
                r["docs_per_second"],
                r["seconds"],
                r["cpu_seconds"],
                r["peak_rss_mb"],
            ]
            for name, r in runs.items()
        ],  # fmt: skip
    )


def run(
    workdir: Path,
    home: Path,
    quick: bool = False,
    rows: int | None = None,
    osmem_rows: int | None = None,
) -> Report:
    """`rows` and `osmem_rows` override the sizes (the smoke test runs tiny ones)."""
    from osmem_server import OsmemServer

    rows = rows or (QUICK_ROWS if quick else ROWS)
    osmem_rows = osmem_rows or (QUICK_OSMEM_ROWS if quick else OSMEM_ROWS)
    report = Report(NAME, TITLE)
    big, small = workdir / "big.db", workdir / "small.db"
    progress(f"generating {rows:,} rows in DuckDB")
    started = time.perf_counter()
    generate(big, rows)
    generate(small, osmem_rows)
    report.notes.append(f"generated {rows:,} rows in {time.perf_counter() - started:.1f} s")

    sink = subprocess.Popen(
        [sys.executable, str(HERE / "bulk_sink.py")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        url = sink.stdout.readline().split()[1]
        sink_runs = three_runs(big, url, workdir, "sink", rows)
    finally:
        sink.stdin.close()
        sink.wait(timeout=10)
    server = OsmemServer.start()
    try:
        osmem_runs = three_runs(small, server.url, workdir, "osmem", osmem_rows)
    finally:
        server.close()

    report.tables += [
        table("(a) against the loopback _bulk sink (client cost)", rows, sink_runs),
        table("(b) into osmem-server (server-bound)", osmem_rows, osmem_runs),
    ]
    seed = sink_runs["seed's approach"]
    for name in ("exporter, 1 worker", "exporter, 4 workers"):
        r = sink_runs[name]
        report.figures += [
            checked(f"{name}: docs/s (sink)", r["docs_per_second"], "docs/s", ">=",
                    TARGET_DOCS_PER_SECOND),
            checked(f"{name}: peak RSS", r["peak_rss_mb"], "MB", "<=", TARGET_PEAK_MB),
            checked(f"{name} / seed's approach (sink)",
                    r["docs_per_second"] / seed["docs_per_second"], "x", ">=",
                    TARGET_SEED_RATIO),
        ]  # fmt: skip
    osmem_seed = osmem_runs["seed's approach"]["docs_per_second"]
    for name in ("exporter, 1 worker", "exporter, 4 workers"):
        report.figures.append(
            figure(f"{name} / seed's approach (osmem)",
                   osmem_runs[name]["docs_per_second"] / osmem_seed, "x")
        )  # fmt: skip
    report.details = {"rows": rows, "osmem_rows": osmem_rows, "sink": sink_runs,
                      "osmem": osmem_runs}  # fmt: skip
    return report
