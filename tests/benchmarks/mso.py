"""mso: connector throughput and memory against the loopback MSO simulator, page_size 200.

(a) Connector side. The simulator runs as its own process (`python -m tests.mso.simulator
    --cache-pages`), so it does not share the benchmark's GIL, with its page cache warmed by one
    untimed pass: building and encoding a 200-record page costs the simulator ~10 ms, which
    alone would cap any client at ~14k records/s. `sync_records` then runs with the SDK's
    operations replaced by counting stubs (`Operations.upsert` and `Operations.checkpoint`, which
    is also what `shared.checkpoint.Checkpointer` commits through). A bare client that GETs the
    same pages and discards them gives the simulator + HTTP cost per page, so the connector's
    own cost per page (JSON parsing, checks, the upsert loop) is visible. Target: >= 20,000
    records/s.
(b) End to end under `fivetran debug`, as a ratio to the writer ceiling for the same rows at the
    same checkpoint cadence, measured side by side: the simulator's records are dumped to JSON
    Lines and `schema({})` to a schema file, and the synthetic connector replays them at the
    shared default cadence (the cadence mso uses). Ceiling and connector alternate. Target:
    connector rows/s >= 0.85 x ceiling rows/s.
(c) Peak RSS of the end-to-end run at 100,000 records vs at 10,000. Target: <= 1.3.
"""

from __future__ import annotations

import json
import select
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from unittest import mock

import requests

from shared.checkpoint import DEFAULT_EVERY_ROWS, DEFAULT_EVERY_SECONDS
from tests.benchmarks.common import (
    BenchmarkError,
    Report,
    Table,
    checked,
    debug_run,
    figure,
    progress,
)
from tests.benchmarks.writer_ceiling import ceiling
from tests.harness import load_connector_module
from tests.mso.simulator import MsoSimulator
from tools.sdk_env import REPO_ROOT

NAME = "mso"
TITLE = "mso connector vs the loopback simulator (page_size 200)"
API_KEY = "bench-mso-key-5d81"
PAGE_SIZE = 200
RECORDS, SMALL_RECORDS = 100_000, 10_000
QUICK_RECORDS, QUICK_SMALL_RECORDS = 20_000, 2_000
PASSES, QUICK_PASSES = 3, 1  # timed connector-side passes (median counts)
ROUNDS, QUICK_ROUNDS = 2, 1  # end-to-end (ceiling, connector) pairs
TARGET_RECORDS_PER_SECOND = 20_000
TARGET_CEILING_RATIO = 0.85
TARGET_RSS_RATIO = 1.3
TABLE = "mso_records"
ENDPOINT = "/mso_data"


class SimulatorProcess:
    """`python -m tests.mso.simulator` in its own process; stops when its stdin closes."""

    def __init__(self, records: int, workdir: Path, cache_pages: bool = True):
        self.records = records
        self.log_path = workdir / f"simulator-{records}.log"
        command = [
            sys.executable,
            "-m",
            "tests.mso.simulator",
            "--records",
            str(records),
            "--api-key",
            API_KEY,
        ]
        if cache_pages:
            command.append("--cache-pages")
        self._log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
        )
        try:
            self.base_url = self._wait_ready(timeout=30)
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.proc.stdout], [], [], 0.2)
            if ready:
                line = self.proc.stdout.readline()
                if line.startswith("READY "):
                    return line.split()[1]
                if not line and self.proc.poll() is not None:
                    break
        raise BenchmarkError(
            f"the MSO simulator did not start: {self.log_path.read_text()[-2000:]}"
        )

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.close()  # EOF on stdin: the simulator exits
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.terminate()
                self.proc.wait(timeout=10)
        self.proc.stdout.close()
        self._log.close()

    def __enter__(self) -> SimulatorProcess:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def configuration(base_url: str) -> dict:
    return {
        "api_key": API_KEY,
        "base_url": base_url,
        "page_size": str(PAGE_SIZE),
        "full_resync_hours": "168",
    }


# -- (a) connector side ----------------------------------------------------------------------
def simulator_only(base_url: str, records: int) -> dict:
    """A bare client: collect the page cursors once, then time GETs that discard the body."""
    headers = {"api_key": API_KEY}
    url = base_url + ENDPOINT
    with requests.Session() as session:
        cursors, cursor, first_page = [None], None, None
        while True:
            params = {"page_size": PAGE_SIZE, **({"cursor": cursor} if cursor else {})}
            page = session.get(url, params=params, headers=headers, timeout=30).json()
            first_page = first_page or page["mso_records"]
            if not page["has_more"]:
                break
            cursor = page["next_cursor"]
            cursors.append(cursor)
        expected_first = MsoSimulator(api_key=API_KEY, record_count=records).records(0, 3)
        if first_page[:3] != expected_first:
            raise BenchmarkError("the simulator process serves other records than expected")
        body_bytes = 0
        started = time.perf_counter()
        for cursor in cursors:
            params = {"page_size": PAGE_SIZE, **({"cursor": cursor} if cursor else {})}
            response = session.get(url, params=params, headers=headers, timeout=30)
            body_bytes += len(response.content)
        seconds = time.perf_counter() - started
    pages = len(cursors)
    return {
        "pages": pages,
        "seconds": seconds,
        "ms_per_page": 1000 * seconds / pages,
        "records_per_second_cap": records / seconds,
        "bytes_per_page": body_bytes / pages,
    }


def connector_side(base_url: str, records: int, passes: int = PASSES) -> dict:
    """Time `sync_records` with counting stubs for the SDK operations (after an untimed pass)."""
    mso = load_connector_module("mso")
    settings = mso.validate_configuration(configuration(base_url))
    session = mso.api_session(settings)
    counts: Counter = Counter()

    def upsert(table, data, **_):
        counts["upserts"] += 1

    def checkpoint(state, *_, **__):
        counts["checkpoints"] += 1

    seconds = []
    # `mso.op` is the SDK's Operations class; the Checkpointer takes `Operations.checkpoint`
    # from the same class when sync_records builds it, so one patch covers both.
    with (
        mock.patch.object(mso.op, "upsert", staticmethod(upsert)),
        mock.patch.object(mso.op, "checkpoint", staticmethod(checkpoint)),
    ):
        for timed in [False] + [True] * passes:  # the first pass warms the simulator's cache
            counts.clear()
            started = time.perf_counter()
            written = mso.sync_records(session, settings, {})
            elapsed = time.perf_counter() - started
            if not written == counts["upserts"] == records:
                raise BenchmarkError(
                    f"connector side: wrote {written}, {counts['upserts']} upserts, "
                    f"expected {records}"
                )
            if counts["checkpoints"] < 1:
                raise BenchmarkError("connector side: the checkpoint stub was never called")
            if timed:
                seconds.append(elapsed)
    session.close()
    median = statistics.median(seconds)
    pages = -(-records // PAGE_SIZE)
    return {
        "records": records,
        "pages": pages,
        "seconds_runs": seconds,
        "seconds": median,
        "records_per_second": records / median,
        "records_per_second_runs": [records / s for s in seconds],
        "pages_per_second": pages / median,
        "ms_per_page": 1000 * median / pages,
        "upserts": counts["upserts"],
        "checkpoints": counts["checkpoints"],
    }


# -- (b), (c) end to end -----------------------------------------------------------------------
def dump_rows(records: int, workdir: Path) -> tuple[Path, Path]:
    """The simulator's records as JSON Lines, and the connector's schema, for the ceiling."""
    mso = load_connector_module("mso")
    rows_file, schema_file = workdir / f"mso-{records}.jsonl", workdir / "mso-schema.json"
    simulator = MsoSimulator(api_key=API_KEY, record_count=records)  # never started
    with open(rows_file, "w") as f:
        for start in range(0, records, 1000):
            for record in simulator.records(start, start + 1000):
                f.write(json.dumps(record) + "\n")
    schema_file.write_text(json.dumps(mso.schema({})))
    return rows_file, schema_file


def replay_ceiling(
    rows_file: Path, schema_file: Path, records: int, workdir: Path, home: Path
) -> dict:
    """The writer ceiling for exactly these rows, at the cadence mso uses (the shared default)."""
    result = ceiling(
        rows_file,
        schema_file,
        every_rows=DEFAULT_EVERY_ROWS,
        every_seconds=DEFAULT_EVERY_SECONDS,
        table=TABLE,
        workdir=workdir,
        home=home,
        label="mso-ceiling",
    )
    if result["rows"] != records:
        raise BenchmarkError(f"ceiling replay wrote {result['rows']} rows, not {records}")
    return result


def connector_e2e(base_url: str, records: int, workdir: Path, home: Path, label: str) -> dict:
    """One measured `fivetran debug` run of the mso connector against the simulator."""
    result = debug_run("mso", configuration(base_url), workdir, home, label=label)
    if result.rows != records:
        raise BenchmarkError(f"{label}: {result.rows} upserts, expected {records}")
    data = result.as_dict()
    data["pages_per_second"] = result.rows_per_second / PAGE_SIZE
    return data


def run(
    workdir: Path,
    home: Path,
    quick: bool = False,
    *,
    records: int | None = None,
    small_records: int | None = None,
    passes: int | None = None,
    rounds: int | None = None,
) -> Report:
    records = records or (QUICK_RECORDS if quick else RECORDS)
    small_records = small_records or (QUICK_SMALL_RECORDS if quick else SMALL_RECORDS)
    passes = passes or (QUICK_PASSES if quick else PASSES)
    rounds = rounds or (QUICK_ROUNDS if quick else ROUNDS)
    details: dict = {"records": records, "small_records": small_records, "page_size": PAGE_SIZE}

    with SimulatorProcess(records, workdir) as simulator:
        progress(f"{NAME}: connector side, {records:,} records, 1 warm-up + {passes} timed")
        side = connector_side(simulator.base_url, records, passes)
        progress(f"{NAME}: simulator only (GET and discard)")
        bare = simulator_only(simulator.base_url, records)
        details["connector_side"], details["simulator_only"] = side, bare

        rows_file, schema_file = dump_rows(records, workdir)
        pairs = []
        for round_number in range(1, rounds + 1):
            progress(f"{NAME}: end to end round {round_number}/{rounds}: writer ceiling")
            top = replay_ceiling(rows_file, schema_file, records, workdir, home)
            progress(f"{NAME}: end to end round {round_number}/{rounds}: connector")
            conn = connector_e2e(simulator.base_url, records, workdir, home, "mso-e2e")
            pairs.append({"ceiling": top, "connector": conn})
        rows_file.unlink()
    details["end_to_end"] = pairs

    with SimulatorProcess(small_records, workdir) as small_simulator:
        progress(f"{NAME}: end to end at {small_records:,} records (memory)")
        small = connector_e2e(small_simulator.base_url, small_records, workdir, home, "mso-small")
    progress(f"{NAME}: writer ceiling at {small_records:,} records (memory, for reference)")
    small_rows_file, _ = dump_rows(small_records, workdir)
    small_top = replay_ceiling(small_rows_file, schema_file, small_records, workdir, home)
    small_rows_file.unlink()
    details["end_to_end_small"], details["ceiling_small"] = small, small_top

    # -- figures ---------------------------------------------------------------------------
    ratios = [p["connector"]["rows_per_second"] / p["ceiling"]["rows_per_second"] for p in pairs]
    ratio = statistics.mean(ratios)
    peak_large = max(p["connector"]["peak_rss_mb"] for p in pairs)
    rss_ratio = peak_large / small["peak_rss_mb"]
    ceiling_rss_ratio = max(p["ceiling"]["peak_rss_mb"] for p in pairs) / small_top["peak_rss_mb"]
    own_ms = side["ms_per_page"] - bare["ms_per_page"]
    details.update(
        ceiling_ratio=ratio,
        ceiling_ratios=ratios,
        rss_ratio=rss_ratio,
        ceiling_rss_ratio=ceiling_rss_ratio,
    )

    figures = [
        checked(
            "(a) connector side, stub ops: records/s (median)",
            side["records_per_second"],
            "records/s",
            ">=",
            TARGET_RECORDS_PER_SECOND,
        ),
        figure("(a) connector side: pages/s", side["pages_per_second"], "pages/s"),
        figure("(a) connector side: time per page", side["ms_per_page"], "ms"),
        figure("(a) simulator + HTTP only (GET, discard): per page", bare["ms_per_page"], "ms"),
        figure(
            "(a) simulator + HTTP only: records/s cap", bare["records_per_second_cap"], "records/s"
        ),
        figure("(a) connector's own cost per page (difference)", own_ms, "ms"),
    ]
    for number, (pair, pair_ratio) in enumerate(zip(pairs, ratios, strict=True), 1):
        top, conn = pair["ceiling"], pair["connector"]
        figures += [
            figure(
                f"(b) round {number}: writer ceiling, same rows", top["rows_per_second"], "rows/s"
            ),
            figure(f"(b) round {number}: connector e2e", conn["rows_per_second"], "rows/s"),
            figure(
                f"(b) round {number}: connector e2e pages/s", conn["pages_per_second"], "pages/s"
            ),
            figure(f"(b) round {number}: connector / ceiling", pair_ratio, "x"),
        ]
    figures += [
        checked(
            f"(b) connector / ceiling, mean of {len(ratios)}",
            ratio,
            "x",
            ">=",
            TARGET_CEILING_RATIO,
        ),
        figure(f"(c) peak RSS at {small_records:,} records", small["peak_rss_mb"], "MB"),
        figure(f"(c) peak RSS at {records:,} records (max of runs)", peak_large, "MB"),
        checked(
            f"(c) peak RSS {records:,} / {small_records:,}", rss_ratio, "x", "<=", TARGET_RSS_RATIO
        ),
        figure("(c) same ratio for the writer ceiling replay (reference)", ceiling_rss_ratio, "x"),
    ]
    runs = [(f"ceiling replay, round {n}", p["ceiling"]) for n, p in enumerate(pairs, 1)]
    runs += [(f"connector e2e, round {n}", p["connector"]) for n, p in enumerate(pairs, 1)]
    runs += [("ceiling replay, small", small_top), ("connector e2e, small", small)]
    memory_rows = [
        [
            label,
            run["rows"],
            run["checkpoints"],
            run["rows_per_second"],
            run["cpu_seconds"],
            run["peak_rss_mb"],
            run["sdk_peak_growth_mb"],
        ]
        for label, run in runs
    ]
    return Report(
        NAME,
        TITLE,
        figures=figures,
        tables=[
            Table(
                "end-to-end runs under fivetran debug",
                [
                    "run",
                    "rows",
                    "checkpoints",
                    "rows/s",
                    "CPU s",
                    "peak RSS MB",
                    "SDK growth MB",
                ],
                memory_rows,
            )
        ],
        notes=[
            "(a) the simulator runs in its own process with cached pages; the connector's "
            "operations are counting stubs",
            "(b) both sides checkpoint every "
            f"{DEFAULT_EVERY_ROWS:,} rows / {DEFAULT_EVERY_SECONDS:g} s (the shared default); "
            "rows/s is measured over the sync",
            "peak RSS: the debug process's exact peak (getrusage); SDK growth: the SDK's own "
            "figure, its RSS above the start of the sync, sampled once a second",
        ],
        details=details,
    )
