"""`make demo`: every connector end to end on this machine, with no credentials.

API connectors sync from their loopback simulators (tests/, started here as processes);
motionblend syncs a generated sample workspace, from its folder and again from a bucket of a
local fake-gcs-server (gs://, in a copy of the connector folder under files/demo/). Each runs
under `fivetran debug` in its own folder, so its warehouse stays at
`<connector>/files/warehouse.db` for you to inspect. Running
the demo again continues from the saved state: the second run is incremental, same totals.
Demo configurations and logs go to files/demo/ (git-ignored).
"""

import json
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tools.sdk_env import FIVETRAN, REPO_ROOT, offline_env
from tools.warehouse_summary import table_counts

DEMO_DIR = REPO_ROOT / "files" / "demo"
KEEPING_REQUIREMENTS = (
    REPO_ROOT / "tools" / "keeping_requirements.sh"
)  # the SDK deletes empty ones
SIMULATOR_START_SECONDS = 20
SYNC_TIMEOUT_SECONDS = 170
OPERATION_NAMES = ("Upserts", "Updates", "Deletes", "Checkpoints")


@contextmanager
def simulator(module: str, *args: str) -> Iterator[str]:
    """Run `python -m <module> <args>` until the block ends; yields the base URL it prints."""
    proc = subprocess.Popen(
        [sys.executable, "-m", module, *args],
        cwd=REPO_ROOT,
        stdin=subprocess.PIPE,  # closing it tells the simulator to stop
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + SIMULATOR_START_SECONDS
        line = proc.stdout.readline()
        if not line.startswith("READY ") or time.monotonic() > deadline:
            raise RuntimeError(f"{module} did not start: {line!r}")
        yield line.split()[1]
    finally:
        proc.stdin.close()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()


@dataclass
class DemoRun:
    connector: str
    succeeded: bool
    seconds: float
    operations: dict[str, int]
    log: Path
    folder: Path | None = None  # where it ran, when not the connector's own folder


def run_debug(connector: str, configuration: dict, folder: Path | None = None) -> DemoRun:
    """`fivetran debug` in the connector's own folder (or `folder`) with a demo configuration."""
    DEMO_DIR.mkdir(parents=True, exist_ok=True)
    config_path = DEMO_DIR / f"{connector}.configuration.json"
    config_path.write_text(json.dumps(configuration, indent=2))
    log_path = DEMO_DIR / f"{connector}.log"
    started = time.monotonic()
    ran_in, folder = folder, folder or REPO_ROOT / connector
    proc = subprocess.run(
        [str(KEEPING_REQUIREMENTS), str(folder), str(FIVETRAN), "debug", str(folder)]
        + ["--configuration", str(config_path)],
        env=offline_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=SYNC_TIMEOUT_SECONDS,
    )
    log_path.write_text(proc.stdout)
    operations = {}
    for line in proc.stdout.splitlines():
        name, _, count = line.strip().partition("|")
        if name.strip() in OPERATION_NAMES and count.strip().isdigit():
            operations[name.strip().lower()] = int(count)
    succeeded = proc.returncode == 0 and "SYNC SUCCEEDED" in proc.stdout
    return DemoRun(connector, succeeded, time.monotonic() - started, operations, log_path, ran_in)


def demo_mso() -> DemoRun:
    """600 records from the MSO simulator (same seed every run: saved cursors stay valid)."""
    key = "demo-api-key"
    with simulator("tests.mso.simulator", "--records", "600", "--api-key", key) as base_url:
        return run_debug("mso", {"api_key": key, "base_url": base_url, "page_size": "100"})


def demo_motionblend() -> DemoRun:
    """A generated sample workspace (BVH, GLB, TRC, NPY, FBX, blends, artifacts, UI logs)."""
    from tests.motionblend.sample_workspace import generate_workspace

    workspace = DEMO_DIR / "motionblend_workspace"
    if not workspace.exists():
        generate_workspace(workspace, quality_blends=True)  # blends of every quality category
    return run_debug("motionblend", {"workspace_path": str(workspace)})


def demo_motionblend_gcs() -> DemoRun:
    """The same sample workspace uploaded to a bucket of a local fake-gcs-server (in memory:
    each demo uploads it afresh, so objects get new generations and are read again)."""
    from tests.motionblend.fake_gcs import FakeGcs, upload_folder
    from tests.motionblend.sample_workspace import generate_workspace

    workspace = DEMO_DIR / "motionblend_workspace"
    if not workspace.exists():
        generate_workspace(workspace)
    folder = DEMO_DIR / "motionblend_gcs" / "motionblend"  # its own state and warehouse
    ignore = shutil.ignore_patterns("files", "crash-reports", "__pycache__")
    shutil.copytree(REPO_ROOT / "motionblend", folder, ignore=ignore, dirs_exist_ok=True)
    print("  (the emulator's bucket is in memory: each demo uploads it afresh, so its objects")
    print("   have new generations and a repeated demo reads them again)")
    with FakeGcs() as gcs:
        upload_folder(gcs.bucket("motionblend-demo"), workspace, "workspace")
        configuration = {
            "workspace_path": "gs://motionblend-demo/workspace",
            "gcs_endpoint": gcs.url,
        }
        return run_debug("motionblend_gcs", configuration, folder)


def demo_sensource() -> DemoRun:
    """60 days of hourly traffic (4 zones) and occupancy (3 spaces) from the simulator."""
    from datetime import UTC, datetime, timedelta

    client = ("demo-client-id", "demo-client-secret")
    args = ["--zones", "4", "--spaces", "3", "--history-days", "60"]
    args += ["--client-id", client[0], "--client-secret", client[1]]
    with simulator("tests.sensource.simulator", *args) as base_url:
        start = (datetime.now(UTC) - timedelta(days=60)).date().isoformat()
        configuration = {
            "client_id": client[0],
            "client_secret": client[1],
            "auth_url": f"{base_url}/oauth/token",
            "base_url": f"{base_url}/api",
            "start_date": start,
        }
        return run_debug("sensource", configuration)


def demo_tmdb_movies() -> DemoRun:
    """Two directors from the TMDB simulator (14 and 12 movies, two co-directed), then the
    budget-vs-revenue chart. Run again, the sync asks only for credits and changes."""
    from tools.tmdb_movies_chart import films_from_warehouse, render_budget_vs_revenue

    token = "demo-read-access-token"
    directors = ("--directors", "525:14,488:12")
    with simulator("tests.tmdb_movies.simulator", "--token", token, *directors) as base_url:
        configuration = {"read_access_token": token, "base_url": base_url + "/3"}
        run = run_debug("tmdb_movies", {**configuration, "director_ids": "525,488"})
    summary = [line for line in run.log.read_text().splitlines() if "tmdb: synced" in line]
    if summary:
        print("  " + summary[-1][summary[-1].index("tmdb: synced") :])
    if run.succeeded:
        warehouse = REPO_ROOT / "tmdb_movies" / "files" / "warehouse.db"
        chart = DEMO_DIR / "tmdb_movies_budget_vs_revenue.png"
        render_budget_vs_revenue(films_from_warehouse(warehouse), chart)
        print(f"  chart: {chart.relative_to(REPO_ROOT)}")
    return run


# Each connector issue adds its demo here: (connector folder, function).
DEMOS: list[tuple[str, Callable[[], DemoRun]]] = [
    ("mso", demo_mso),
    ("motionblend", demo_motionblend),
    ("motionblend", demo_motionblend_gcs),
    ("sensource", demo_sensource),
    ("tmdb_movies", demo_tmdb_movies),
]


def print_summary(runs: list[DemoRun]) -> None:
    print("\nDemo summary")
    for run in runs:
        verdict = "ok" if run.succeeded else f"FAILED (log: {run.log})"
        ops = ", ".join(f"{name} {count}" for name, count in run.operations.items())
        print(f"\n{run.connector}: {verdict} in {run.seconds:.1f} s ({ops})")
        warehouse = (run.folder or REPO_ROOT / run.connector) / "files" / "warehouse.db"
        if warehouse.exists():
            for table, (live, deleted) in table_counts(warehouse).items():
                extra = f" (+{deleted} soft-deleted)" if deleted else ""
                print(f"  {table:<28} {live:>7} rows{extra}")
            if run.connector in EXTRA_SUMMARIES:
                EXTRA_SUMMARIES[run.connector](warehouse)
            print(f"  DuckDB: {warehouse.relative_to(REPO_ROOT)} (schema tester)")


def print_quality_categories(warehouse: Path) -> None:
    """motionblend: blends per quality_category (and per metrics_status when not ok)."""
    import duckdb

    query = (
        "SELECT coalesce(quality_category, metrics_status), count(*) "
        "FROM tester.blend_quality_metrics WHERE NOT _fivetran_deleted GROUP BY 1 ORDER BY 1"
    )
    try:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            counts = dict(con.execute(query).fetchall())
    except duckdb.Error:
        return  # no blend_quality_metrics table (metrics switched off)
    order = ("excellent", "good", "acceptable", "poor", "skeleton_mismatch", "error")
    shown = ", ".join(f"{name} {counts[name]}" for name in order if name in counts)
    print(f"  blend quality categories: {shown}")


# Connectors whose demo prints more than table counts.
EXTRA_SUMMARIES: dict[str, Callable[[Path], None]] = {"motionblend": print_quality_categories}


def main() -> int:
    started = time.monotonic()
    runs = []
    for connector, demo in DEMOS:
        if not (REPO_ROOT / connector / "connector.py").exists():
            continue
        print(f"demo: syncing {connector} ...", flush=True)
        runs.append(demo())
    print_summary(runs)
    searched = demo_search_pipeline()
    print(f"\nDemo finished in {time.monotonic() - started:.1f} s. Run `make demo` again for an")
    print("incremental sync (same totals); `<connector>/debug.sh --reset` starts one afresh.")
    return 0 if all(run.succeeded for run in runs) and searched else 1


# -- the seed's pipeline end: metrics table -> search index -> searches (exporter/, issue 11) ----
METRICS_WAREHOUSE = REPO_ROOT / "motionblend" / "files" / "warehouse.db"


def demo_search_pipeline() -> bool:
    """Export motionblend's `blend_quality_metrics` into a local osmem-server started for the
    demo (in-memory, OpenSearch-compatible, stopped at the end), then run the six searches.
    Skips, saying why, when the warehouse has no metrics table yet. True unless a step failed."""
    import duckdb

    warehouse = METRICS_WAREHOUSE
    table = "blend_quality_metrics"
    found = False
    if warehouse.exists():
        with duckdb.connect(str(warehouse), read_only=True) as db:
            found = bool(
                db.execute(
                    "SELECT 1 FROM information_schema.tables WHERE table_schema = 'tester' "
                    "AND table_name = ?",
                    [table],
                ).fetchall()
            )
    if not found:
        print(f"\nsearch pipeline: skipped, {warehouse} has no {table} table yet")
        return True
    from osmem_server import OsmemServer

    from exporter import search as searches
    from exporter.clients import Credentials, connect

    folder = DEMO_DIR / "exporter"
    folder.mkdir(parents=True, exist_ok=True)
    print(
        "\nsearch pipeline: exporting motionblend's blend_quality_metrics into osmem-server, "
        "a local in-memory OpenSearch-compatible TEST server (not a production cluster)"
    )
    server = OsmemServer.start()
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "exporter", "--duckdb-path", str(warehouse)]
            + ["--es-url", server.url, "--no-progress", "--verify"]
            + ["--state-file", str(folder / "state.json")]
            + ["--dead-letter", str(folder / "dead-letters.ndjson")],
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=SYNC_TIMEOUT_SECONDS,
        )
        (folder / "export.log").write_text(proc.stdout)
        print("\n".join("  " + line for line in proc.stdout.splitlines() if "INFO" not in line))
        if proc.returncode != 0:
            print(f"  export FAILED (exit {proc.returncode}; log: {folder / 'export.log'})")
            return False
        client = connect(server.url, Credentials(), "opensearch").client
        runs = [
            ("excellent", searches.excellent_query()),
            ("smooth", searches.smooth_query()),
            ("diverse", searches.diverse_query()),
            ("quality-distribution", searches.quality_distribution_query()),
            ("issues", searches.issues_query()),
        ]
        best = searches.search(client, {"sort": [{"quality_score": {"order": "desc"}}]}, size=1)
        if best.hits:  # blends sharing a motion with the best one
            runs.insert(3, ("by-motion", searches.by_motion_query(best.hits[0]["left_motion_id"])))
        for command, query in runs:
            fields = ["blend_id", *searches.COMMANDS.get(command, ())]
            result = searches.search(client, query, size=5, fields=fields)
            print(f"\n  {command}:")
            print(
                "\n".join("    " + line for line in searches.render(command, result).splitlines())
            )
        return True
    finally:
        server.close()


if __name__ == "__main__":
    sys.exit(main())
