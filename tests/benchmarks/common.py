"""Pieces shared by the benchmarks: measured `fivetran debug` runs, reports and their tables.

A measured run is a `ConnectorWorkspace` whose `fivetran debug` command goes through
`rusage_wrapper.py`, which reports the exact peak RSS and CPU time of the debug process. Its
throughput is taken over the sync itself, from the SDK's `calling update()` line to its
`SYNC SUCCEEDED` line (both timestamped to the millisecond), so interpreter start-up and imports,
the same for every run, do not blur the comparison; the wall time of the whole process is kept
too.

The machine is shared and noisy: benchmarks compare runs made side by side in one session
(ratios), and never assert timings in tests.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tests.harness import ConnectorWorkspace, SyncResult

WRAPPER = Path(__file__).resolve().parent / "rusage_wrapper.py"
RUN_TIMEOUT_SECONDS = 1800
_TIMESTAMP = r"^(\d\d):(\d\d):(\d\d(?:\.\d+)?)\s"
_UPDATE_STARTED = re.compile(_TIMESTAMP + r".*calling update\(\)", re.MULTILINE)
_SYNC_SUCCEEDED = re.compile(_TIMESTAMP + r".*SYNC SUCCEEDED", re.MULTILINE)
# The SDK's own figure: RSS above the process's RSS when update() began, sampled once a second.
_SDK_MEMORY = re.compile(r"memory usage: average ([\d.]+) MB, peak ([\d.]+) MB")


class BenchmarkError(RuntimeError):
    """A benchmark could not measure what it meant to (a failed sync, a wrong row count)."""


def progress(message: str) -> None:
    """One progress line on stderr, so the tables on stdout stay clean."""
    print(f"  [{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# -- measured runs ---------------------------------------------------------------------------
@dataclass
class DebugRun:
    """What one measured `fivetran debug` run did and cost."""

    rows: int  # upserts, as counted by the SDK
    checkpoints: int  # as counted by the SDK
    sync_seconds: float  # `calling update()` to `SYNC SUCCEEDED`
    wall_seconds: float  # the whole debug process, start-up included
    cpu_seconds: float  # user + system time of the debug process
    peak_rss_mb: float  # exact peak resident set of the debug process (MiB)
    sdk_peak_growth_mb: float  # the SDK's sampled peak above its start-of-sync RSS (NaN: absent)
    rows_per_second: float = field(init=False)

    def __post_init__(self) -> None:
        self.rows_per_second = self.rows / self.sync_seconds if self.sync_seconds > 0 else 0.0

    def as_dict(self) -> dict:
        return asdict(self)


class MeasuredWorkspace(ConnectorWorkspace):
    """A ConnectorWorkspace whose debug process runs under the rusage wrapper."""

    def __init__(self, connector: str, root: Path, home: Path, env: dict | None = None):
        super().__init__(connector, root, home, env)
        self.usage_path = root / "rusage.json"

    def command(self) -> list[str]:
        return [sys.executable, str(WRAPPER), str(self.usage_path), "--", *super().command()]


def _clock_seconds(match: re.Match) -> float:
    hours, minutes, seconds = match.groups()
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def sync_seconds(output: str) -> float | None:
    """Seconds from `calling update()` to `SYNC SUCCEEDED` in a debug run's output, if found."""
    started, ended = _UPDATE_STARTED.search(output), _SYNC_SUCCEEDED.search(output)
    if not started or not ended:
        return None
    seconds = _clock_seconds(ended) - _clock_seconds(started)
    return seconds + 86400 if seconds < 0 else seconds  # the run crossed midnight


def measured_sync(
    workspace: MeasuredWorkspace,
    label: str,
    configuration: dict | None = None,
    timeout: float = RUN_TIMEOUT_SECONDS,
) -> tuple[DebugRun, SyncResult]:
    """One measured sync of `workspace`, continuing from its saved state (kept afterwards).

    A failed sync raises BenchmarkError with the end of its output.
    """
    result = workspace.sync(configuration, timeout=timeout)
    if not result.succeeded:
        raise BenchmarkError(f"{label}: the sync failed:\n{result.output[-3000:]}")
    usage = json.loads(workspace.usage_path.read_text())
    seconds = sync_seconds(result.output)
    if seconds is None or seconds <= 0:  # the SDK changed its log lines (or took < 1 ms)
        seconds = usage["wall_seconds"]
    memory = _SDK_MEMORY.search(result.output)
    run = DebugRun(
        rows=result.operations.get("upserts", 0),
        checkpoints=result.operations.get("checkpoints", result.checkpoints),
        sync_seconds=seconds,
        wall_seconds=usage["wall_seconds"],
        cpu_seconds=usage["user_seconds"] + usage["system_seconds"],
        peak_rss_mb=usage["maxrss_kib"] / 1024,
        sdk_peak_growth_mb=float(memory.group(2)) if memory else float("nan"),
    )
    return run, result


def debug_run(
    connector: str, configuration: dict, workdir: Path, home: Path, label: str = "run"
) -> DebugRun:
    """Run `connector` (a folder relative to the repo root) once under measurement.

    The workspace (warehouse included) is deleted afterwards; a failed sync raises
    BenchmarkError with the end of its output.
    """
    root = Path(tempfile.mkdtemp(prefix=f"{label}-", dir=workdir))
    try:
        workspace = MeasuredWorkspace(connector, root / "workspace", home)
        return measured_sync(workspace, label, configuration)[0]
    finally:
        shutil.rmtree(root, ignore_errors=True)


class BenchDirs:
    """A scratch folder and a throwaway SDK HOME, for a benchmark called on its own."""

    def __init__(self, workdir: Path | None = None, home: Path | None = None):
        self._temp = None
        if workdir is None:
            self._temp = tempfile.TemporaryDirectory(prefix="bench-")
            workdir = Path(self._temp.name)
        self.workdir = Path(workdir)
        self.home = Path(home) if home is not None else self.workdir / "sdk-home"
        self.home.mkdir(parents=True, exist_ok=True)

    def __enter__(self) -> BenchDirs:
        return self

    def __exit__(self, *exc) -> None:
        if self._temp is not None:
            self._temp.cleanup()


# -- reports ---------------------------------------------------------------------------------
@dataclass
class Figure:
    """One reported figure, with an optional target (`">= 20000"`) and whether it was met."""

    label: str
    value: float
    unit: str = ""
    target: str = ""
    passed: bool | None = None


def figure(label: str, value: float, unit: str = "") -> Figure:
    return Figure(label, value, unit)


def checked(label: str, value: float, unit: str, op: str, bound: float) -> Figure:
    """A figure with a target: `op` is ">=" or "<="."""
    if op == ">=":
        passed = value >= bound
    elif op == "<=":
        passed = value <= bound
    else:
        raise ValueError(f"unknown comparison {op!r}")
    return Figure(label, value, unit, f"{op} {format_number(bound)}", passed)


@dataclass
class Table:
    """A free-form table (e.g. one row per checkpoint cadence), printed before the figures."""

    title: str
    headers: list[str]
    rows: list[list]


@dataclass
class Report:
    name: str
    title: str
    figures: list[Figure] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    details: dict = field(default_factory=dict)  # raw measurements, for bench-results.json

    @property
    def misses(self) -> list[Figure]:
        return [f for f in self.figures if f.passed is False]

    def to_json(self) -> dict:
        return {
            "title": self.title,
            "figures": [asdict(f) for f in self.figures],
            "tables": [asdict(t) for t in self.tables],
            "notes": self.notes,
            "details": self.details,
        }


def format_number(value) -> str:
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if value != value:  # NaN
            return "n/a"
        if abs(value) >= 1000:
            return f"{value:,.0f}"
        if abs(value) >= 100:
            return f"{value:.0f}"
        if abs(value) >= 10:
            return f"{value:.1f}"
        return f"{value:.2f}" if abs(value) >= 0.1 else f"{value:.3f}"
    return str(value)


def render_table(headers: list[str], rows: list[list]) -> str:
    cells = [[format_number(c) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]

    def line(values: list[str]) -> str:
        # First column left-aligned (labels), the rest right-aligned (numbers).
        parts = [values[0].ljust(widths[0])]
        parts += [v.rjust(w) for v, w in zip(values[1:], widths[1:], strict=True)]
        return "| " + " | ".join(parts) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(headers), rule, *(line(r) for r in cells)])


def render_report(report: Report) -> str:
    out = [f"== {report.name}: {report.title}"]
    for table in report.tables:
        out += ["", table.title, render_table(table.headers, table.rows)]
    if report.figures:
        rows = [
            [
                f.label,
                f"{f.value:.3f}" if f.unit == "x" else f.value,  # ratios: near a bound
                f.unit,
                f.target or "-",
                "-" if f.passed is None else ("PASS" if f.passed else "MISS"),
            ]
            for f in report.figures
        ]
        out += ["", render_table(["figure", "value", "unit", "target", "result"], rows)]
    out += [f"note: {note}" for note in report.notes]
    return "\n".join(out)


def machine() -> dict:
    """The context a reader needs to judge the figures (load averages are 1, 5, 15 min)."""
    return {"cpus": os.cpu_count(), "load_average": [round(x, 2) for x in os.getloadavg()]}
