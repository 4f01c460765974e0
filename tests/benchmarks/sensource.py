"""sensource: requests and connector-side speed of a two-year backfill, then of an hourly sync.

The simulator runs as its own process (`python -m tests.sensource.simulator`) with 2 years of
hourly history for 20 zones and 20 spaces and a row cap of 10,000 per response (an assumption:
SenSource documents truncation, not its limit), so the 30-day windows of 20 zones (14,400 rows)
are cut short and the connector must shrink them. `update()` runs in this process with the SDK's
operations replaced by counting stubs, so rows/s is the connector's own cost (HTTP over loopback,
JSON, checks, typing), not the local writer's. Every HTTP request is counted by path.

Then a sync "one hour later": a second simulator process serves the same history one hour on
(`--hours-ahead 1`), and the connector's clock is moved one hour on too, starting from the state
the first sync checkpointed. Target: one data request per data type, plus the static lists and
one token request.
"""

from __future__ import annotations

import resource
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from unittest import mock
from urllib.parse import urlsplit

import requests

from tests.benchmarks.common import BenchmarkError, Report, Table, checked, figure, progress
from tests.harness import load_connector_module
from tools.demo import simulator

NAME = "sensource"
TITLE = "2-year hourly backfill (20 zones, 20 spaces), then a sync one hour later"
CLIENT = ("bench-sensource-client", "bench-sensource-secret-77e1")
DAYS, QUICK_DAYS = 730, 60
ZONES = SPACES = 20
ROW_CAP = 10_000
STATIC_LISTS = 5


class CountingOperations:
    """Stand-ins for the SDK's upsert/delete/checkpoint that count and keep the last state."""

    def __init__(self):
        self.upserts = Counter()
        self.deletes = 0
        self.checkpoints = 0
        self.state: dict = {}

    def upsert(self, table, data):
        self.upserts[table] += 1

    def delete(self, table, keys):
        self.deletes += 1

    def checkpoint(self, state):
        self.checkpoints += 1
        self.state = state


def counted_sync(connector, configuration: dict, state: dict, clock_shift=timedelta(0)) -> dict:
    """One `update()` with counting operations and counted HTTP requests."""
    operations, paths = CountingOperations(), Counter()
    send = requests.adapters.HTTPAdapter.send

    def counting_send(adapter, request, *args, **kwargs):
        paths[urlsplit(request.url).path] += 1
        return send(adapter, request, *args, **kwargs)

    shifted_now = connector.utc_now
    with (
        mock.patch.object(requests.adapters.HTTPAdapter, "send", counting_send),
        mock.patch.object(connector.op, "upsert", operations.upsert),
        mock.patch.object(connector.op, "delete", operations.delete),
        mock.patch.object(connector.op, "checkpoint", operations.checkpoint),
        mock.patch.object(connector, "utc_now", lambda: shifted_now() + clock_shift),
    ):
        started = time.perf_counter()
        connector.update(configuration=configuration, state=state)
        seconds = time.perf_counter() - started
    rows = sum(operations.upserts.values())
    return {
        "seconds": seconds,
        "rows": rows,
        "rows_per_second": rows / seconds if seconds > 0 else 0.0,
        "hourly_rows": operations.upserts["traffic"] + operations.upserts["occupancy"],
        "checkpoints": operations.checkpoints,
        "requests": sum(paths.values()),
        "token_requests": paths["/oauth/token"],
        "data_requests": {
            table: paths[f"/api/data/{table}"] for table in ("traffic", "occupancy")
        },
        "static_requests": sum(
            count
            for path, count in paths.items()
            if path.startswith("/api/") and not path.startswith("/api/data/")
        ),
        "state": operations.state,
    }


def configuration(base_url: str, days: int) -> dict:
    from datetime import UTC, datetime

    start = (datetime.now(UTC) - timedelta(days=days)).date().isoformat()
    return {
        "client_id": CLIENT[0],
        "client_secret": CLIENT[1],
        "auth_url": f"{base_url}/oauth/token",
        "base_url": f"{base_url}/api",
        "start_date": start,
    }


def simulator_args(days: int, zones: int, spaces: int, hours_ahead: int = 0) -> list[str]:
    return [
        *("--client-id", CLIENT[0], "--client-secret", CLIENT[1]),
        *("--zones", str(zones), "--spaces", str(spaces), "--history-days", str(days + 1)),
        *("--row-cap", str(ROW_CAP), "--hours-ahead", str(hours_ahead)),
    ]


def run(
    workdir: Path,
    home: Path,
    quick: bool = False,
    *,
    days: int | None = None,
    zones: int = ZONES,
    spaces: int = SPACES,
) -> Report:
    days = days or (QUICK_DAYS if quick else DAYS)
    connector = load_connector_module("sensource")
    with simulator("tests.sensource.simulator", *simulator_args(days, zones, spaces)) as url:
        progress(f"{NAME}: first sync, {days} days x ({zones} zones + {spaces} spaces)")
        first = counted_sync(connector, configuration(url, days), {})
    expected = first["hourly_rows"]
    if expected < days * 24 * (zones + spaces):
        raise BenchmarkError(f"{NAME}: only {expected} hourly rows in the first sync")
    later_args = simulator_args(days, zones, spaces, hours_ahead=1)
    with simulator("tests.sensource.simulator", *later_args) as url:
        progress(f"{NAME}: a sync one hour later")
        later = counted_sync(
            connector, configuration(url, days), first["state"], clock_shift=timedelta(hours=1)
        )
    one_window_each = later["data_requests"] == {"traffic": 1, "occupancy": 1}
    hourly_target = 2 + STATIC_LISTS + 1
    figures = [
        figure("first sync: requests in all", first["requests"], "requests"),
        figure("first sync: token requests", first["token_requests"], "requests"),
        figure("first sync: traffic data requests", first["data_requests"]["traffic"], ""),
        figure("first sync: occupancy data requests", first["data_requests"]["occupancy"], ""),
        figure("first sync: hourly rows", first["hourly_rows"], "rows"),
        figure("first sync: connector side, stub ops", first["rows_per_second"], "rows/s"),
        checked(
            "sync one hour later: requests (2 data + 5 lists + 1 token)",
            later["requests"],
            "requests",
            "<=",
            hourly_target,
        ),
        checked("sync one hour later: one window per data type", one_window_each, "", ">=", 1),
        figure("sync one hour later: hourly rows re-read", later["hourly_rows"], "rows"),
        figure(
            "peak RSS of the benchmark process",
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "MB",
        ),
    ]
    rows = [
        [
            label,
            sync["requests"],
            sync["token_requests"],
            sync["data_requests"]["traffic"] + sync["data_requests"]["occupancy"],
            sync["static_requests"],
            sync["rows"],
            sync["checkpoints"],
            sync["seconds"],
        ]
        for label, sync in (("first sync", first), ("one hour later", later))
    ]
    for sync in (first, later):
        sync.pop("state")
    return Report(
        NAME,
        TITLE,
        figures=figures,
        tables=[
            Table(
                "syncs (update() in process, counting operation stubs)",
                ["sync", "requests", "token", "data", "static", "rows", "checkpoints", "s"],
                rows,
            )
        ],
        notes=[
            f"row cap {ROW_CAP:,} per response in the simulator; windows of 30 days shrink to "
            "what fits and stay at that size for the rest of the sync",
            "rows/s: upserts (hourly and static) per second of update(), the simulator in its "
            "own process",
        ],
        details={"days": days, "zones": zones, "spaces": spaces, "first": first, "later": later},
    )
